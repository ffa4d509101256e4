"""An existing SPARQL engine behind our front end (`eocic_kg.push` loads the release into it).

`RemoteStore` has the query interface of `eocic_kg.store.Store` but forwards every query to a
remote SPARQL endpoint through SPARQLWrapper, so that `create_app(store=RemoteStore(url))` puts
the linked-data pages, named queries, query page and exports in front of Oxigraph server,
Fuseki, QLever, Virtuoso or GraphDB. Results are re-serialised locally with pyoxigraph, so
clients get the same formats (and row limits) as from the embedded store. The remote store is
read-only here: updates and Graph Store writes are refused (write to the engine itself).

Like the embedded store, the default graph of a query is the union of the named graphs unless
the query (FROM) or the caller names graphs: the front end sends the remote engine one
`default-graph-uri` per named graph (listed once, then cached). Pass
`union_default_graph=False` for engines already configured that way (e.g. `oxigraph serve
--union-default-graph`) or for datasets with too many graphs.
"""

from __future__ import annotations

import ast
import json
import re
import threading
import urllib.error
from collections.abc import Mapping, Sequence
from typing import Any

import pyoxigraph as ox
from rdflib.namespace import XSD
from rdflib.term import BNode, Literal, Node, URIRef
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper import SPARQLExceptions as errors

from eocic_kg.catalogue import internal
from eocic_kg.errors import (
    EngineError,
    NotAcceptableError,
    QueryError,
    RefusedError,
    StoreBusyError,
)
from eocic_kg.prefixes import PREFIXES, query_prefixes
from eocic_kg.query_errors import explain
from eocic_kg.results import (
    GRAPH_FORMATS,
    NO_TABULAR_FORMAT,
    Result,
    serialise,
)
from eocic_kg.sparql_lexer import Analysis, check_request
from eocic_kg.store import named_node
from eocic_kg.store_api import QueryRequest, require_mentioned

_NT = "application/n-triples"
_JSON = "application/sparql-results+json"


def parse_here(analysis: Analysis, base_iri: str | None) -> None:
    """Parse the query with the embedded engine (on an empty store), so that a mistake gets the
    same readable 400 as on the embedded store, and only valid text reaches the remote engine.

    pyoxigraph evaluates SELECT, CONSTRUCT and DESCRIBE lazily: only ASK is evaluated, on
    nothing, within the executor's time limit like any query.
    """
    try:
        ox.Store().query(analysis.text, base_iri=base_iri, prefixes=query_prefixes(analysis.text))
    except SyntaxError as e:
        raise QueryError(explain(str(e), analysis)) from e


def engine_text(
    analysis: Analysis,
    base_iri: str | None,
    substitutions: Mapping[str, Node],
    pragma: str = "",
) -> str:
    """The text sent to a remote engine: `pragma` (an engine's own directive), then BASE, then
    the query's prologue, then PREFIX lines for the predeclared prefixes it uses without
    declaring them (engines such as Virtuoso refuse a BASE after a PREFIX), then the query with
    VALUES binding `substitutions` at the start of its WHERE group and of each subquery's, as
    the embedded engine binds them (everywhere). Nothing is put on
    a line of its own, so the engine's line numbers stay those of the query."""
    text, found = analysis.text, analysis.tokens
    body = found[analysis.body].start if analysis.body < len(found) else len(text)
    missing = [name for name in PREFIXES if name in analysis.used - analysis.declared]
    insertions = [(0, pragma), (body, "".join(f"PREFIX {n}: <{PREFIXES[n]}> " for n in missing))]
    if base_iri and not any(t.word == "BASE" for t in found[: analysis.body]):
        insertions.insert(1, (0, f"BASE <{base_iri}> "))
    if substitutions:
        bound = "".join(_values(name, term) for name, term in substitutions.items())
        where = next((t.start for t in found if t.word == "WHERE" and t.depth == 0), 0)
        group = next(
            (t for t in found if t.text == "{" and t.depth == 0 and t.start >= where), None
        )
        if group is None:
            raise QueryError("the query has no WHERE group to bind parameters in")
        # A substitution binds the variable everywhere, subqueries included (their variables
        # are their own): so each subquery's WHERE group gets the VALUES too. A group that is
        # one subquery (`{ SELECT ... }`) takes nothing before it: its subquery binds.
        groups = [group] + [
            next((t for t in found[i:] if t.text == "{" and t.depth == select.depth), group)
            for i, select in enumerate(found)
            if select.word == "SELECT" and select.depth > 0
        ]
        follows = {t.start: found[i + 1] for i, t in enumerate(found[:-1])}
        for opening in dict.fromkeys(groups):
            if follows.get(opening.start, opening).word != "SELECT":
                insertions.append((opening.end, bound))
    out, last = [], 0
    for offset, piece in sorted(insertions, key=lambda item: item[0]):
        out += [text[last:offset], piece]
        last = offset
    return "".join(out) + text[last:]


