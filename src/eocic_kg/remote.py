"""Existing SPARQL engines behind our front end: push the release, query a remote endpoint.

`push` uploads every graph of a dataset file to a server speaking the SPARQL 1.1 Graph Store
HTTP Protocol (one `PUT ?graph=IRI` per named graph, `PUT ?default` for the default graph).

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

import base64
import hashlib
import json
import secrets
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper  # type: ignore[import-untyped]
from SPARQLWrapper import SPARQLExceptions as errors  # type: ignore[import-untyped]

from eocic_kg.errors import NotAcceptableError, QueryError, RefusedError
from eocic_kg.prefixes import with_prefix_lines
from eocic_kg.sparql_lexer import check_request, tokens
from eocic_kg.store import (
    GRAPH_FORMATS,
    TABULAR_FORMATS,
    Result,
    bounded_solutions,
    bounded_triples,
    named_node,
    rdf_format_of,
)

_NT = "application/n-triples"
_JSON = "application/sparql-results+json"


class PushError(RuntimeError):
    """The Graph Store refused an upload."""


class _Credentials:
    """HTTP authentication as the server asks for it: digest (RFC 7616) or basic (RFC 7617).

    Nothing is sent before the server has challenged: the password never goes to a server that
    did not ask, and basic authentication only to one that names it. Virtuoso's authenticated
    Graph Store (`/sparql-graph-crud-auth`) asks for digest.
    """

    def __init__(self, user: str, password: str) -> None:
        self.user = user
        self.password = password
        self.scheme: str | None = None
        self.challenge: dict[str, str] = {}
        self.count = 0

    def learn(self, headers: Any) -> bool:
        """Take the server's challenge from a 401 response's headers; False if none we speak."""
        offers = headers.get_all("WWW-Authenticate") or []
        for wanted in ("digest", "basic"):
            for offer in offers:
                scheme, _, params = offer.strip().partition(" ")
                if scheme.lower() != wanted:
                    continue
                challenge = {
                    k.lower(): v
                    for k, v in urllib.request.parse_keqv_list(
                        urllib.request.parse_http_list(params)
                    ).items()
                }
                algorithm = challenge.get("algorithm", "MD5").upper().removesuffix("-SESS")
                if wanted == "digest" and algorithm not in _DIGESTS:
                    continue
                self.scheme, self.challenge, self.count = wanted, challenge, 0
                return True
        return False

    def header(self, method: str, url: str) -> str | None:
        """The Authorization header for a request, once the server has challenged."""
        if self.scheme == "basic":
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")
            return f"Basic {token}"
        if self.scheme != "digest":
            return None
        c = self.challenge
        algorithm = c.get("algorithm", "MD5").upper()
        digest = _DIGESTS[algorithm.removesuffix("-SESS")]

        def h(text: str) -> str:
            return hashlib.new(digest, text.encode("utf-8")).hexdigest()

        parts = urllib.parse.urlsplit(url)
        uri = parts.path + (f"?{parts.query}" if parts.query else "")
        realm, nonce = c.get("realm", ""), c.get("nonce", "")
        self.count += 1
        nc, cnonce = f"{self.count:08x}", secrets.token_hex(8)
        ha1 = h(f"{self.user}:{realm}:{self.password}")
        if algorithm.endswith("-SESS"):
            ha1 = h(f"{ha1}:{nonce}:{cnonce}")
        ha2 = h(f"{method}:{uri}")
        qops = [q.strip() for q in c.get("qop", "").split(",") if q.strip()]
        fields = {"username": self.user, "realm": realm, "nonce": nonce, "uri": uri}
        if "auth" in qops:
            response = h(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        elif not qops:
            response = h(f"{ha1}:{nonce}:{ha2}")
        else:
            raise PushError(f"the server asks for digest qop={c['qop']}, which is not supported")
        fields |= {"algorithm": c.get("algorithm", "MD5"), "response": response}
        if "opaque" in c:
            fields["opaque"] = c["opaque"]
        quoted = ", ".join(f'{k}="{v}"' for k, v in fields.items())
        return f"Digest {quoted}" + (f', qop=auth, nc={nc}, cnonce="{cnonce}"' if qops else "")


_DIGESTS = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


def _send(
    url: str,
    method: str,
    credentials: _Credentials | None,
    timeout: float,
    body: BinaryIO | None = None,
    headers: Mapping[str, str] | None = None,
) -> int:
    """One request, answered once more with credentials if the server challenges; the status.

    The body is a seekable file, rewound for the second attempt.
    """
    for attempt in (1, 2):
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
        if credentials is not None and (auth := credentials.header(method, url)):
            request.add_header("Authorization", auth)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as e:
            if e.code == 401 and method == "HEAD" and credentials is None:
                raise PushError(
                    f"{url}: HTTP 401, the Graph Store wants credentials "
                    "(--user, with --password-file or $EOCIC_GRAPH_STORE_PASSWORD)"
                ) from e
            detail = e.read().decode("utf-8", "replace")[:500].strip()
            if e.code == 401 and credentials is None:
                raise PushError(
                    f"{method} {url}: HTTP 401, the Graph Store wants credentials"
                ) from e
            if e.code == 401 and attempt == 1 and credentials is not None:
                if not credentials.learn(e.headers):
                    offered = ", ".join(e.headers.get_all("WWW-Authenticate") or []) or "nothing"
                    raise PushError(f"{method} {url}: HTTP 401, the server offers {offered}") from e
                if body is not None:
                    body.seek(0)
                continue
            if e.code == 401:
                raise PushError(f"{method} {url}: HTTP 401, the credentials were refused") from e
            if method == "HEAD":  # a probe: any answer but 401 is fine
                return e.code
            raise PushError(f"{method} {url}: HTTP {e.code} {detail}") from e
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise PushError(f"{method} {url}: {reason}") from e
    raise AssertionError("unreachable")


def push(
    dataset_file: Path,
    graph_store_url: str,
    *,
    timeout: float = 600,
    quiet: bool = False,
    user: str | None = None,
    password: str | None = None,
) -> dict[str | None, int]:
    """PUT every graph of `dataset_file` to `graph_store_url`; return triples per graph.

    Each graph replaces the server's graph of the same name; the key None is the default graph
    (sent only if it has triples). The file is parsed with pyoxigraph (format by extension).
    With `user` and `password`, the server's challenge is answered (digest or basic); a HEAD
    request takes the challenge first, so no graph is sent twice.
    """
    if (user is None) != (password is None):
        raise PushError("a user needs a password and a password a user")
    credentials = None if user is None or password is None else _Credentials(user, password)
    store = ox.Store()
    store.bulk_load(path=str(dataset_file), format=rdf_format_of(Path(dataset_file)))
    graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = list(store.named_graphs())
    if any(True for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph())):
        graphs.insert(0, ox.DefaultGraph())
    counts: dict[str | None, int] = {}
    for graph in graphs:
        if isinstance(graph, ox.BlankNode):
            raise PushError("a graph named by a blank node cannot be addressed over HTTP")
        name = None if isinstance(graph, ox.DefaultGraph) else graph.value
        query = "default" if name is None else urllib.parse.urlencode({"graph": name})
        sep = "&" if "?" in graph_store_url else "?"
        url = f"{graph_store_url}{sep}{query}"
        if graph is graphs[0]:  # a probe: is the store there, does it want credentials?
            _send(url, "HEAD", credentials, timeout)
        with tempfile.TemporaryFile() as body:
            store.dump(output=body, format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
            size = body.tell()
            body.seek(0)
            headers = {"Content-Type": _NT, "Content-Length": str(size)}
            _send(url, "PUT", credentials, timeout, body, headers)
        counts[name] = sum(1 for _ in store.quads_for_pattern(None, None, None, graph))
        if not quiet:
            print(f"pushed {counts[name]:,} triples to {name or 'the default graph'}")
    return counts


def _inject_values(text: str, substitutions: Mapping[str, Node]) -> str:
    """Bind variables by a VALUES block at the start of the query's top-level WHERE group."""
    values = "".join(f" VALUES ?{name} {{ {term.n3()} }}" for name, term in substitutions.items())
    significant = list(tokens(text))
    where = next((t.start for t in significant if t.word == "WHERE" and t.depth == 0), 0)
    for t in significant:
        if t.text == "{" and t.depth == 0 and t.start >= where:
            end = t.start + 1
            return text[:end] + values + text[end:]
    raise QueryError("the query has no WHERE group to bind parameters in")


