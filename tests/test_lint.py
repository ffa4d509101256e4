"""The code is ruff-clean and formatted, and mypy finds no type error in src/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_ruff_check_and_format() -> None:
    check = _run("ruff", "check", "src", "tests", "bench")
    assert check.returncode == 0, check.stdout
    fmt = _run("ruff", "format", "--check", "src", "tests", "bench")
    assert fmt.returncode == 0, fmt.stdout


def test_mypy_on_src() -> None:
    pytest.importorskip("mypy")
    result = _run(sys.executable, "-m", "mypy", "--ignore-missing-imports", "src")
    assert result.returncode == 0, result.stdout
