"""The suite itself: listing the tests builds nothing, so it needs no Java (the release is
built by the first test that asks for it, in `tests/release_cache.py`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .release_cache import SHARED_ENV

TESTS = Path(__file__).resolve().parent
QUIET = ("-p", "no:randomly", "-p", "no:cacheprovider")


def test_collecting_the_tests_needs_no_java(tmp_path: Path) -> None:
    called = tmp_path / "java-was-called"
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text(f"#!/bin/sh\ntouch '{called}'\nexit 1\n")
    java.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != SHARED_ENV}  # a session of its own
    env["PATH"] = f"{java.parent}{os.pathsep}{env['PATH']}"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", *QUIET, str(TESTS)],
        cwd=TESTS.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert not called.exists(), "collecting the tests ran Java (a release built at import)"
