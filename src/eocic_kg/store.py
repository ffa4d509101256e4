"""The embedded RDF store: the one module that knows pyoxigraph.

`Store` loads the release graph (N-Quads) into an in-memory pyoxigraph store and answers
SPARQL queries, updates and Graph Store operations, returning results already serialised in
the requested format. The default graph of a query is the union of all graphs unless the query
(FROM / FROM NAMED) or the caller (protocol dataset) names one.

Nothing here ever fetches a remote resource: queries using SERVICE and updates using LOAD are
refused with `RefusedError` before the engine sees them (pyoxigraph would make the HTTP call).
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from eocic_kg.prefixes import PREFIXES
from eocic_kg.query_errors import explain

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
    truncated: bool = False  # SELECT rows beyond `max_rows` were dropped


# A small SPARQL lexer: enough to find keywords outside strings, IRIs and comments.
SPARQL_TOKEN = re.compile(
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


def sparql_keywords(text: str) -> Iterator[_Keyword]:
    """Yield the bare words of `text` (not in strings, IRIs, comments) with their brace depth."""
    depth = 0
    previous = ""
    for m in SPARQL_TOKEN.finditer(text):
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


def check_no_remote(text: str, forbidden: str) -> set[str]:
    """Raise RefusedError if `text` uses the keyword `forbidden`; return its set of keywords."""
    words = {k.word for k in sparql_keywords(text)}
    if forbidden in words:
        raise RefusedError(f"{forbidden} is disabled on this server: it never fetches remote data")
    return words


#: Deepest nesting of ( [ { accepted in a query, update or JSON-LD document: deeper SPARQL
#: makes pyoxigraph overflow its stack (the process dies), deeper JSON-LD is slow to expand.
MAX_NESTING = 64
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def check_nesting(text: str) -> None:
    """Raise RefusedError if brackets in `text` (outside strings, IRIs, comments) nest too deep."""
    depth = 0
    for m in SPARQL_TOKEN.finditer(text):
        token = m.group()
        if token in ("(", "[", "{"):
            depth += 1
            if depth > MAX_NESTING:
                raise RefusedError(f"brackets nest deeper than {MAX_NESTING} levels")
        elif token in (")", "]", "}"):
            depth = max(depth - 1, 0)


def _check_rdf_input(data: bytes, rdf_format: ox.RdfFormat) -> None:
    """Refuse RDF/XML declaring entities (XXE, billion laughs) and deeply nested JSON-LD."""
    if rdf_format == ox.RdfFormat.RDF_XML:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise RefusedError("RDF/XML input must be UTF-8") from None
        if "<!ENTITY" in text:
            raise RefusedError("RDF/XML input must not declare entities")
    elif rdf_format == ox.RdfFormat.JSON_LD:
        depth = 0
        for m in _JSON_TOKEN.finditer(data):
            token = m.group()
            if token in (b"[", b"{"):
                depth += 1
                if depth > MAX_NESTING:
                    raise RefusedError(f"JSON-LD input nests deeper than {MAX_NESTING} levels")
            elif token in (b"]", b"}"):
                depth -= 1


def _json_term(term: Any) -> dict[str, Any]:
    """One RDF term in the SPARQL 1.1 JSON results format."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    parts = {k: _json_term(getattr(term, k)) for k in ("subject", "predicate", "object")}
    return {"type": "triple", "value": parts}


def bounded_solutions(result: ox.QuerySolutions, fmt: str, max_rows: int) -> tuple[bytes, bool]:
    """Serialise at most `max_rows` solutions of `result` in `fmt`; also say if rows were dropped.

    Truncation is never silent: `Result.truncated` (the HTTP layer sends the header
    `X-EOCIC-Truncated: true`) and, in JSON, top-level "truncated"/"warning" members.
    """
    names = [v.value for v in result.variables]
    rows: list[dict[str, Any]] = []
    truncated = False
    for solution in result:
        if len(rows) == max_rows:
            truncated = True
            break
        rows.append({n: _json_term(solution[n]) for n in names if solution[n] is not None})
    document: dict[str, Any] = {"head": {"vars": names}, "results": {"bindings": rows}}
    if fmt != "json":
        body = json.dumps(document).encode()
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        return parsed.serialize(format=TABULAR_FORMATS[fmt][1]) or b"", truncated
    if truncated:
        document["truncated"] = True
        document["warning"] = f"results truncated to the first {max_rows} rows"
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(), truncated


def bounded_triples(
    triples: Iterable[ox.Triple], rdf_format: ox.RdfFormat, max_rows: int | None
) -> tuple[bytes, bool]:
    """Serialise at most `max_rows` triples (all when None); also say if triples were dropped."""
    if max_rows is None:
        return ox.serialize(triples, format=rdf_format) or b"", False
    kept = list(itertools.islice(triples, max_rows + 1))
    truncated = len(kept) > max_rows
    return ox.serialize(kept[:max_rows], format=rdf_format) or b"", truncated


