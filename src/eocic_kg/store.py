"""The embedded RDF store: the one module that evaluates SPARQL with pyoxigraph.

`Store` holds the release graph in memory (`from_file`) or opens an on-disk store (`open`), and
answers SPARQL queries, updates and Graph Store operations, returning results already serialised
in the requested format. The default graph of a query is the union of all graphs unless the
query (FROM / FROM NAMED) or the caller (protocol dataset) names one.

The server never calls a `Store` in its own process: every call runs in an executor that has no
network (`eocic_kg.web.pool`, `eocic_kg.sandbox`). The text checks here (SERVICE and LOAD
refused, nesting bounded) only make the error clear.

An on-disk store is opened once per process (`ensure_open`, or on first use): a handle never
crosses a fork (RocksDB's threads do not), and a writable store is opened read-write by one
process at a time. A writable store flushes its memory tables to disk after every MiB written
and when asked (`flush`), so that the next process to open it after a kill has little log to
replay.

Each write may carry a *marker* (an IRI the caller chose): it is committed in the same
transaction, as one triple in the bookkeeping graph `WRITES_GRAPH`, so whoever lost the answer
can ask afterwards whether the write was applied (`write_outcome`) and then `forget_write` it.
`hold(path)` takes the lock file that keeps `load` away from a store a server is using.
"""

from __future__ import annotations

import itertools
import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from eocic_kg.bulk import is_store, rdf_format_of
from eocic_kg.catalogue import internal
from eocic_kg.errors import NotAcceptableError, QueryError, RefusedError, StoreBusyError
from eocic_kg.prefixes import query_prefixes
from eocic_kg.query_errors import explain
from eocic_kg.results import (
    GRAPH_FORMATS,
    Answer,
    Result,
    serialise,
)
from eocic_kg.sparql_lexer import MAX_NESTING, Analysis, check_request
from eocic_kg.store_api import QueryRequest, UpdateRequest, require_mentioned

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


#: A JSON string, escapes and all (so brackets inside one are not counted).
_JSON_STRING = rb'"(?:[^"\\]|\\.)*"'
#: What the JSON-LD nesting check reads of a document: strings and brackets.
_JSON_TOKEN = re.compile(_JSON_STRING + rb"|[\[\]{}]")


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


def _add_using(update: Analysis, using: Sequence[str], using_named: Sequence[str]) -> str:
    """Insert USING / USING NAMED clauses for the protocol dataset before each WHERE of `update`.

    Follows SPARQL 1.1 Protocol 2.2.3: a protocol dataset together with USING/WITH is an error.
    """
    significant = update.tokens
    top = [t for t in significant if t.kind == "keyword" and t.depth == 0]
    if any(t.word in ("USING", "WITH") for t in top):
        raise QueryError(
            "using-graph-uri/using-named-graph-uri cannot be combined with USING or WITH"
        )
    clause = "".join(f" USING <{g}>" for g in using)
    clause += "".join(f" USING NAMED <{g}>" for g in using_named)
    out, last = [], 0
    for previous, t in itertools.pairwise([None, *significant]):
        if t is not None and t.depth == 0 and t.word == "WHERE":
            if previous is not None and previous.word == "DELETE":
                raise QueryError("using-graph-uri cannot be applied to DELETE WHERE")
            out.append(update.text[last : t.start] + clause + " ")
            last = t.start
    out.append(update.text[last:])
    return "".join(out)


