"""Where the bundled ontology, data and queries live, installed or in a source tree."""

from __future__ import annotations

import os
from pathlib import Path

from eocic_kg import __version__

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


def dist_dir() -> Path:
    """Directory of generated artefacts: $EOCIC_DIST, else ./dist."""
    return Path(os.environ.get("EOCIC_DIST", "dist")).resolve()


def release_file() -> Path:
    """The release graph (N-Quads, one named graph per origin) that everything downstream reads."""
    return dist_dir() / "eocic.nq"


def package_release_file() -> Path:
    """The release of the bundled sources, wherever the caller runs: `$EOCIC_DIST/eocic.nq`,
    else `dist/eocic.nq` of the source tree, else (an installed package) the user's cache."""
    if "EOCIC_DIST" in os.environ:
        return release_file()
    if not _installed():
        return _SOURCE_ROOT / "dist" / "eocic.nq"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "eocic-kg" / __version__ / "eocic.nq"
