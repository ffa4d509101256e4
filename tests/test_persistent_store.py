"""An on-disk store is bulk-loaded once and reopened without reloading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eocic_kg import synth
from eocic_kg.bulk import bulk_load
from eocic_kg.store import Store
from eocic_kg.store_api import QueryRequest

from .release_cache import release_nquads

QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def _rows(store: Store, text: str = QUERY) -> list:
    return json.loads(store.query(QueryRequest(text)).body)["results"]["bindings"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    release = release_nquads()
    extra = tmp_path_factory.mktemp("synth") / "synthetic.nq"
    synth.write(extra, regions=3, clusters=50)
    return [release, extra]


def test_bulk_load_then_reopen(tmp_path: Path, files: list[Path], capsys) -> None:
    location = tmp_path / "store"
    count = bulk_load(location, files, progress=True)
    assert "100%" in capsys.readouterr().err
    embedded = Store.from_file(files[0])
    for extra in files[1:]:
        embedded._store.load(path=str(extra))
    assert count == len(embedded)
    reopened = Store.open(location)
    assert len(reopened) == count
    assert _rows(reopened) == _rows(embedded)
    select = "SELECT ?s WHERE { ?s a <https://w3id.org/eocic/ontology#PilotRegion> } ORDER BY ?s"
    assert _rows(reopened, select) == _rows(embedded, select)
    # A second read-only opener at the same time (e.g. another service) sees the same data.
    assert len(Store.open(location)) == count


def test_open_refuses_a_non_store(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Store.open(tmp_path / "missing")


def test_app_serves_an_on_disk_store(tmp_path: Path, files: list[Path]) -> None:
    from eocic_kg.web.app import create_app

    location = tmp_path / "store"
    count = bulk_load(location, files, progress=False)
    client = create_app(store=Store.open(location), executors=2).test_client()
    for _ in range(3):  # forked executors share the opened read-only store
        response = client.post(
            "/sparql",
            data={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        rows = response.get_json()["results"]["bindings"]
        assert int(rows[0]["n"]["value"]) == count
