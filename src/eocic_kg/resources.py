"""Where the bundled ontology, data and queries live, installed or in a source tree."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_SOURCE_ROOT = _PACKAGE_DIR.parent.parent


def _resource_dir(name: str) -> Path:
    """Return the bundled directory `name` (wheel layout first, then the source tree)."""
    installed = _PACKAGE_DIR / "resources" / name
    return installed if installed.is_dir() else _SOURCE_ROOT / name


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
