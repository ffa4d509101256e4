"""Where the bundled ontology, data, queries and built release live, installed or in a source
tree, and which release a command reads when it is given none."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_SOURCE_ROOT = _PACKAGE_DIR.parent.parent


def _installed() -> bool:
    """Whether the package carries its sources (a wheel) rather than sitting in a source tree."""
    return (_PACKAGE_DIR / "resources").is_dir()


def _resource_dir(name: str) -> Path:
    """Return the bundled directory `name` (wheel layout first, then the source tree)."""
    return _PACKAGE_DIR / "resources" / name if _installed() else _SOURCE_ROOT / name


ONTOLOGY_DIR = _resource_dir("ontology")
ONTOLOGY_FILE = ONTOLOGY_DIR / "eocic.ttl"
SHAPES_DIR = ONTOLOGY_DIR / "shapes"
DATA_DIR = _resource_dir("data")
QUERIES_DIR = _resource_dir("queries")
#: The release built from the bundled sources, shipped in the wheel (`release/eocic.nq` in the
#: source tree): serving it needs no Java and no build extra. `tests/test_bundled_release.py`
#: checks that a build of the sources gives the same graphs.
BUNDLED_RELEASE = _resource_dir("release") / "eocic.nq"


def dist_dir() -> Path:
    """Directory of generated artefacts: $EOCIC_DIST, else ./dist."""
    return Path(os.environ.get("EOCIC_DIST", "dist")).resolve()


def release_file() -> Path:
    """The release graph (N-Quads, one named graph per origin) that everything downstream reads."""
    return dist_dir() / "eocic.nq"


def package_release_file() -> Path:
    """The release of the bundled sources, wherever the caller runs: `$EOCIC_DIST/eocic.nq`
    when $EOCIC_DIST is set, else the bundled release."""
    return release_file() if "EOCIC_DIST" in os.environ else BUNDLED_RELEASE


def default_release() -> Path:
    """The release a command reads when it names none: `$EOCIC_DIST/eocic.nq` when $EOCIC_DIST
    is set, else `dist/eocic.nq` when it exists (what `eocic-kg build` wrote), else the bundled
    release."""
    return release_file() if release_file().is_file() else package_release_file()
