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


_DROP_PEAK = """
import resource, sys
from pathlib import Path
from eocic_kg.store import Store

store = Store.open(Path(sys.argv[1]), writable=True)
body = "".join(f"<http://x.example/s{i}> <http://x.example/p> _:b{i} .\\n" for i in range(400_000))
store.load_graph("http://x.example/big", body.encode(), "application/n-triples", replace=True)
del body
marker = "urn:uuid:00000000-0000-0000-0000-000000000001"
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert store.drop_graph("http://x.example/big", marker=marker)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
dropped = not store.has_graph("http://x.example/big")
print((after - before) // 1024, dropped, store.write_outcome(marker))
"""


def test_deleting_a_large_graph_is_not_one_transaction_of_it_all(tmp_path: Path) -> None:
    """Dropping what a 256 MiB upload wrote needed more than the 1 GiB memory budget (one
    transaction holds every removed quad): a large graph is emptied a chunk at a time, and the
    drop's marker says it was applied. 400,000 triples: the peak grows by a chunk's worth."""
    import subprocess
    import sys

    bulk_load(tmp_path / "store", [], progress=False)
    run = subprocess.run(
        [sys.executable, "-c", _DROP_PEAK, str(tmp_path / "store")],
        capture_output=True,
        text=True,
        check=True,
    )
    growth, dropped, outcome = run.stdout.split(maxsplit=2)
    assert dropped == "True" and outcome.strip() == "(True, True)", run.stdout
    assert int(growth) < 64, f"dropping grew the peak memory by {growth} MiB"
