"""The optional parts of the package: which extra of `pyproject.toml` brings each optional
import, and the error that says what to install when one is missing."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from eocic_kg.errors import BuildError

#: Optional top-level packages -> the extra that installs them.
EXTRAS = {"owlready2": "build", "pyshacl": "build", "matplotlib": "charts"}


class MissingExtraError(BuildError):
    """A command needs a package that an extra installs and that is not installed; the message
    gives the command that installs it."""


def missing(package: str) -> str | None:
    """What to install for `package` (of `EXTRAS`) when it is not installed, else None."""
    if importlib.util.find_spec(package) is not None:
        return None
    return f"pip install 'eocic-kg[{EXTRAS[package]}]'"


def need(module: str, purpose: str) -> ModuleType:
    """Import `module` (of a package in `EXTRAS`) for `purpose`, e.g. "reasoning", or raise
    MissingExtraError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        package = module.partition(".")[0]
        if err.name != package:  # the package is there, something it imports is broken
            raise
        raise MissingExtraError(
            f"{purpose} needs {package}, which is not installed: "
            f"pip install 'eocic-kg[{EXTRAS[package]}]'"
        ) from err
