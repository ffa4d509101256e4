"""Graph Store uploads in writable mode: a replacing PUT of one chunk is atomic, a JSON-LD body
that gives no triples is refused, and a parse error names the request body."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from eocic_kg import store as store_module
from eocic_kg.store import Store

from .conftest import Server

G = "http://example.org/replaced"
OLD = b"<http://example.org/a> <http://example.org/p> 'old' ."
NEW = b"<http://example.org/a> <http://example.org/p> 'new' . _:b <http://example.org/p> _:b ."
#: The pyoxigraph calls that write (each one transaction).
_WRITES = frozenset(
    {"add", "add_graph", "bulk_extend", "bulk_load", "clear", "clear_graph", "extend", "load"}
    | {"remove", "remove_graph", "update"}
)


class Killed(BaseException):
    """The process died (nothing catches it on the way out, as nothing outlives a kill)."""


class DiesAfter:
    """A pyoxigraph store whose process dies as it starts its write after the first `writes`
    (each a committed transaction)."""

    def __init__(self, store: ox.Store, writes: int) -> None:
        self.store, self.left = store, writes
        self.calls: list[str] = []  # the writes begun

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.store, name)
        if name not in _WRITES:
            return attribute

        def write(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            if not self.left:
                raise Killed
            self.left -= 1
            return attribute(*args, **kwargs)

        return write


def _objects(store: Store) -> set[str]:
    found = store._store.quads_for_pattern(None, None, None, ox.NamedNode(G))
    return {str(quad.object) for quad in found if isinstance(quad.object, ox.Literal)}


@pytest.mark.parametrize("writes", range(3))
@pytest.mark.parametrize("marker", [None, "urn:uuid:00000000-0000-0000-0000-00000000000a"])
def test_a_replacing_put_of_one_chunk_stopped_anywhere_leaves_the_old_graph_or_the_new(
    writes: int, marker: str | None
) -> None:
    """The process dies after `writes` transactions of the PUT: the graph is the old one or
    the new one (never emptied), and the marker that settles a lost answer says which."""
    store = Store()
    store.load_graph(G, OLD, "text/turtle", replace=True)
    engine = store._store
    store._handle = DiesAfter(engine, writes)  # type: ignore[assignment]
    with contextlib.suppress(Killed):
        store.load_graph(G, NEW, "text/turtle", replace=True, marker=marker)
    store._handle = engine
    found = _objects(store)
    assert found in ({'"old"'}, {'"new"'}), f"after {writes} writes the graph holds {found}"
    if marker is not None:
        applied, _ = store.write_outcome(marker)
        assert applied is (found == {'"new"'}), (found, applied)
    if found == {'"new"'}:
        (triple,) = (q for q in engine if isinstance(q.subject, ox.BlankNode))
        assert triple.subject.value != "b", "the body's blank node label was kept"
        assert triple.object == triple.subject, "one label of the body became two nodes"


@pytest.mark.parametrize("writes", range(4))
def test_a_larger_replacing_put_stays_chunked_and_its_marker_says_in_part(
    writes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replacing PUT past `ATOMIC_REPLACE_BYTES` is written in chunks (its memory stays that
    of a chunk): stopped between them it may leave the graph emptied, and then its marker says
    "in part" (None), never "not applied"."""
    monkeypatch.setattr(store_module, "ATOMIC_REPLACE_BYTES", len(NEW) - 1)
    marker = "urn:uuid:00000000-0000-0000-0000-00000000000b"
    store = Store()
    store.load_graph(G, OLD, "text/turtle", replace=True)
    engine, dying = store._store, DiesAfter(store._store, writes)
    store._handle = dying  # type: ignore[assignment]
    with contextlib.suppress(Killed):
        store.load_graph(G, NEW, "text/turtle", replace=True, marker=marker)
    store._handle = engine
    assert "update" not in dying.calls, "written as one update: not in chunks"
    found, (applied, _) = _objects(store), store.write_outcome(marker)
    if found == {'"new"'}:
        assert applied is True
    elif found == {'"old"'}:
        assert applied is not True
    else:
        assert applied is None, (found, applied)


def _put(server: Server, graph: str, body: bytes, media_type: str) -> httpx.Response:
    return httpx.put(
        f"{server.url}/store",
        params={"graph": graph},
        content=body,
        headers={"Content-Type": media_type},
    )


def test_a_json_ld_body_that_gives_no_triples_is_refused(writable_server: Server) -> None:
    """`{"name": "x"}` without an @context: JSON-LD drops the key, so the PUT would store
    nothing while answering success. Bodies that hold no data stay valid empty uploads."""
    graph = "http://example.org/jsonld-no-triples"
    for body in (b'{"name": "x"}', b'[{"@id": "http://example.org/a", "name": "x"}]'):
        r = _put(writable_server, graph, body, "application/ld+json")
        assert r.status_code == 400, r.text
        assert "gives no triples" in r.text and "@context" in r.text and "full IRIs" in r.text
    assert httpx.get(f"{writable_server.url}/store", params={"graph": graph}).status_code == 404
    context = b'{"@context": {"name": "http://schema.org/name"}, "name": "x"}'
    assert _put(writable_server, graph, context, "application/ld+json").status_code == 201
    for body, media_type in (
        (b"{}", "application/ld+json"),
        (b"[]", "application/ld+json"),
        (b'{"@context": {"name": "http://schema.org/name"}, "@graph": []}', "application/ld+json"),
        (b"@prefix ex: <http://example.org/> . # nothing else", "text/turtle"),
        (b"", "text/turtle"),
    ):
        r = _put(writable_server, graph, body, media_type)
        assert r.status_code == 204, (body, r.text)
    assert httpx.get(f"{writable_server.url}/store", params={"graph": graph}).status_code == 200


def test_a_parse_error_names_the_request_body_not_the_spool_file(writable_server: Server) -> None:
    body = b"<http://example.org/a> <http://example.org/p> 'ok' .\n<http://example.org/a> <q> .\n"
    r = _put(writable_server, "http://example.org/malformed", body, "text/turtle")
    assert r.status_code == 400, r.text
    assert "the request body, line 2, column " in r.text, r.text
    assert "eocic-upload" not in r.text and "/tmp" not in r.text, r.text
