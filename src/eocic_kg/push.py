"""Upload a release to an existing engine: `push` sends every graph of a dataset file to a server
speaking the SPARQL 1.1 Graph Store HTTP Protocol (one `PUT ?graph=IRI` per named graph,
`PUT ?default` for the default graph), answering its digest or basic challenge."""

from __future__ import annotations

import base64
import hashlib
import secrets
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from eocic_kg.bulk import rdf_format_of

_NT = "application/n-triples"


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
            why = getattr(reason, "strerror", None) or reason
            raise PushError(
                f"nothing answers at {url} ({why}): is the Graph Store running, and is this "
                "its URL?"
            ) from e
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
