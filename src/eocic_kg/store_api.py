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
from typing import NamedTuple, Protocol

from rdflib.term import Node

from eocic_kg.catalogue import Mention, internal
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
    #: A named query's IRI arguments: if the dataset mentions one of them nowhere, or it is
    #: not of the sort its parameter takes (``#+ classes:``, ``#+ takes:``), the query is
    #: refused (`UnknownResourceError`), not answered with rows that mean nothing.
    mentioned: tuple[Mention, ...] = ()


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


class Accepted(NamedTuple):
    """The arguments a parameter accepts by its test (`accepted`)."""

    iris: list[str]  # sorted, at most as many as asked for
    more: bool  # it accepts more than `iris`


def accepted(store: StoreAPI, mention: Mention, most: int) -> Accepted:
    """The IRIs `require_mentioned` accepts for the parameter of `mention` by its test, at most
    `most` of them (sorted), and whether there are more: the nodes the test holds of, asked of
    `store` by the test's own text as a SELECT (`NamedQuery.selecting`). No IRIs if the parameter
    declares no test, or the dataset has nothing of its sort (the test then does not judge)."""
    if not mention.test:
        return Accepted([], more=False)
    query = internal(mention.test)
    request = QueryRequest(
        query.selecting("node").text,
        substitutions=query.bindings(mention.test_arguments()),
        max_rows=most,
    )
    result = store.query(request)
    rows = json.loads(result.body)["results"]["bindings"]
    iris = sorted(row["node"]["value"] for row in rows if row["node"]["type"] == "uri")
    return Accepted(iris, result.truncated)


def require_mentioned(
    store: StoreAPI,
    mentioned: Sequence[Mention],
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
) -> None:
    """Raise `UnknownResourceError` if an IRI of `mentioned` is in no triple of the dataset (as
    subject, predicate or object), or is not of the sort its parameter takes (its `Mention.test`
    fails) while the dataset has resources of that sort (asked of `store`)."""

    def ask(name: str, **values: str) -> bool:
        query = internal(name)
        request = QueryRequest(
            query.text,
            default_graphs=tuple(default_graphs),
            named_graphs=tuple(named_graphs),
            substitutions=query.bindings(values),
        )
        return bool(json.loads(store.query(request).body)["boolean"])

    for mention in mentioned:
        parameter, iri = mention.parameter, mention.iri
        # the kind of the IRI, else the one the parameter takes (challenge=...)
        listed = next((k for k in (kind_of(iri), mention.kind) if k in KINDS), None)
        if not ask("mentioned", node=iri):
            where = f" (the {listed} resources are listed at /id/{listed})" if listed else ""
            raise UnknownResourceError(
                f"parameter {parameter!r}: nothing in the graph mentions <{iri}>; check its "
                f"spelling{where}"
            )
        # a sort the dataset has nothing of (a dataset without the ontology's entailed types)
        # does not judge
        arguments = mention.test_arguments()
        if (
            mention.test
            and not ask(mention.test, node=iri, **arguments)
            and ask(mention.test, **arguments)
        ):
            raise UnknownResourceError(
                f"parameter {parameter!r} takes {mention.sort()}, and <{iri}> is not one"
            )
