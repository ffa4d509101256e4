"""The examples in the package's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "eocic_kg.queries",
    "eocic_kg.synth",
    "eocic_kg.prefixes",
    "eocic_kg.query_errors",
    "eocic_kg.citation",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