class RemoteStore:
    """The `StoreAPI` answered by a remote SPARQL endpoint (read-only here).

    The remote engine evaluates, so this is the one store whose executors keep the network:
    whether SERVICE can reach out from there is the engine's own configuration.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float = 30.0,
        union_default_graph: bool = True,
        user_agent: str = "eocic-kg",
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.union_default_graph = union_default_graph
        self.user_agent = user_agent
        self._graphs: list[str] | None = None
        self._lock = threading.Lock()

    def _request(
        self,
        text: str,
        accept: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> bytes:
        wrapper = SPARQLWrapper(self.endpoint, agent=self.user_agent)
        wrapper.setMethod(POST)
        wrapper.setTimeout(int(max(1, self.timeout)))
        wrapper.setQuery(text)
        wrapper.setReturnFormat(TURTLE if accept == _NT else JSON)  # Accept is set below
        wrapper.addCustomHttpHeader("Accept", accept)
        for g in default_graphs:
            wrapper.addDefaultGraph(g)
        for g in named_graphs:
            wrapper.addNamedGraph(g)
        try:
            response = wrapper.query().response
            return response.read()
        except errors.QueryBadFormed as e:
            raise QueryError(f"the remote endpoint refused the query: {e}") from e

    def _select(self, text: str) -> list[dict[str, Any]]:
        body = self._request(text, _JSON)
        return json.loads(body)["results"]["bindings"]

    def named_graphs(self) -> list[str]:
        """The IRIs of the remote named graphs (listed once, then cached)."""
        with self._lock:
            if self._graphs is None:
                rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
                self._graphs = sorted(r["g"]["value"] for r in rows if r["g"]["type"] == "uri")
            return self._graphs

    def __len__(self) -> int:
        """Number of triples in the named graphs plus the remote default graph."""
        return sum(self.graph_sizes().values())

    def graph_sizes(self) -> dict[str | None, int]:
        """Triple count per graph; the key None is the remote default graph."""
        rows = self._select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        sizes: dict[str | None, int] = {r["g"]["value"]: int(r["n"]["value"]) for r in rows}
        if self.union_default_graph:  # else the engine's default graph is already the union
            default = self._select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            sizes[None] = int(default[0]["n"]["value"]) if default else 0
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
        """Run a SPARQL query on the remote endpoint; same arguments and result as Store.query."""
        words = check_request(text, update=False)
        if base_iri and "BASE" not in words:
            text = f"BASE <{base_iri}>\n{text}"
        if substitutions:
            text = _inject_values(text, substitutions)
        text = with_prefix_lines(text)  # the predeclared prefixes, which the remote may not know
        for g in (*default_graphs, *named_graphs):
            named_node(g)
        union = self.union_default_graph and "FROM" not in words
        if union and not (default_graphs or named_graphs):
            default_graphs = self.named_graphs()
        wrapper = SPARQLWrapper(self.endpoint)
        wrapper.setQuery(text)
        is_graph = wrapper.queryType in ("CONSTRUCT", "DESCRIBE")
        body = self._request(text, _NT if is_graph else _JSON, default_graphs, named_graphs)
        if is_graph:
            if graph is None:
                raise NotAcceptableError("CONSTRUCT/DESCRIBE results")
            media_type, rdf_format = GRAPH_FORMATS[graph]
            triples = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
            out, truncated = bounded_triples(triples, rdf_format, max_rows)
            return Result("graph", media_type, out, truncated)
        if tabular is None:
            raise NotAcceptableError("SELECT/ASK results")
        media_type, results_format = TABULAR_FORMATS[tabular]
        result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        kind = "boolean" if isinstance(result, ox.QueryBoolean) else "bindings"
        if max_rows is not None and isinstance(result, ox.QuerySolutions):
            out, truncated = bounded_solutions(result, tabular, max_rows)
            return Result(kind, media_type, out, truncated)
        return Result(kind, media_type, result.serialize(format=results_format) or b"")

    def has_graph(self, name: str | None) -> bool:
        """Whether the named graph exists remotely (the default graph always does)."""
        return name is None or name in self.named_graphs()

    def _construct(self, name: str | None) -> bytes:
        if name is None:
            return self._request("CONSTRUCT WHERE { ?s ?p ?o }", _NT)
        return self._request(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{named_node(name).value}> {{ ?s ?p ?o }} }}",
            _NT,
        )

    def serialize_graph(self, name: str | None, fmt: str) -> bytes:
        """One graph (None: the remote default graph) in the format `fmt`."""
        triples = ox.parse(self._construct(name), format=ox.RdfFormat.N_TRIPLES)
        return ox.serialize(triples, format=GRAPH_FORMATS[fmt][1]) or b""

    def dump(self, graphs: Sequence[str] | None = None) -> bytes:
        """The named `graphs` (default: every named graph) as N-Quads (one CONSTRUCT per graph)."""
        quads: list[ox.Quad] = []
        for name in self.named_graphs() if graphs is None else graphs:
            g = ox.NamedNode(name)
            for t in ox.parse(self._construct(name), format=ox.RdfFormat.N_TRIPLES):
                quads.append(ox.Quad(t.subject, t.predicate, t.object, g))
        return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""

    def _read_only(self, *_: Any, **__: Any) -> Any:
        raise RefusedError("the remote store is read-only here: write to the engine itself")

    update = _read_only
    load_graph = _read_only
    drop_graph = _read_only
