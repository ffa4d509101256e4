"""Hygiene checks: each queries/checks/*-violation.rq returns no rows on the release graph."""

from __future__ import annotations

from pathlib import Path

import pytest

from eocic_kg.resources import QUERIES_DIR

from .release_cache import release_graph

CHECKS = sorted((QUERIES_DIR / "checks").glob("*-violation.rq"))


def test_checks_exist() -> None:
    assert len(CHECKS) >= 4


@pytest.mark.parametrize("path", CHECKS, ids=lambda p: p.stem)
def test_check_returns_no_rows(path: Path) -> None:
    rows = list(release_graph().query(path.read_text(encoding="utf-8")))
    assert rows == [], "\n".join(" ".join(str(v) for v in row) for row in rows[:20])


def test_a_check_catches_a_fault() -> None:
    graph = release_graph() + release_graph()  # a copy we may spoil
    graph.parse(
        data="<https://w3id.org/eocic/id/x> <https://w3id.org/eocic/ontology#nope> "
        "<https://w3id.org/eocic/id/y> .",
        format="nt",
    )
    rows = list(graph.query((QUERIES_DIR / "checks" / "undefined-term-violation.rq").read_text()))
    assert [str(r[0]) for r in rows] == ["https://w3id.org/eocic/ontology#nope"]
