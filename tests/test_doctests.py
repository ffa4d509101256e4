"""The examples in the package's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

from .release_cache import release_nquads

MODULES = [
    "eocic_kg.catalogue",
    "eocic_kg.queries",
    "eocic_kg.synth",
    "eocic_kg.prefixes",
    "eocic_kg.query_errors",
    "eocic_kg.citation",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # examples that query the release read the session's build, not ./dist
    monkeypatch.setenv("EOCIC_DIST", str(release_nquads().parent))
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
