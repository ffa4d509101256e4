"""Packaging: every import of the package is declared in pyproject.toml (and every declared
dependency imported), and a command whose extra is missing says what to install.

`tests/test_install.py` (slow) checks the same messages in a real install without the extras.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from eocic_kg.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_of_the_package_is_declared() -> None:
    """The issue found werkzeug and jinja2 imported but not declared (deptry: DEP003)."""
    result = subprocess.run(
        [sys.executable, "-m", "deptry", "src"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("command", "module", "extra"),
    [("reason", "owlready2", "build"), ("build", "pyshacl", "build")],
)
def test_a_missing_extra_is_named_with_its_install_command(
    command: str,
    module: str,
    extra: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # what Python does when it is not installed
    assert main(["--release", str(tmp_path / "eocic.nq"), command]) == 2
    error = capsys.readouterr().err
    assert error.startswith("eocic-kg: error: ")
    assert error.endswith(
        f" needs {module}, which is not installed: pip install 'eocic-kg[{extra}]'\n"
    )
    assert not (tmp_path / "eocic.nq").exists()