def _values(name: str, term: Node) -> str:
    """A VALUES block binding `?name` to `term`, and nothing else, in one solution.

    A decimal is given in a group of two rows, one unbound and filtered out: Virtuoso folds a
    lone decimal row into a constant and then fails to sort a result that returns it (`22003
    SR128: Numeric value out of range for <temporary space column>`), but not a block of two.
    """
    if isinstance(term, Literal) and term.datatype == XSD.decimal:
        return f" {{ VALUES ?{name} {{ {term.n3()} UNDEF }} FILTER(BOUND(?{name})) }}"
    return f" VALUES ?{name} {{ {term.n3()} }}"


def _normalised(body: bytes, substitutions: Mapping[str, Node] | None = None) -> bytes:
    """A JSON SELECT result made readable and exact: blank node labels and bound parameters.

    Virtuoso labels blank nodes `nodeID://b10001`, which is no blank node label: the characters
    a label may not hold become `_`. A variable bound by VALUES is that very term in every
    solution, but engines may write it in another form (Virtuoso returns `"50"^^xsd:decimal` as
    `"50"^^xsd:integer`): the parameters are put back as they were bound.
    """
    if not substitutions and b'"bnode"' not in body:
        return body
    document = json.loads(body)
    terms = {name: _json_term(term) for name, term in (substitutions or {}).items()}
    for row in document.get("results", {}).get("bindings", []):
        for term in row.values():
            if term.get("type") == "bnode":
                term["value"] = _BNODE_UNSAFE.sub("_", term["value"])
        for name, term in terms.items():
            if name in row:
                row[name] = term
    return json.dumps(document).encode("utf-8")


_BNODE_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def _said(error: Exception) -> str:
    """What the engine said in the body of its error response, as text (SPARQLWrapper keeps
    only the `repr` of the bytes in its message)."""
    message = str(error)
    _, found, said = message.partition("Response:\n")
    try:
        body = ast.literal_eval(said) if found else message
    except (ValueError, SyntaxError):
        body = said
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    return " ".join(text.split())[:500]


def _solutions(body: bytes) -> list[ox.QuerySolution]:
    """The rows of a SPARQL JSON SELECT result."""
    result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError("the remote endpoint answered a SELECT with a boolean")
    return list(result)


def _boolean(body: bytes) -> bytes:
    """An ASK answer as a boolean result.

    Virtuoso 7.2 answers ASK in JSON (and XML) as a SELECT of one variable `__ASK_RETVAL`:
    one row with 1 when true, no row when false.
    """
    document = json.loads(body)
    if "boolean" in document:
        return body
    rows = document.get("results", {}).get("bindings", [])
    answer = any(term.get("value") in ("1", "true") for row in rows for term in row.values())
    return json.dumps({"head": {}, "boolean": answer}).encode("utf-8")


