"""The code is ruff-clean and formatted, and mypy finds no type error in src/ (the settings live
in pyproject.toml, so plain `ruff check`, `ruff format --check` and `mypy src` agree)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_check_and_format() -> None:
    """ruff is in the test extra: a missing ruff fails here rather than skipping."""
    check = _run(sys.executable, "-m", "ruff", "check", "src", "tests", "bench")
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = _run(sys.executable, "-m", "ruff", "format", "--check", "src", "tests", "bench")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_on_src() -> None:
    result = _run(sys.executable, "-m", "mypy", "src")
    assert result.returncode == 0, result.stdout + result.stderr
