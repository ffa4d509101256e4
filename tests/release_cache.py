"""One build of the release per test session, shared by the test modules that read it."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

from rdflib import Graph

from eocic_kg.build import Release, make_release

REPORT_TEXT = Path(__file__).parent / "data" / "report.txt"


@functools.cache
def built_release() -> Release:
    """The release made from the bundled ontology and data (built once)."""
    return make_release(progress=lambda message: None)


@functools.cache
def release_graph() -> Graph:
    """The release as one graph: ontology, data and entailments."""
    return built_release().graph()


@functools.cache
def release_nquads() -> Path:
    """The built release written once as N-Quads to a temporary file."""
    import tempfile

    from eocic_kg.build import nquads

    path = Path(tempfile.mkdtemp(prefix="eocic-release-")) / "eocic.nq"
    path.write_bytes(nquads(built_release().dataset))
    return path


def run_cli(*args: str, dist: Path) -> subprocess.CompletedProcess[str]:
    """Run ``eocic-kg ARGS`` in a fresh interpreter, from `dist` (not the source tree)."""
    return subprocess.run(
        [sys.executable, "-m", "eocic_kg.cli", *args],
        capture_output=True,
        text=True,
        env={
            "EOCIC_DIST": str(dist),
            "PATH": "/usr/bin:/bin:/usr/local/bin",
            # a source tree put first on the path (a work tree) is the one tested
            **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},
        },
        cwd=dist,
        check=False,
    )
