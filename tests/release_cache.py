"""One build of the release per test session, shared by the test modules (and xdist workers)
that read it.

The first process to ask builds the release in-process (`make_release`: HermiT and SHACL, as
`eocic-kg build` does) and writes it as N-Quads (`nquads`, the bytes the build writes) into the
session's shared directory, under a lock; every process, the builder included, then reads that
file back. So all tests see the release as it is written, whichever worker runs them.
`tests/test_build.py` checks that `eocic-kg build` itself writes the same graphs.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import io
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph

from eocic_kg.atomic import write_atomically
from eocic_kg.build import make_release, nquads
from eocic_kg.cli import main
from eocic_kg.sources import union_graph

REPORT_TEXT = Path(__file__).parent / "data" / "report.txt"
#: The environment variable naming the directory shared by one session's processes; set by
#: `tests/conftest.py` before xdist starts its workers, which inherit it.
SHARED_ENV = "EOCIC_TESTS_SHARED_DIR"


@dataclass(frozen=True)
class BuiltRelease:
    """The release as the build wrote it, read back: its named graphs and their union."""

    dataset: Dataset

    def graph(self) -> Graph:
        """All graphs of the release as one graph."""
        return union_graph(self.dataset)


def shared_dir() -> Path:
    """The directory shared by the processes of this test session (made once when unset)."""
    if SHARED_ENV not in os.environ:
        os.environ[SHARED_ENV] = tempfile.mkdtemp(prefix="eocic-tests-")
    return Path(os.environ[SHARED_ENV])


@functools.cache
def release_nquads() -> Path:
    """The release file (`<shared>/release/eocic.nq`), built by the first process to ask."""
    path = shared_dir() / "release" / "eocic.nq"
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the others wait here while one builds
        if not path.is_file():
            release = make_release(progress=lambda message: None)
            write_atomically(path, nquads(release.dataset))
    return path


@functools.cache
def built_release() -> BuiltRelease:
    """The release made from the bundled ontology and data (built once per session)."""
    dataset = Dataset()
    dataset.parse(release_nquads(), format="nquads")
    return BuiltRelease(dataset)


@functools.cache
def release_graph() -> Graph:
    """The release as one graph: ontology, data and entailments."""
    return built_release().graph()


def release_dist(directory: Path) -> Path:
    """`directory` made a dist directory holding the shared release (as `eocic-kg build` would)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "eocic.nq").write_bytes(release_nquads().read_bytes())
    return directory


def cli_in_process(*args: str) -> tuple[int, str]:
    """Run ``eocic-kg ARGS`` in this process (no interpreter start-up); (exit status, stderr).

    `main` makes SIGPIPE kill the process, as a command line tool should; the test process
    gets its own handler back.
    """
    handler = signal.getsignal(signal.SIGPIPE)
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            status = main(list(args))
    finally:
        signal.signal(signal.SIGPIPE, handler)
    return status, errors.getvalue()


def run_cli(
    *args: str, dist: Path | None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``eocic-kg ARGS`` in a fresh interpreter with $EOCIC_DIST `dist` (None: unset), from
    `cwd` (default `dist`; not the source tree)."""
    return subprocess.run(
        [sys.executable, "-m", "eocic_kg.cli", *args],
        capture_output=True,
        text=True,
        env={
            **({} if dist is None else {"EOCIC_DIST": str(dist)}),
            "PATH": "/usr/bin:/bin:/usr/local/bin",
            # a source tree put first on the path (a work tree) is the one tested
            **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},
        },
        cwd=cwd or dist,
        check=False,
    )