def _add_using(update: str, using: Sequence[str], using_named: Sequence[str]) -> str:
    """Insert USING / USING NAMED clauses for the protocol dataset before each WHERE of `update`.

    Follows SPARQL 1.1 Protocol 2.2.3: a protocol dataset together with USING/WITH is an error.
    """
    keywords = list(sparql_keywords(update))
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


def named_node(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as e:
        raise QueryError(f"invalid graph IRI {iri!r}: {e}") from e


def _ox_term(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The pyoxigraph term for an rdflib IRI, blank node or literal."""
    try:
        if isinstance(term, URIRef):
            return ox.NamedNode(str(term))
        if isinstance(term, BNode):
            return ox.BlankNode(str(term))
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype:
                return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
            return ox.Literal(str(term))
    except ValueError as e:
        raise QueryError(f"invalid parameter value {str(term)!r}: {e}") from e
    raise QueryError(f"cannot bind {term!r}")


class Store:
    """An in-memory SPARQL store holding one release graph (or an on-disk one, see `open`)."""

    #: Set by `open`: the on-disk location, reopened in every new process (see `_store`).
    _path: Path | None = None
    _pid: int = 0
    _ox: ox.Store
    #: Inherited handles of on-disk stores, kept alive: dropping one after a fork is unsafe.
    _inherited: ClassVar[list[ox.Store]] = []

    def __init__(self) -> None:
        self._store = ox.Store()

    @property
    def _store(self) -> ox.Store:
        """The pyoxigraph store; an on-disk store is reopened (read-only) after a fork.

        A forked query executor closes the descriptors it inherits (`eocic_kg.web.pool`),
        RocksDB's files among them, so it opens the store again (milliseconds) on first use.
        """
        if self._path is not None and self._pid != os.getpid():
            Store._inherited.append(self._ox)
            self._ox = ox.Store.read_only(str(self._path))
            self._pid = os.getpid()
        return self._ox

    @_store.setter
    def _store(self, value: ox.Store) -> None:
        self._ox = value

    @classmethod
    def from_file(cls, path: Path) -> Store:
        """Load an N-Quads (or Turtle/N-Triples/TriG by extension) file."""
        store = cls()
        formats = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}
        fmt = formats.get(path.suffix, ox.RdfFormat.from_extension(path.suffix.lstrip(".")))
        store._store.load(path=str(path), format=fmt)
        return store

    @classmethod
    def open(cls, path: Path, read_only: bool = True) -> Store:
        """Open an on-disk store made by `bulk_load` (no reload: opening takes milliseconds)."""
        if not (Path(path) / "CURRENT").is_file():
            raise FileNotFoundError(f"{path} is not a store: run `eocic-kg load FILE --store PATH`")
        store = cls.__new__(cls)
        store._store = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
        if read_only:
            store._path, store._pid = Path(path), os.getpid()
        return store

    def __len__(self) -> int:
        """Number of quads in the store."""
        return len(self._store)

    def graph_sizes(self) -> dict[str | None, int]:
        """Triple count per graph; the key None is the store's default graph.

        Counted by the engine (two aggregate queries), not by iterating quads in Python.
        """
        named = self._store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        default = self._store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        assert isinstance(named, ox.QuerySolutions) and isinstance(default, ox.QuerySolutions)
        sizes: dict[str | None, int] = {row["g"].value: int(row["n"].value) for row in named}
        sizes[None] = int(next(iter(default))["n"].value)
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
        substitutions: Mapping[str, Node] | None = None,
        max_rows: int | None = None,
    ) -> Result:
        """Run a SPARQL query and serialise the result.

        `tabular`/`graph` are the formats (keys of TABULAR_FORMATS/GRAPH_FORMATS) to use for
        SELECT/ASK and CONSTRUCT/DESCRIBE results; None means the client accepts none.
        `substitutions` binds variables (name without `?`) to rdflib terms before evaluation.
        `max_rows` bounds the rows of a SELECT result (`Result.truncated` says if it cut any).
        """
        words = check_no_remote(text, "SERVICE")
        check_nesting(text)
        kwargs: dict = {"base_iri": base_iri, "prefixes": PREFIXES}
        if substitutions:
            kwargs["substitutions"] = {
                ox.Variable(name): _ox_term(term) for name, term in substitutions.items()
            }
        if default_graphs or named_graphs:
            kwargs["default_graph"] = [named_node(g) for g in default_graphs]
            kwargs["named_graphs"] = [named_node(g) for g in named_graphs]
        elif "FROM" not in words:
            kwargs["use_default_graph_as_union"] = True
        try:
            result = self._store.query(text, **kwargs)
        except SyntaxError as e:
            raise QueryError(explain(str(e), text)) from e
        if isinstance(result, ox.QueryTriples):
            if graph is None:
                raise NotAcceptableError("CONSTRUCT/DESCRIBE results")
            media_type, rdf_format = GRAPH_FORMATS[graph]
            body, truncated = bounded_triples(result, rdf_format, max_rows)
            return Result("graph", media_type, body, truncated)
        if tabular is None:
            raise NotAcceptableError("SELECT/ASK results")
        media_type, results_format = TABULAR_FORMATS[tabular]
        kind = "boolean" if isinstance(result, ox.QueryBoolean) else "bindings"
        if max_rows is not None and isinstance(result, ox.QuerySolutions):
            body, truncated = bounded_solutions(result, tabular, max_rows)
            return Result(kind, media_type, body, truncated)
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
        check_no_remote(text, "LOAD")
        check_nesting(text)
        if using_graphs or using_named_graphs:
            for g in (*using_graphs, *using_named_graphs):
                named_node(g)
            text = _add_using(text, using_graphs, using_named_graphs)
        try:
            self._store.update(text, base_iri=base_iri, prefixes=PREFIXES)
        except SyntaxError as e:
            raise QueryError(explain(str(e), text)) from e
        except RuntimeError as e:  # an evaluation error (e.g. DROP of a missing graph)
            raise QueryError(f"the update failed and changed nothing: {e}") from e

    @staticmethod
    def _graph(name: str | None) -> ox.NamedNode | ox.DefaultGraph:
        return ox.DefaultGraph() if name is None else named_node(name)

    def has_graph(self, name: str | None) -> bool:
        """Whether the named graph exists (the default graph always does)."""
        return name is None or self._store.contains_named_graph(named_node(name))

    def dump(self, graphs: Sequence[str] | None = None) -> bytes:
        """The named `graphs` (default: every graph of the store) as N-Quads."""
        if graphs is None:
            return self._store.dump(format=ox.RdfFormat.N_QUADS) or b""
        quads = (
            quad
            for name in graphs
            for quad in self._store.quads_for_pattern(None, None, None, named_node(name))
        )
        return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""

    def serialize_graph(self, name: str | None, fmt: str) -> bytes:
        """One graph (None: the default graph) in the format `fmt` (a GRAPH_FORMATS key)."""
        return self._store.dump(format=GRAPH_FORMATS[fmt][1], from_graph=self._graph(name)) or b""

    def load_graph(self, name: str | None, data: bytes, media_type: str, *, replace: bool) -> bool:
        """Add (or with `replace`, replace) a graph's content; return True if it was created."""
        rdf_format = _INPUT_FORMATS.get(media_type)
        if rdf_format is None:
            raise NotAcceptableError(f"unsupported RDF media type {media_type!r}")
        _check_rdf_input(data, rdf_format)
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
            self._store.remove_graph(named_node(name))
        return True


def rdf_format_of(path: Path) -> ox.RdfFormat:
    formats = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}
    fmt = formats.get(path.suffix) or ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise ValueError(f"unknown RDF format of {path}")
    return fmt


class _Progress(io.RawIOBase):
    """A binary file that reports how much of it has been read (a progress bar on stderr)."""

    def __init__(self, path: Path, done: int, total: int, show: bool) -> None:
        self._file = path.open("rb")
        self._done, self._total, self._show = done, max(total, 1), show
        self._shown = -1

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._file.readinto(buffer)
        self._done += n or 0
        percent = 100 * self._done // self._total
        if self._show and percent != self._shown:
            self._shown = percent
            bar = "#" * (percent // 4)
            print(f"\rloading [{bar:<25}] {percent:3d}%", end="", file=sys.stderr, flush=True)
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def bulk_load(store_path: Path, files: Sequence[Path], progress: bool = True) -> int:
    """Bulk-load RDF `files` into the on-disk store at `store_path`; return its quad count.

    Uses pyoxigraph's bulk loader (no transaction, all cores); with `progress`, a bar on stderr.
    """
    store = ox.Store(str(store_path))
    total = sum(Path(f).stat().st_size for f in files)
    done = 0
    for f in map(Path, files):
        with _Progress(f, done, total, progress) as reader:
            store.bulk_load(input=io.BufferedReader(reader, 1 << 20), format=rdf_format_of(f))
        done += f.stat().st_size
    store.optimize()
    store.flush()
    count = len(store)
    del store
    if progress:
        print(f"\rloaded {count:,} quads into {store_path}".ljust(60), file=sys.stderr)
    return count
