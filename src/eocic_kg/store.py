"""The embedded RDF store: the one module that knows pyoxigraph.

`Store` loads the release graph (N-Quads) into an in-memory pyoxigraph store and answers
SPARQL queries, updates and Graph Store operations, returning results already serialised in
the requested format. The default graph of a query is the union of all graphs unless the query
(FROM / FROM NAMED) or the caller (protocol dataset) names one.

Nothing here ever fetches a remote resource: queries using SERVICE and updates using LOAD are
refused with `RefusedError` before the engine sees them (pyoxigraph would make the HTTP call).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

#: Result formats of SELECT/ASK: short name -> (media type, pyoxigraph format).
TABULAR_FORMATS: dict[str, tuple[str, ox.QueryResultsFormat]] = {
    "json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    "csv": ("text/csv", ox.QueryResultsFormat.CSV),
    "tsv": ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
}
#: RDF formats of CONSTRUCT/DESCRIBE and graph downloads: short name -> (media type, format).
GRAPH_FORMATS: dict[str, tuple[str, ox.RdfFormat]] = {
    "turtle": ("text/turtle", ox.RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "rdfxml": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
}
#: Media types accepted as input by the Graph Store operations.
_INPUT_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "text/n3": ox.RdfFormat.N3,
}


class QueryError(ValueError):
    """The query, update or RDF payload is invalid; the message is the parser's."""


class RefusedError(QueryError):
    """The request is well-formed but asks for something this server never does."""


class NotAcceptableError(ValueError):
    """The result kind has no format the client accepts."""


@dataclass(frozen=True)
class Result:
    """A serialised query result."""

    kind: str  # "boolean", "bindings" or "graph"
    media_type: str
    body: bytes


