"""The store contract: what the web layer asks of any store, and the requests it sends.

Three things keep it: the embedded store (`eocic_kg.store.Store`), a remote engine
(`eocic_kg.remote.RemoteStore`) and the pool of executors in front of either
(`eocic_kg.web.pool.PooledStore`). A query or an update travels as one typed, immutable request,
so the three share its fields instead of copying a signature, and the executors' result cache
keys on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rdflib.term import Node

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