#: Graphs Virtuoso keeps for itself (its RDF views and the LDP vocabulary); with the graph
#: holding its own service description they are left out of the union default graph.
VIRTUOSO_SYSTEM_GRAPHS = frozenset(
    {"http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#"}
)


def _json_term(term: Node) -> dict[str, str]:
    """An RDF term (rdflib) as a SPARQL 1.1 JSON results term."""
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if not isinstance(term, Literal):
        raise QueryError(f"cannot bind a parameter to {term!r}")
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out


class RemoteStore:
    """The `StoreAPI` answered by a remote SPARQL endpoint (read-only here).

    The remote engine evaluates, so this is the one store whose executors keep the network:
    whether SERVICE can reach out from there is the engine's own configuration.

    `graphs` fixes the named graphs whose union is the default graph (default: every named
    graph of the engine, listed once; on Virtuoso without its system graphs).

    Virtuoso (recognised by its `Server` header) needs more than the protocol: it answers
    `GRAPH ?g {}` with one unbound row, keeps system graphs beside the data, cuts SELECT results
    at its `ResultSetMaxRows` (saying so in `X-SPARQL-MaxRows`, which we pass on as a truncated
    result) and returns partial results when its time limit strikes (`X-SQL-State: S1TAT`, which
    we refuse with 503 rather than serve as if complete). CONSTRUCT results are cut at
    `ResultSetMaxRows` without a word: graph downloads are therefore read by pages.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float = 30.0,
        union_default_graph: bool = True,
        user_agent: str = "eocic-kg",
        graphs: Sequence[str] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.union_default_graph = union_default_graph
        self.user_agent = user_agent
        self._graphs: list[str] | None = sorted(graphs) if graphs is not None else None
        self._lock = threading.Lock()
        #: The engine's `Server` header, from its last answer ("" before the first).
        self.server = ""

    @property
    def virtuoso(self) -> bool:
        """Whether the engine is OpenLink Virtuoso (by its last answer's `Server` header)."""
        return self.server.lower().startswith("virtuoso")

    def _is_virtuoso(self) -> bool:
        """Whether the engine is Virtuoso, asking it once if it has not answered yet."""
        if not self.server:
            self._request(internal("ping").text, _JSON, form="ASK")
        return self.virtuoso

    def _request(
        self,
        text: str,
        accept: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        *,
        form: str = "SELECT",
    ) -> tuple[bytes, bool]:
        """The engine's answer to the query `text` of the form `form` and whether the engine
        cut it at its own row limit."""
        wrapper = SPARQLWrapper(self.endpoint, agent=self.user_agent)
        wrapper.setMethod(POST)
        wrapper.setOnlyConneg(True)  # no format=/output= parameters: Virtuoso obeys them (406)
        wrapper.setTimeout(int(max(1, self.timeout)))
        # set as known, not guessed again by SPARQLWrapper's regular expression (`setQuery`)
        wrapper.queryString, wrapper.queryType = text, form
        wrapper.setReturnFormat(TURTLE if accept == _NT else JSON)  # Accept is set below
        wrapper.addCustomHttpHeader("Accept", accept)
        for g in default_graphs:
            wrapper.addDefaultGraph(g)
        for g in named_graphs:
            wrapper.addNamedGraph(g)
        try:
            response = wrapper.query().response
            body = response.read()
        except errors.QueryBadFormed as e:
            raise QueryError(f"the remote engine refused the query: {_said(e)}") from e
        except errors.EndPointInternalError as e:
            if "S1T00" in str(e):  # Virtuoso's MaxQueryExecutionTime: "Transaction timed out"
                raise StoreBusyError(
                    "the remote engine stopped the query at its own time limit; "
                    "try a narrower query"
                ) from e
            raise EngineError(f"the remote engine failed: {_said(e)}") from e
        except errors.EndPointNotFound as e:
            raise StoreBusyError(f"{self.endpoint} answers 404: no SPARQL endpoint there") from e
        except errors.SPARQLWrapperException as e:  # 401, 414, ...
            raise EngineError(f"the remote engine refused the request: {_said(e)}") from e
        except urllib.error.HTTPError as e:
            said = " ".join(e.read().decode("utf-8", "replace").split())[:500]
            raise EngineError(f"the remote engine answered HTTP {e.code}: {said}") from e
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, TimeoutError):
                raise StoreBusyError(
                    f"the SPARQL engine at {self.endpoint} did not answer within {self.timeout:g} s"
                ) from e
            why = getattr(reason, "strerror", None) or reason
            raise StoreBusyError(
                f"nothing answers at {self.endpoint} ({why}): is the SPARQL engine running, "
                "and is this its endpoint URL?"
            ) from e
        headers = response.headers
        self.server = headers.get("Server", "") or ""
        state = headers.get("X-SQL-State", "") or ""
        if state.startswith("S1TAT"):  # Virtuoso's "anytime" answer: incomplete
            raise StoreBusyError(
                "the remote engine stopped the query at its own time limit and offered "
                "incomplete results, which are not served; try a narrower query"
            )
        return body, bool(headers.get("X-SPARQL-MaxRows"))

    def _select(self, text: str) -> list[dict[str, Any]]:
        body, truncated = self._request(text, _JSON)
        body = _normalised(body)
        if truncated:
            raise StoreBusyError(
                f"the remote engine cut an internal query at its row limit: {text}"
            )
        return json.loads(body)["results"]["bindings"]

    def named_graphs(self) -> list[str]:
        """The IRIs of the remote named graphs (listed once, then cached)."""
        with self._lock:
            if self._graphs is None:
                rows = self._select(internal("graph-names").text)
                if rows and not any("g" in r for r in rows):  # Virtuoso: one unbound row
                    # counted per graph: 0.02 s on 1M quads, where DISTINCT ?g took 28 s
                    rows = self._select(internal("graph-sizes").text)
                graphs = {r["g"]["value"] for r in rows if r.get("g", {}).get("type") == "uri"}
                if self.virtuoso:
                    graphs -= self._virtuoso_system_graphs()
                self._graphs = sorted(graphs)
            return self._graphs

    def _virtuoso_system_graphs(self) -> set[str]:
        """Virtuoso's own graphs: its fixed ones and the graph describing its endpoint."""
        rows = self._select(internal("service-description-graphs").text)
        return set(VIRTUOSO_SYSTEM_GRAPHS) | {r["g"]["value"] for r in rows if "g" in r}

    def __len__(self) -> int:
        """Number of triples in the named graphs plus the remote default graph."""
        return sum(self.graph_sizes().values())

    def graph_sizes(self) -> dict[str | None, int]:
        """Triple count per graph; the key None is the remote default graph.

        On Virtuoso, whose default graph is the union of all graphs rather than a graph of
        its own, the default graph counts 0.
        """
        graphs = self.named_graphs()
        rows = self._select(internal("graph-sizes").text)
        counts = {r["g"]["value"]: int(r["n"]["value"]) for r in rows}
        sizes: dict[str | None, int] = {g: counts.get(g, 0) for g in graphs}
        if self.virtuoso:
            sizes[None] = 0
        elif self.union_default_graph:  # else the engine's default graph is already the union
            default = self._select(internal("triple-count").text)
            sizes[None] = int(default[0]["n"]["value"]) if default else 0
        return sizes

    def query(self, request: QueryRequest) -> Result:
        """Run a SPARQL query on the remote endpoint; the same answer as `Store.query`.

        The text is read once (`Analysis`), checked and parsed here first (the same 400s as the
        embedded store), then sent in a form the engine takes (`engine_text`).
        """
        analysis, substitutions = Analysis(request.text), request.substitutions
        default_graphs, named_graphs = request.default_graphs, request.named_graphs
        words = check_request(analysis, update=False)
        parse_here(analysis, request.base_iri)
        for g in (*default_graphs, *named_graphs):
            named_node(g)
        require_mentioned(self, request.mentioned, default_graphs, named_graphs)
        union = self.union_default_graph and "FROM" not in words
        if union and not (default_graphs or named_graphs):
            # named too: with default graphs only, Virtuoso's GRAPH ?g spans its system graphs
            default_graphs = named_graphs = tuple(self.named_graphs())
        form = analysis.form
        is_graph = form in ("CONSTRUCT", "DESCRIBE")
        # Virtuoso describes a resource by its outgoing and incoming triples; the concise
        # bounded description is what the embedded store (Oxigraph) answers.
        cbd = form == "DESCRIBE" and self._is_virtuoso()
        pragma = 'define sql:describe-mode "CBD" ' if cbd else ""
        text = engine_text(analysis, request.base_iri, substitutions, pragma)
        accept = _NT if is_graph else _JSON
        body, cut = self._request(text, accept, default_graphs, named_graphs, form=form)
        tabular, graph, max_rows = request.tabular, request.graph, request.max_rows
        if is_graph:
            triples = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
            return serialise(triples, tabular=tabular, graph=graph, max_rows=max_rows)
        if tabular is None:
            raise NotAcceptableError(NO_TABULAR_FORMAT)
        body = _normalised(body, substitutions)
        if form == "ASK":
            body = _boolean(body)

        def parsed() -> ox.QuerySolutions | ox.QueryBoolean:
            return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)

        return serialise(
            parsed(), tabular=tabular, graph=graph, max_rows=max_rows, cut=cut, again=parsed
        )

    def has_graph(self, name: str | None) -> bool:
        """Whether the named graph exists remotely (the default graph always does)."""
        return name is None or name in self.named_graphs()

    def _triples(self, name: str | None) -> list[ox.Triple]:
        """The triples of one graph (None: the remote default graph).

        Read with SELECT, whose results say when the engine cut them at its row limit
        (Virtuoso's `ResultSetMaxRows`); the graph is then read again by pages of an ordered
        subquery (Virtuoso refuses to sort past its row limit at the top level).
        """
        where = "?s ?p ?o" if name is None else f"GRAPH <{named_node(name).value}> {{ ?s ?p ?o }}"
        select = f"SELECT ?s ?p ?o WHERE {{ {where} }}"
        body, cut = self._request(select, _JSON)
        solutions = _solutions(_normalised(body))
        if cut:
            page, solutions = len(solutions), []
            while True:
                ordered = f"{{ {select} ORDER BY ?s ?p ?o }}"
                text = f"SELECT * WHERE {{ {ordered} }} LIMIT {page} OFFSET {len(solutions)}"
                body, _ = self._request(text, _JSON)
                more = _solutions(_normalised(body))
                solutions += more
                if len(more) < page:
                    break
        return [ox.Triple(row["s"], row["p"], row["o"]) for row in solutions]

    def serialize_graph(self, name: str | None, fmt: str) -> bytes:
        """One graph (None: the remote default graph) in the format `fmt`."""
        return ox.serialize(self._triples(name), format=GRAPH_FORMATS[fmt][1]) or b""

    def dump(self, graphs: Sequence[str] | None = None) -> bytes:
        """The named `graphs` (default: every named graph) as N-Quads (read graph by graph)."""
        quads: list[ox.Quad] = []
        for name in self.named_graphs() if graphs is None else graphs:
            g = ox.NamedNode(name)
            quads += (ox.Quad(t.subject, t.predicate, t.object, g) for t in self._triples(name))
        return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""

    def _read_only(self, *_: Any, **__: Any) -> Any:
        raise RefusedError("the remote store is read-only here: write to the engine itself")

    update = _read_only
    load_graph = _read_only
    drop_graph = _read_only