# A small SPARQL lexer: enough to find keywords outside strings, IRIs and comments.
_TOKEN = re.compile(
    r"""
    (?P<skip>\#[^\n]*|\s+)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$]\w+)
    | (?P<word>[A-Za-z_][\w\-]*(?::[\w\-.%:]*)?|:[\w\-.%:]*)
    | (?P<open>\{) | (?P<close>\})
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class _Keyword:
    word: str  # upper-cased
    start: int
    depth: int  # brace depth
    previous: str  # the upper-cased previous significant token


def _keywords(text: str) -> Iterator[_Keyword]:
    """Yield the bare words of `text` (not in strings, IRIs, comments) with their brace depth."""
    depth = 0
    previous = ""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "skip":
            continue
        token = m.group()
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(depth - 1, 0)
        elif kind == "word":
            yield _Keyword(token.upper(), m.start(), depth, previous)
        previous = token.upper()


def _check_no_remote(text: str, forbidden: str) -> set[str]:
    """Raise RefusedError if `text` uses the keyword `forbidden`; return its set of keywords."""
    words = {k.word for k in _keywords(text)}
    if forbidden in words:
        raise RefusedError(f"{forbidden} is disabled on this server: it never fetches remote data")
    return words


def _add_using(update: str, using: Sequence[str], using_named: Sequence[str]) -> str:
    """Insert USING / USING NAMED clauses for the protocol dataset before each WHERE of `update`.

    Follows SPARQL 1.1 Protocol 2.2.3: a protocol dataset together with USING/WITH is an error.
    """
    keywords = list(_keywords(update))
    if any(k.depth == 0 and k.word in ("USING", "WITH") for k in keywords):
        raise QueryError(
            "using-graph-uri/using-named-graph-uri cannot be combined with USING or WITH"
        )
    clause = "".join(f" USING <{g}>" for g in using)
    clause += "".join(f" USING NAMED <{g}>" for g in using_named)
    out, last = [], 0
    for k in keywords:
        if k.depth == 0 and k.word == "WHERE":
            if k.previous == "DELETE":
                raise QueryError("using-graph-uri cannot be applied to DELETE WHERE")
            out.append(update[last : k.start] + clause + " ")
            last = k.start
    out.append(update[last:])
    return "".join(out)


def _named(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as e:
        raise QueryError(f"invalid graph IRI {iri!r}: {e}") from e


class Store:
    """An in-memory SPARQL store holding one release graph."""

    def __init__(self) -> None:
        self._store = ox.Store()

    @classmethod
    def from_file(cls, path: Path) -> Store:
        """Load an N-Quads (or Turtle/N-Triples/TriG by extension) file."""
        store = cls()
        formats = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}
        fmt = formats.get(path.suffix, ox.RdfFormat.from_extension(path.suffix.lstrip(".")))
        store._store.load(path=str(path), format=fmt)
        return store

    def __len__(self) -> int:
        """Number of quads in the store."""
        return len(self._store)

    def graph_sizes(self) -> dict[str | None, int]:
        """Triple count per graph; the key None is the store's default graph."""
        sizes: dict[str | None, int] = {}
        for quad in self._store:
            name = None if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
            sizes[name] = sizes.get(name, 0) + 1
        return sizes

    def query(
        self,
        text: str,
        *,
        tabular: str | None = "json",
        graph: str | None = "turtle",
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        base_iri: str | None = None,
    ) -> Result:
        """Run a SPARQL query and serialise the result.

        `tabular`/`graph` are the formats (keys of TABULAR_FORMATS/GRAPH_FORMATS) to use for
        SELECT/ASK and CONSTRUCT/DESCRIBE results; None means the client accepts none.
        """
        words = _check_no_remote(text, "SERVICE")
        kwargs: dict = {"base_iri": base_iri}
        if default_graphs or named_graphs:
            kwargs["default_graph"] = [_named(g) for g in default_graphs]
            kwargs["named_graphs"] = [_named(g) for g in named_graphs]
        elif "FROM" not in words:
            kwargs["use_default_graph_as_union"] = True
        try:
            result = self._store.query(text, **kwargs)
        except SyntaxError as e:
            raise QueryError(str(e)) from e
        if isinstance(result, ox.QueryTriples):
            if graph is None:
                raise NotAcceptableError("CONSTRUCT/DESCRIBE results")
            media_type, rdf_format = GRAPH_FORMATS[graph]
            return Result("graph", media_type, result.serialize(format=rdf_format) or b"")
        if tabular is None:
            raise NotAcceptableError("SELECT/ASK results")
        media_type, results_format = TABULAR_FORMATS[tabular]
        kind = "boolean" if isinstance(result, ox.QueryBoolean) else "bindings"
        return Result(kind, media_type, result.serialize(format=results_format) or b"")

    def update(
        self,
        text: str,
        *,
        using_graphs: Sequence[str] = (),
        using_named_graphs: Sequence[str] = (),
        base_iri: str | None = None,
    ) -> None:
        """Run a SPARQL update (atomically); LOAD is refused."""
        _check_no_remote(text, "LOAD")
        if using_graphs or using_named_graphs:
            for g in (*using_graphs, *using_named_graphs):
                _named(g)
            text = _add_using(text, using_graphs, using_named_graphs)
        try:
            self._store.update(text, base_iri=base_iri)
        except SyntaxError as e:
            raise QueryError(str(e)) from e

    @staticmethod
    def _graph(name: str | None) -> ox.NamedNode | ox.DefaultGraph:
        return ox.DefaultGraph() if name is None else _named(name)

    def has_graph(self, name: str | None) -> bool:
        """Whether the named graph exists (the default graph always does)."""
        return name is None or self._store.contains_named_graph(_named(name))

    def serialize_graph(self, name: str | None, fmt: str) -> bytes:
        """One graph (None: the default graph) in the format `fmt` (a GRAPH_FORMATS key)."""
        return self._store.dump(format=GRAPH_FORMATS[fmt][1], from_graph=self._graph(name)) or b""

    def load_graph(self, name: str | None, data: bytes, media_type: str, *, replace: bool) -> bool:
        """Add (or with `replace`, replace) a graph's content; return True if it was created."""
        rdf_format = _INPUT_FORMATS.get(media_type)
        if rdf_format is None:
            raise NotAcceptableError(f"unsupported RDF media type {media_type!r}")
        graph = self._graph(name)
        parsed = ox.Store()
        try:
            parsed.load(input=data, format=rdf_format, to_graph=graph, base_iri=name)
        except (SyntaxError, ValueError) as e:
            raise QueryError(str(e)) from e
        created = not self.has_graph(name)
        if replace:
            self._store.clear_graph(graph)
        if isinstance(graph, ox.NamedNode):
            self._store.add_graph(graph)
        self._store.extend(parsed)
        return created

    def drop_graph(self, name: str | None) -> bool:
        """Remove a graph (None: empty the default graph); False if it did not exist."""
        if not self.has_graph(name):
            return False
        if name is None:
            self._store.clear_graph(ox.DefaultGraph())
        else:
            self._store.remove_graph(_named(name))
        return True
