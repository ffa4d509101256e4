"""The store contract: what the web layer asks of any store, and the requests it sends.

Three things keep it: the embedded store (`eocic_kg.store.Store`), a remote engine
(`eocic_kg.remote.RemoteStore`) and the pool of executors in front of either
(`eocic_kg.web.pool.PooledStore`). A query or an update travels as one typed, immutable request,
so the three share its fields instead of copying a signature, and the executors' result cache
keys on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol

from rdflib.term import Node

from eocic_kg.catalogue import Mention, internal
from eocic_kg.errors import UnknownResourceError
from eocic_kg.prefixes import KINDS, OPAQUE_SCHEMES, PREFIXES, is_local_name, kind_of
from eocic_kg.results import Result
from eocic_kg.sparql_lexer import Analysis


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


_FROM = re.compile(r"\bFROM\b", re.IGNORECASE)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(//)?")


def from_graphs(text: str) -> list[str]:
    """The absolute graph IRIs of the query's FROM and FROM NAMED clauses (the same dataset as
    default-graph-uri and named-graph-uri give, judged alike)."""
    if not _FROM.search(text):
        return []
    found = [t for t in Analysis(text).tokens if t.kind not in ("ws", "comment") and t.depth == 0]
    prefixes = dict(PREFIXES)  # the predeclared ones, as the text's own PREFIX lines change them
    graphs = []
    for i, token in enumerate(found):
        after = found[i + 1 : i + 3]
        if token.word == "PREFIX" and len(after) == 2 and after[1].kind == "iri":
            prefixes[after[0].text.split(":", 1)[0]] = after[1].text[1:-1]
        if token.word != "FROM":
            continue
        if after and after[0].word == "NAMED":
            after = after[1:]
        if after and after[0].kind == "iri" and _SCHEME.match(after[0].text[1:-1]):
            graphs.append(after[0].text[1:-1])
        elif after and after[0].kind == "pname" and "\\" not in after[0].text:
            prefix, local = after[0].text.split(":", 1)
            if _SCHEME.match(prefixes.get(prefix, "")):
                graphs.append(prefixes[prefix] + local)
    return graphs


def own_graph(name: str, base_iri: str) -> str | None:
    """Why the dataset graph `name` can only be one of the store's ("": under its `base_iri`),
    or None if it may be a graph of elsewhere (or is not an IRI: the engine says so)."""
    if name.startswith(base_iri):
        return ""
    match = _SCHEME.match(name)
    if match is None or match.group(2) or match.group(1).lower() in OPAQUE_SCHEMES:
        return None
    prefix, local = match.group(1), name[match.end() :]
    if prefix in PREFIXES and is_local_name(local):
        return f" ({prefix}: is a prefix, not a scheme: the IRI is <{PREFIXES[prefix]}{local}>)"
    return f" ({prefix}: is no scheme of IRIs: give a full IRI, such as https://...)"


def missing_graph(store: StoreAPI, names: Sequence[str], base_iri: str) -> str | None:
    """What to say of the first graph of a query's dataset (`names`, FROM graphs included) that
    the store lacks and that can be no graph of elsewhere (`own_graph`): it would answer no
    rows, as if the data said nothing. None if there is none. Another IRI the store lacks is
    an empty graph, as the SPARQL 1.1 Protocol has it."""
    for name in dict.fromkeys(names):
        why = own_graph(name, base_iri)
        if why is not None and not store.has_graph(name):
            return f"no graph named <{name}> in the store{why}"
    return None