def named_node(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as e:
        raise QueryError(f"invalid graph IRI {iri!r}: {e}") from e


def ox_term(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The pyoxigraph term for an rdflib IRI, blank node or literal (ValueError if invalid)."""
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
    raise ValueError(f"not an IRI, blank node or literal: {term!r}")


def _bound(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A query parameter's value as a pyoxigraph term; QueryError if it is not one."""
    try:
        return ox_term(term)
    except ValueError as e:
        raise QueryError(f"invalid parameter value {str(term)!r}: {e}") from e


#: Triples written by one call of the engine's bulk loader during an upload (about 60 MiB).
UPLOAD_CHUNK = 50_000
#: What one chunk counts towards the store's flush threshold (`FLUSH_BYTES`).
UPLOAD_CHUNK_BYTES = 8 * 2**20
#: Largest body of a replacing upload of one chunk written as one update (`_replace_graph`):
#: the update holds about twice what a chunk's `extend` does (a 50 MiB body of 50,000 triples:
#: 384 MiB against 180), so a body of at most this size (about 120 MiB) holds no more than a
#: chunk may; larger bodies are chunked.
ATOMIC_REPLACE_BYTES = 16 * 2**20


#: The position the engine's parser puts before its message (said again as `_parse` words it).
_PARSER_POSITION = re.compile(
    r"^Parser error at line \d+ (?:column \d+|between columns \d+ and \d+): "
)


def _parse(data: bytes | Path, rdf_format: ox.RdfFormat, base: str | None) -> Iterator[ox.Quad]:
    """The triples of an upload as the engine's parser reads them; QueryError if invalid,
    naming the request body and the line and column (never the file it was spooled to)."""
    source = {"path": str(data)} if isinstance(data, Path) else {"input": data}
    try:
        yield from ox.parse(**source, format=rdf_format, base_iri=base, without_named_graphs=True)
    except SyntaxError as e:
        where = f", line {e.lineno}" if e.lineno else ""
        where += f", column {e.offset}" if where and e.offset else ""
        detail = _PARSER_POSITION.sub("", e.msg, count=1) if where else e.msg
        raise QueryError(f"the request body{where}: {detail}") from e
    except ValueError as e:
        raise QueryError(str(e)) from e


#: The tokens of a JSON text: strings, punctuation, and the other scalars (numbers, literals).
_JSON_ITEM = re.compile(_JSON_STRING + rb'|[\[\]{}:,]|[^\s\[\]{}:,"]+')


def _holds_data(document: bytes) -> bool:
    """Whether a JSON-LD document (valid JSON) holds anything besides its contexts and empty
    objects and arrays (`{}`, `[]`, `{"@context": ..., "@graph": []}` hold nothing): a key
    that is not a keyword, or a value. Read a token at a time, so in bounded memory."""
    depth, skipping, pending = 0, None, None  # skipping: depth of an @context being skipped
    for m in _JSON_ITEM.finditer(document):
        token = m.group()
        if token in (b"{", b"["):
            depth += 1
        elif token in (b"}", b"]"):
            depth -= 1
        if skipping is not None:
            if depth < skipping or (depth == skipping and token == b","):
                skipping = None
            continue
        if pending is not None:  # a string: a key if a ":" follows, else a value
            if token != b":":
                return True
            if pending == b'"@context"':
                skipping = depth
            elif not pending.startswith(b'"@'):
                return True
            pending = None
        elif token.startswith(b'"'):
            pending = token
        elif token not in (b"{", b"}", b"[", b"]", b","):
            return True  # a number, true, false or null
    return pending is not None


def _fresh(term: Any, prefix: str) -> Any:
    """`term`, a blank node renamed under `prefix` (so each upload's blank nodes are new)."""
    return ox.BlankNode(prefix + term.value) if isinstance(term, ox.BlankNode) else term


#: Why a JSON-LD upload that holds data but gives no triples is refused.
_NO_TRIPLES = (
    "the JSON-LD body gives no triples: JSON-LD drops every key that maps to no IRI (and every "
    "node with no property), so nothing would be stored; give an @context that maps its keys "
    'to IRIs (e.g. {"@context": {"name": "https://schema.org/name"}, ...}), or use full IRIs '
    "as keys"
)
#: The bookkeeping graph of write markers (see the module docstring); empty at rest.
WRITES_GRAPH = "urn:eocic:writes"
_MARKER_RESULT = "urn:eocic:result"
#: The marker value of an upload whose chunks are being written (see `Store.load_graph`).
PARTIAL = "partial"
#: Operations of SPARQL Update: one of them ends an operation that a ";" must follow.
_OPERATIONS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
#: A writable store flushes its memory tables once this much was written since the last flush.
FLUSH_BYTES = 2**20


def _ends_with_operation(update: Analysis) -> bool:
    """Whether a ";" must follow `update` before another operation: it ends with one (not
    with a ";", and it is not a bare prologue)."""
    pending = False
    for t in update.tokens:
        if t.depth == 0 and t.text == ";":
            pending = False
        elif t.depth == 0 and t.word in _OPERATIONS:
            pending = True
    return pending


def _marker_quads(marker: str, value: str) -> list[ox.Quad]:
    """The marker of a write as the quad its transaction adds (see `_with_marker`)."""
    return [
        ox.Quad(
            named_node(marker),
            ox.NamedNode(_MARKER_RESULT),
            ox.Literal(value),
            ox.NamedNode(WRITES_GRAPH),
        )
    ]


def _with_marker(
    update: str, marker: str | None, result: bool | None, *, separate: bool, partial: bool = False
) -> str:
    """`update` followed, in the same request (so the same transaction), by its marker, after
    a ";" if `separate`. The marker's triple records what the write returns, or that it is
    being written in part (`partial`: an upload's chunks, see `Store.load_graph`)."""
    if marker is None:
        return update
    named_node(marker)  # a valid IRI, safe to write into the update
    value = PARTIAL if partial else "none" if result is None else str(result).lower()
    record = f'GRAPH <{WRITES_GRAPH}> {{ <{marker}> <{_MARKER_RESULT}> "{value}" }}'
    return f"{update}\n{';' if separate else ''} INSERT DATA {{ {record} }}"


#: Handles opened by a parent process and found after a fork: kept, never dropped (dropping
#: one would run RocksDB's shutdown without its threads).
_INHERITED: list[ox.Store] = []
#: How long a writer waits for the previous writer process to release the store (outside any
#: request's time limit: the pool stops a writer within seconds, SIGTERM then SIGKILL).
_OPEN_PATIENCE = 60.0


class Store:
    """A SPARQL store in memory (`from_file`, `Store()`) or on disk (`open`)."""

    def __init__(self, path: Path | None = None, *, writable: bool = False) -> None:
        self.path = path
        self.writable = writable or path is None
        self._handle: ox.Store | None = ox.Store() if path is None else None
        self._pid = os.getpid()
        self._unflushed = 0

    @property
    def _store(self) -> ox.Store:
        """The pyoxigraph store; an on-disk one is opened on first use in each process."""
        if self.path is not None and (self._handle is None or self._pid != os.getpid()):
            if self._handle is not None:
                _INHERITED.append(self._handle)
            self._handle, self._pid = None, os.getpid()
            self._handle = self._open_on_disk(self.path)
        assert self._handle is not None
        return self._handle

    def _open_on_disk(self, path: Path) -> ox.Store:
        if not self.writable:
            return ox.Store.read_only(str(path))
        deadline = time.monotonic() + _OPEN_PATIENCE
        while True:  # a killed writer's lock goes with its process, a moment later
            try:
                return ox.Store(str(path))
            except OSError as e:
                if "lock" not in str(e).lower() or time.monotonic() > deadline:
                    raise StoreBusyError(f"cannot open {path} for writing: {e}") from e
                time.sleep(0.05)

    @property
    def on_disk(self) -> bool:
        """Whether the store lives on disk (and its writes survive the process)."""
        return self.path is not None

    def close(self) -> None:
        """Let go of this process's handle on an on-disk store (it reopens on next use)."""
        if self.path is not None and self._pid == os.getpid():
            self._handle = None

    def ensure_open(self) -> None:
        """Open an on-disk store now (a writable one may first replay its log)."""
        self._store  # noqa: B018 - the property opens it

    def flush(self) -> None:
        """Write a writable on-disk store's memory tables to disk, if this process holds it."""
        if self.path is not None and self.writable and self._pid == os.getpid() and self._handle:
            self._handle.flush()
            self._unflushed = 0

    def _written(self, size: int) -> None:
        """Count `size` bytes written; flush once a MiB has gone unflushed."""
        self._unflushed += size
        if self._unflushed >= FLUSH_BYTES:
            self.flush()

    def _apply(
        self,
        text: str,
        marker: str | None,
        result: bool | None = None,
        *,
        separate: bool = True,
        partial: bool = False,
        **options: Any,
    ) -> None:
        """Run `text` and its marker as one update request (one transaction)."""
        marked = _with_marker(text, marker, result, separate=separate, partial=partial)
        self._store.update(marked, **options)
        self._written(len(text))

    def write_outcome(self, marker: str) -> tuple[bool | None, bool | None]:
        """Whether the write marked `marker` was applied (None: in part, an upload stopped
        between its chunks), and what it returned."""
        found = self._store.quads_for_pattern(
            ox.NamedNode(marker), ox.NamedNode(_MARKER_RESULT), None, ox.NamedNode(WRITES_GRAPH)
        )
        values = {str(quad.object.value) for quad in found}  # type: ignore[union-attr]
        for value in values - {PARTIAL}:
            return True, None if value == "none" else value == "true"
        return (None, None) if values else (False, None)

    def forget_write(self, marker: str) -> None:
        """Remove the marker of a write whose outcome its client knows."""
        self._store.update(f"DELETE WHERE {{ GRAPH <{WRITES_GRAPH}> {{ <{marker}> ?p ?o }} }}")

    @classmethod
    def from_file(cls, path: Path) -> Store:
        """Load an N-Quads (or Turtle/N-Triples/TriG by extension) file into memory."""
        store = cls()
        store._store.load(path=str(path), format=rdf_format_of(path))
        return store

    @classmethod
    def open(cls, path: Path, *, writable: bool = False) -> Store:
        """An on-disk store made by `bulk_load`, opened lazily (in milliseconds) where used."""
        if not is_store(path):
            raise FileNotFoundError(f"{path} is not a store: run `eocic-kg load FILE --store PATH`")
        return cls(Path(path), writable=writable)

    def __len__(self) -> int:
        """Number of quads in the store."""
        return len(self._store)

    def graph_sizes(self) -> dict[str | None, int]:
        """Triple count per graph; the key None is the store's default graph.

        Counted by the engine (two aggregate queries), not by iterating quads in Python.
        """
        named = self._store.query(internal("graph-sizes").text)
        default = self._store.query(internal("triple-count").text)
        assert isinstance(named, ox.QuerySolutions) and isinstance(default, ox.QuerySolutions)
        sizes: dict[str | None, int] = {row["g"].value: int(row["n"].value) for row in named}
        sizes[None] = int(next(iter(default))["n"].value)
        return sizes

    def query(self, request: QueryRequest) -> Result:
        """Run a SPARQL query and serialise its result as the request asks."""
        text = request.text
        analysis = Analysis(text)  # tokenized when a check or an error message needs it
        words = check_request(analysis, update=False)
        require_mentioned(self, request.mentioned, request.default_graphs, request.named_graphs)
        kwargs: dict = {"base_iri": request.base_iri, "prefixes": query_prefixes(text)}
        if request.substitutions:
            kwargs["substitutions"] = {
                ox.Variable(name): _bound(term) for name, term in request.substitutions.items()
            }
        if request.default_graphs or request.named_graphs:
            kwargs["default_graph"] = [named_node(g) for g in request.default_graphs]
            kwargs["named_graphs"] = [named_node(g) for g in request.named_graphs]
        elif "FROM" not in words:
            kwargs["use_default_graph_as_union"] = True

        def evaluated() -> Answer:
            return self._store.query(text, **kwargs)

        try:
            return serialise(
                evaluated(),
                tabular=request.tabular,
                graph=request.graph,
                max_rows=request.max_rows,
                again=evaluated,
            )
        except SyntaxError as e:
            raise QueryError(explain(str(e), analysis)) from e
        except RuntimeError as e:  # the engine refuses what the text asks for
            if "is not supported" not in str(e):
                raise
            raise QueryError(f"the query asks for what this engine does not support: {e}") from e

    def update(self, request: UpdateRequest, *, marker: str | None = None) -> None:
        """Run a SPARQL update (atomically, with its `marker`); LOAD and SERVICE are refused."""
        if not self.writable:
            raise RefusedError("this store is read-only")
        using, using_named = request.using_graphs, request.using_named_graphs
        analysis = Analysis(request.text)
        check_request(analysis, update=True)
        if using or using_named:
            for g in (*using, *using_named):
                named_node(g)
            analysis = Analysis(_add_using(analysis, using, using_named))
        text = analysis.text
        base, prefixes = request.base_iri, query_prefixes(text)
        try:
            separate = marker is not None and _ends_with_operation(analysis)
            self._apply(text, marker, separate=separate, base_iri=base, prefixes=prefixes)
        except SyntaxError as marked:
            # the message names positions in the update as sent, without its marker: parse
            # it again alone, in an empty store (a parse error applies nothing)
            error = marked
            try:
                ox.Store().update(text, base_iri=base, prefixes=prefixes)
            except SyntaxError as alone:
                error = alone
            raise QueryError(explain(str(error), analysis)) from error
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

    def load_graph(
        self,
        name: str | None,
        data: bytes | Path,
        media_type: str,
        *,
        replace: bool,
        marker: str | None = None,
    ) -> bool:
        """Add (or with `replace`, replace) a graph's content from `data` (the body, or a file
        holding it); return True if the graph was created.

        The body is parsed in full first, so one the engine refuses changes nothing. It is then
        written in chunks of `UPLOAD_CHUNK` triples, one transaction each: memory stays bounded
        whatever the size (one transaction of the whole body holds about 18 times the body, see
        `bench/bench_upload.py`). Blank nodes are new to the store, as in INSERT DATA. An upload
        of one chunk is atomic, one replacing a graph too if its body is at most
        `ATOMIC_REPLACE_BYTES` (emptying the graph and writing are then one transaction); any
        other is not, and its `marker` says "in part" from its first chunk (or from emptying the
        graph it replaces) until its last. A JSON-LD body that holds data but gives no triples
        (its keys map to no IRI) is refused, as a mistake to say.
        """
        rdf_format = _INPUT_FORMATS.get(media_type)
        if rdf_format is None:
            raise NotAcceptableError(f"unsupported RDF media type {media_type!r}")
        document = b""  # the whole body, for the formats checked as a whole
        if rdf_format in (ox.RdfFormat.RDF_XML, ox.RdfFormat.JSON_LD):
            document = data.read_bytes() if isinstance(data, Path) else data
            _check_rdf_input(document, rdf_format)
        graph = self._graph(name)
        # refuse a bad body before writing anything
        triples = sum(1 for _ in _parse(data, rdf_format, name))
        if not triples and rdf_format == ox.RdfFormat.JSON_LD and _holds_data(document):
            raise QueryError(_NO_TRIPLES)
        created = not self.has_graph(name)
        fresh = f"u{uuid.uuid4().hex}"  # this upload's prefix of blank node labels
        quads = (
            ox.Quad(_fresh(q.subject, fresh), q.predicate, _fresh(q.object, fresh), graph)
            for q in _parse(data, rdf_format, name)
        )
        size = data.stat().st_size if isinstance(data, Path) else len(data)
        if replace and not created and triples <= UPLOAD_CHUNK and size <= ATOMIC_REPLACE_BYTES:
            self._replace_graph(graph, quads if triples else None, marker)
            return created
        if replace and not created:
            if marker is not None:  # emptied before any chunk is written: say so first
                self._store.extend(_marker_quads(marker, PARTIAL))
            self._store.clear_graph(graph)
        # Each chunk is one transaction with its marker: the first says "in part" (unless the
        # only one), the last what the upload returns; so a lost answer is settled exactly.
        final = str(created).lower()
        chunk, first = list(itertools.islice(quads, UPLOAD_CHUNK)), True
        while chunk:
            following = list(itertools.islice(quads, UPLOAD_CHUNK))
            value = final if not following else PARTIAL if first else None
            extra = _marker_quads(marker, value) if marker and value else []
            self._store.extend(chunk + extra)
            self._written(UPLOAD_CHUNK_BYTES)
            chunk, first = following, False
        if first:  # no triples: the graph is created empty
            if isinstance(graph, ox.NamedNode):
                self._store.add_graph(graph)
            if marker is not None:
                self._store.extend(_marker_quads(marker, final))
        return created

    def _replace_graph(
        self,
        graph: ox.NamedNode | ox.DefaultGraph,
        quads: Iterable[ox.Quad] | None,
        marker: str | None,
    ) -> None:
        """Empty the existing `graph` and write `quads` (its triples; None: none) into it as
        one update request, so one transaction with its marker (the upload created no graph).
        The update's text is the graph's IRI and the engine's own N-Triples of the parsed
        triples, never the client's text; INSERT DATA gives their blank nodes new labels, as
        `_fresh` does."""
        default = isinstance(graph, ox.DefaultGraph)
        parts = [f"CLEAR SILENT {'DEFAULT' if default else f'GRAPH {graph}'}"]
        if quads is not None:
            triples = ox.serialize(
                (ox.Triple(q.subject, q.predicate, q.object) for q in quads),
                format=ox.RdfFormat.N_TRIPLES,
            )
            parts += [
                f" ;\nINSERT DATA {{{'' if default else f' GRAPH {graph} {{'}\n",
                (triples or b"").decode(),
                "}" if default else "} }",
            ]
            del triples  # the text holds them now: one copy fewer at the engine's parse
        self._apply("".join(parts), marker, False)

    def drop_graph(self, name: str | None, *, marker: str | None = None) -> bool:
        """Remove a graph (None: empty the default graph); False if it did not exist.

        A graph of more than `UPLOAD_CHUNK` triples is emptied a chunk per transaction first
        (one transaction of a whole large graph holds it all in memory: dropping what a 256 MiB
        upload wrote needed more than the 1 GiB budget), its marker saying "in part" from the
        first chunk; the last chunk and the drop are one transaction with the result."""
        existed = self.has_graph(name)
        if not existed:
            if marker is not None:
                self._apply("", marker, False, separate=False)
            return existed
        graph = self._graph(name)
        pattern = "{ ?s ?p ?o }" if name is None else f"{{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
        chunk = (
            f"DELETE {{ {pattern[2:-2]} }} WHERE "
            f"{{ {{ SELECT ?s ?p ?o WHERE {pattern} LIMIT {UPLOAD_CHUNK} }} }}"
        )
        first = True
        while (
            next(
                itertools.islice(
                    self._store.quads_for_pattern(None, None, None, graph), UPLOAD_CHUNK, None
                ),
                None,
            )
            is not None
        ):
            self._apply(chunk, marker if first else None, partial=True)
            self._written(UPLOAD_CHUNK_BYTES)
            first = False
        self._apply("CLEAR DEFAULT" if name is None else f"DROP GRAPH <{name}>", marker, True)
        return existed
