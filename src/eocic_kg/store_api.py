"""The store contract: what the web layer asks of any store, and the requests it sends.

Three things keep it: the embedded store (`eocic_kg.store.Store`), a remote engine
(`eocic_kg.remote.RemoteStore`) and the pool of executors in front of either
(`eocic_kg.web.pool.PooledStore`). A query or an update travels as one typed, immutable request,
so the three share its fields instead of copying a signature, and the executors' result cache
keys on it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rdflib.term import Node

from eocic_kg.catalogue import internal
from eocic_kg.errors import UnknownResourceError
from eocic_kg.prefixes import KINDS, kind_of
from eocic_kg.results import Result


@dataclass(frozen=True)
class QueryRequest:
    """A SPARQL query and everything that shapes its answer."""

    text: str
    #: Formats (keys of `TABULAR_FORMATS` / `GRAPH_FORMATS`) of SELECT/ASK and of
    #: CONSTRUCT/DESCRIBE results; None: the client accepts no such result.
    tabular: str | None = "json"
    graph: str | None = "turtle"
    #: The protocol's dataset (`default-graph-uri`, `named-graph-uri`); none: the union graph.
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    base_iri: str | None = None
    #: Variables (names without `?`) bound to rdflib terms before evaluation.
    substitutions: Mapping[str, Node] = field(default_factory=dict)
    #: Rows of a SELECT result beyond this are dropped (`Result.truncated` says so).
    max_rows: int | None = None
    #: (parameter, IRI) of a named query's IRI arguments: if the dataset mentions one of them
    #: nowhere, the query is refused (`UnknownResourceError`), not answered with no rows.
    mentioned: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class UpdateRequest:
    """A SPARQL update with the protocol's `using-graph-uri` / `using-named-graph-uri`."""

    text: str
    using_graphs: tuple[str, ...] = ()
    using_named_graphs: tuple[str, ...] = ()
    base_iri: str | None = None


class StoreAPI(Protocol):
    """What the web layer asks of a store: the embedded one, a remote engine, or a pool of
    executors in front of either."""

    def __len__(self) -> int: ...
    def graph_sizes(self) -> dict[str | None, int]: ...
    def query(self, request: QueryRequest) -> Result: ...
    def update(self, request: UpdateRequest) -> None: ...
    def has_graph(self, name: str | None) -> bool: ...
    def dump(self, graphs: Sequence[str] | None = None) -> bytes: ...
    def serialize_graph(self, name: str | None, fmt: str) -> bytes: ...
    def load_graph(
        self, name: str | None, data: bytes | Path, media_type: str, *, replace: bool
    ) -> bool: ...
    def drop_graph(self, name: str | None) -> bool: ...


def require_mentioned(
    store: StoreAPI,
    mentioned: Sequence[tuple[str, str]],
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
) -> None:
    """Raise `UnknownResourceError` if `mentioned` ((parameter, IRI) pairs) names an IRI that
    no triple of the dataset has as subject, predicate or object (asked of `store`)."""
    for parameter, iri in mentioned:
        query = internal("mentioned")
        ask = QueryRequest(
            query.text,
            default_graphs=tuple(default_graphs),
            named_graphs=tuple(named_graphs),
            substitutions=query.bindings({"node": iri}),
        )
        if not json.loads(store.query(ask).body)["boolean"]:
            # the kind of the IRI, else the one the parameter is named after (challenge=...)
            kind = next((k for k in (kind_of(iri), parameter) if k in KINDS), None)
            where = f" (the {kind} resources are listed at /id/{kind})" if kind else ""
            raise UnknownResourceError(
                f"parameter {parameter!r}: nothing in the graph mentions <{iri}>; check its "
                f"spelling{where}"
            )
