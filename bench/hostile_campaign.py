"""A hostile-client campaign against real `eocic-kg serve` processes on loopback ports.

    python bench/hostile_campaign.py [--release dist/eocic.nq] [--rounds 3]

Starts a read-only server (in-memory release) and a writable one (on-disk store made from the
release), and a loopback listener that counts every connection it receives. Then, per round:
obfuscated SERVICE / LOAD / remote FROM variants by GET, form POST and direct POST; client
hang-ups (slow queries and large downloads); runaway updates; oversized, chunked, malformed and
non-UTF-8 bodies; cross-site writes. Marker writes go to the writable server before, during and
after; at the end the whole writable server is killed with SIGKILL and restarted from its store.

Once, the attacks of the internals review (issue 20): slow clients (`--slow` connections that
each send a byte of a request and wait), slow readers (connections that ask for a large result
and never read it), cache growth (distinct junk arguments and Host headers),
an upload near the stated limit (`--upload-mib`), writes while executors are killed at random,
RDF 1.2 terms in a private graph, a hub node with tens of thousands of incoming links, and the
WAL wedge (large writes, a runaway read, then the restarted store must answer). A watcher asks
`/health` of both servers throughout.

Reports: requests tried, connections seen by the listener, 5xx responses, server processes
before and after, marker writes kept, every write answer checked against the store, memory
growth of the server trees, and the slowest `/health`. Exit status 1 if the listener saw a
connection, a write was lost or answered wrongly, an unexpected 5xx came back, memory grew past
the budget, `/health` went unanswered, or a process outlived its server.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

MiB = 2**20
VIEWS_MB = 32  # the read-only server's budget for derived views (--views-mb)
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
#: A result of several MiB, streamed from its executor in pieces.
LARGE_QUERY = (
    "SELECT ?s ?p ?o ?x WHERE { ?s ?p ?o "
    "BIND(CONCAT(STR(?s), STR(?p), STR(?o), STR(?s), STR(?p), STR(?o)) AS ?x) }"
)
MARKERS = "http://example.org/campaign/markers"


class Listener:
    """A loopback listener counting connections (what a forged request would reach)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped by init, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _rss(pids: set[int]) -> int:
    """The resident memory of `pids` together, in bytes (processes gone meanwhile count 0)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _executors(pid: int) -> set[int]:
    """The query executors below `pid` (they name themselves "eocic-executor")."""
    found = set()
    for child in _descendants(pid):
        try:
            if Path(f"/proc/{child}/comm").read_text().strip() == "eocic-executor":
                found.add(child)
        except FileNotFoundError:
            continue
    return found


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                for child in (task / "children").read_text().split():
                    found.add(int(child))
                    todo.append(int(child))
        except FileNotFoundError:
            continue
    return found


class Server:
    def __init__(self, release: Path, *args: str, workdir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "eocic_kg.cli", "--release", str(release), "serve"]
        command += ["--port", str(self.port), "--query-timeout", "2", *args]
        self.log = (workdir / f"serve-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ}
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"server on {self.port} did not start")


class HealthWatch:
    """Asks `/health` of each server every half second; records the slowest answer and the
    failures (paused while a server is deliberately killed)."""

    def __init__(self, servers: list[Server]) -> None:
        self.servers, self.slowest, self.failures = servers, 0.0, []  # type: ignore[var-annotated]
        self.paused, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.done.wait(0.5):
            for server in self.servers:
                if self.paused.is_set():
                    continue
                started = time.monotonic()
                try:
                    status = httpx.get(f"{server.url}/health", timeout=10).status_code
                except httpx.TransportError as e:
                    status = type(e).__name__
                took = time.monotonic() - started
                self.slowest = max(self.slowest, took)
                if status != 200 or took > 2:
                    self.failures.append(f"/health on {server.port}: {status} in {took:.1f} s")

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


class Campaign:
    def __init__(self, read_only: Server, writable: Server, listener: Listener) -> None:
        self.read_only, self.writable, self.listener = read_only, writable, listener
        self.statuses: collections.Counter[int] = collections.Counter()
        self.unexpected: list[str] = []
        self.tried = 0
        self.markers = 0
        self.busy = 0  # 503s of a busy writer, before a retried marker write went through
        self.killed_writes = 0  # writes whose executor was killed under them (500 or 503)
        self.busy_reads = 0  # 503s of lookups while slow readers still held the executors

    def send(
        self, method: str, url: str, expect: set[int], timeout: float = 30, **kwargs: object
    ) -> None:
        self.tried += 1
        try:
            r = httpx.request(method, url, timeout=timeout, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as e:
            self.unexpected.append(f"{method} {url}: {type(e).__name__}")
            return
        self.statuses[r.status_code] += 1
        if r.status_code not in expect:
            self.unexpected.append(f"{method} {url} -> {r.status_code}: {r.text[:120]!r}")

    def mark(self) -> None:
        """A marker write that must survive everything that follows (retried while busy, as a
        client would after a 503; counted once acknowledged)."""
        n = self.markers + 1
        triple = f"<http://example.org/m{n}> <http://example.org/p> {n}"
        update = f"INSERT DATA {{ GRAPH <{MARKERS}> {{ {triple} }} }}"
        for _ in range(30):
            self.tried += 1
            r = httpx.post(f"{self.writable.url}/sparql", data={"update": update}, timeout=30)
            self.statuses[r.status_code] += 1
            if r.status_code == 204:
                self.markers = n
                return
            self.busy += 1
        self.unexpected.append(f"marker write {n} refused 30 times: {r.status_code}")

    def obfuscated(self) -> None:
        url = self.listener.url
        queries = [
            "PREFIX ex: <http://x/> SELECT * { BIND(ex:a\\' AS ?z) "
            f"SERVICE <{url}/> {{ ?a ?b ?c }} }}",
            f"SELECT * {{ # it's\n SERVICE <{url}/> {{ ?a ?b ?c }} }}",
            f"SELECT * {{ BIND('''a'b''' AS ?x) sErViCe SILENT <{url}/> {{ ?a ?b ?c }} }}",
            f"SELECT * {{ \\u0053ERVICE <{url}/> {{ ?a ?b ?c }} }}",
            f"SELECT * {{ VALUES ?e {{ <{url}/> }} SERVICE ?e {{ ?a ?b ?c }} }}",
            f"SELECT * {{ OPTIONAL {{ SERVICE <{url}/> {{ ?a ?b ?c }} }} }}",
            f"ASK {{ FILTER EXISTS {{ SERVICE <{url}/> {{ ?a ?b ?c }} }} }}",
            f'SELECT * {{ BIND("\\"" AS ?q) SERVICE <{url}/> {{ ?a ?b ?c }} }}',
            f"SELECT * FROM <{url}/g> {{ ?a ?b ?c }}",
            f"SELECT * FROM NAMED <{url}/g> {{ GRAPH ?g {{ ?a ?b ?c }} }}",
        ]
        updates = [
            f"PREFIX ex: <http://x/> INSERT DATA {{ ex:a\\' ex:b ex:c }} ; LOAD <{url}/x.ttl>",
            f"LOAD SILENT <{url}/x.ttl> INTO GRAPH <http://example.org/g>",
            f"\\u004cOAD <{url}/x.ttl>",
            f"INSERT {{ ?a ?b ?c }} WHERE {{ SERVICE <{url}/> {{ ?a ?b ?c }} }}",
        ]
        for server in (self.read_only, self.writable):
            for q in queries:
                self.send("GET", f"{server.url}/sparql", {200, 400}, params={"query": q})
                self.send("POST", f"{server.url}/sparql", {200, 400}, data={"query": q})
                headers = {"Content-Type": "application/sparql-query"}
                self.send("POST", f"{server.url}/sparql", {200, 400}, content=q, headers=headers)
        for u in updates:
            self.send("POST", f"{self.read_only.url}/sparql", {400, 403}, data={"update": u})
            self.send("POST", f"{self.writable.url}/sparql", {400}, data={"update": u})
        context = f'{{"@context": "{url}/context.jsonld", "@id": "http://a", "b": "c"}}'
        self.send(
            "PUT",
            f"{self.writable.url}/store?graph=http://example.org/ctx",
            {400},
            content=context,
            headers={"Content-Type": "application/ld+json"},
        )

    def hang_ups(self, count: int) -> None:
        for server in (self.read_only, self.writable):
            for i in range(count):
                self.tried += 1
                with socket.create_connection(("127.0.0.1", server.port)) as sock:
                    if i % 2:
                        body = f"query={SLOW_QUERY}".encode()
                        sock.sendall(
                            b"POST /sparql HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Type: application/x-www-form-urlencoded\r\n"
                            + f"Content-Length: {len(body)}\r\n\r\n".encode()
                            + body
                        )
                    else:
                        sock.sendall(b"GET /download/eocic.nt HTTP/1.1\r\nHost: x\r\n\r\n")
                        sock.recv(64)
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, bytes(8))

    def runaway_updates(self, count: int) -> None:
        runaway = (  # updates read the store's default graph: name the graphs
            "INSERT { GRAPH <http://example.org/runaway> { ?a ?b ?x } } "
            "WHERE { GRAPH ?g { ?a ?b ?c . ?d ?e ?x . ?j ?h ?i } }"
        )
        for _ in range(count):
            self.send("POST", f"{self.writable.url}/sparql", {503}, data={"update": runaway})
        self.send("GET", f"{self.read_only.url}/sparql", {503}, params={"query": RUNAWAY_QUERY})

    def bodies(self) -> None:
        for server in (self.read_only, self.writable):
            self.tried += 1
            status = _chunked_flood(server.port, 100 * 2**20)
            self.statuses[status] += 1
            if status != 413:
                self.unexpected.append(f"chunked 100 MiB -> {status}")
            for framing in (b"zz\r\nASK {}\r\n0\r\n\r\n", b"5\r\nASK {}XX\r\n0\r\n\r\n"):
                self.tried += 1
                status = _raw_status(server.port, _CHUNKED + framing)
                self.statuses[status] += 1
                if status != 400:
                    self.unexpected.append(f"broken chunk framing -> {status}")
            self.send("GET", f"{server.url}/sparql?query=ASK%7B%7D%23%ff", {400})
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            self.send("POST", f"{server.url}/sparql", {400}, content=b"query=ASK%ff", headers=form)
            self.tried += 1
            status = _raw_status(
                server.port,
                b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query"
                b"\r\nContent-Length: 1099511627776\r\n\r\nASK {}",
            )
            self.statuses[status] += 1
            if status != 413:
                self.unexpected.append(f"declared 1 TiB body -> {status}")

    def cross_site(self) -> None:
        drop = f"DROP GRAPH <{MARKERS}>"
        for origin in ("http://evil.example", "null", f"http://evil.example:{self.writable.port}"):
            self.send(
                "POST",
                f"{self.writable.url}/sparql",
                {403},
                data={"update": drop},
                headers={"Origin": origin},
            )

    # --- the attacks of the internals review (issue 20) ------------------------------------

    def slow_clients(self, count: int) -> None:
        """`count` connections (a tenth of them to the writable server) that each send one
        byte of a request and wait: `/health`, `/ready` and a lookup must answer within 1 s."""
        socks = []
        for i in range(count):
            server = self.writable if i % 10 == 0 else self.read_only
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"G")
            socks.append(sock)
        try:
            for server in (self.read_only, self.writable):
                for path in ("/health", "/ready", "/id/region/saxony?format=ttl"):
                    started = time.monotonic()
                    self.send("GET", server.url + path, {200})
                    took = time.monotonic() - started
                    if took > 1:
                        self.unexpected.append(f"{path} took {took:.1f} s under {count} slow")
        finally:
            for sock in socks:
                sock.close()

    def slow_readers(self, count: int) -> None:
        """`count` connections to the read-only server that ask for a result of several MiB and
        never read it (they held the executors streaming to them): a new query and `/ready`
        must answer 200 within a minute (503 meanwhile) while they stay open."""
        query = urlencode({"query": LARGE_QUERY})
        socks = []
        for _ in range(count):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", self.read_only.port))
            sock.sendall(f"GET /sparql?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            socks.append(sock)
        try:
            deadline = time.monotonic() + 60
            for n in itertools.count():  # a new query each time: the cache cannot answer it
                answers = [
                    httpx.get(f"{self.read_only.url}{path}", timeout=30)
                    for path in (f"/sparql?query=ASK%7B?s%20?p%20{n}%7D", "/ready")
                ]
                self.tried += len(answers)
                self.statuses.update(r.status_code for r in answers)
                self.busy_reads += sum(r.status_code == 503 for r in answers)
                if all(r.status_code == 200 for r in answers):
                    break
                if any(r.status_code not in (200, 503) for r in answers):
                    self.unexpected.append(f"with slow readers: {[str(r) for r in answers]}")
                    break
                if time.monotonic() > deadline:
                    self.unexpected.append(f"{count} slow readers held the executors for 60 s")
                    break
        finally:
            for sock in socks:
                sock.close()

    def cache_growth(self, count: int) -> int:
        """`count` GETs whose arguments and Host headers are all distinct: the read-only
        server's memory may grow by its views budget, not by the number of requests."""
        tree = _descendants(self.read_only.process.pid)
        url = f"{self.read_only.url}/graph/data.json"
        self.send("GET", url, {200}, params={"view": "full"})  # the one real view, kept
        before = _rss(tree)
        for i in range(count):
            params = {"view": "full", "hops": f"x{i}", f"junk{i}": "y" * 200}
            self.send("GET", url, {200, 400}, params=params, headers={"Host": f"h{i}.example"})
            self.send(
                "GET",
                f"{self.read_only.url}/.well-known/void",
                {200},
                headers={"Host": f"v{i}.example"},
            )
        growth = _rss(tree) - before
        if growth > (VIEWS_MB + 64) * MiB:
            self.unexpected.append(f"cache growth: {growth // MiB} MiB after {count} junk GETs")
        return growth

    def near_limit_upload(self, mib: int) -> str:
        """A PUT of about `mib` MiB of N-Triples (under the stated 256 MiB upload limit) must
        succeed under the default memory budget, be there whole, and be deleted within the
        upload time limit (600 s); the sizes and times, as a line to report."""
        line = b'<http://example.org/u/%09d> <http://example.org/p> "%s" .\n'
        pad = b"x" * 60
        n = mib * MiB // len(line % (0, pad))
        with tempfile.TemporaryFile() as body:
            for i in range(n):
                body.write(line % (i, pad))
            size = body.tell()
            body.seek(0)
            graph = "http://example.org/campaign/upload"
            self.tried += 1
            started = time.monotonic()
            r = httpx.put(
                f"{self.writable.url}/store?graph={graph}",
                content=body,
                headers={"Content-Type": "application/n-triples", "Content-Length": str(size)},
                timeout=600,
            )
        self.statuses[r.status_code] += 1
        if r.status_code not in (201, 204):
            self.unexpected.append(f"PUT of {size // MiB} MiB -> {r.status_code}: {r.text[:120]}")
        elif self.count(self.writable, graph) != n:
            self.unexpected.append(f"PUT of {size // MiB} MiB answered {r.status_code}, not whole")
        put = time.monotonic() - started
        started = time.monotonic()
        self.send("DELETE", f"{self.writable.url}/store?graph={graph}", {204}, timeout=600)
        deleted = time.monotonic() - started
        return f"{size // MiB} MiB ({n:,} triples): PUT {put:.0f} s, DELETE {deleted:.0f} s"

    def writes_under_kills(self, count: int) -> int:
        """`count` writes of 3,600 triples while the writable server's executors are killed at
        random: every answer must be true (applied: all there; unknown: says so; else none)."""
        done, kills = threading.Event(), [0]

        def killer() -> None:
            rng = random.Random(20)
            while not done.wait(rng.uniform(0.2, 1.5)):
                for pid in _executors(self.writable.process.pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        kills[0] += 1
                    except ProcessLookupError:
                        pass

        thread = threading.Thread(target=killer)
        thread.start()
        triples = "".join(
            f"<http://example.org/s{i}> <http://example.org/p> {i} .\n" for i in range(3600)
        )
        answers = []
        try:
            for n in range(count):
                graph = f"http://example.org/campaign/kill/{n}"
                self.tried += 1
                r = httpx.post(
                    f"{self.writable.url}/store?graph={graph}",
                    content=triples,
                    headers={"Content-Type": "text/turtle"},
                    timeout=60,
                )
                self.statuses[r.status_code] += 1
                answers.append((graph, r.status_code, r.text))
        finally:
            done.set()
            thread.join()
        for graph, status, text in answers:
            stored = self.count(self.writable, graph)
            if status in (201, 204):
                right = stored == 3600
            else:
                right = (status == 503 and "is unknown" in text) or stored == 0
                self.killed_writes += 1
            if not right:
                self.unexpected.append(f"write answered {status} ({text[:80]!r}), {stored} kept")
            self.send("DELETE", f"{self.writable.url}/store?graph={graph}", {204, 404})
        return kills[0]

    def rdf12_terms(self) -> None:
        """A triple term and a directional literal in a private graph: no page may fail."""
        graph = "http://example.org/campaign/rdf12"
        update = (
            f"INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/a> <http://example.org/b> "
            "<<( <http://example.org/s> <http://example.org/p> <http://example.org/o> )>> . "
            '<http://example.org/a> <http://example.org/c> "hello"@en--rtl } }'
        )
        self.send("POST", f"{self.writable.url}/sparql", {204}, data={"update": update})
        for path in (
            "/ontology",
            "/graph",
            "/charts",
            "/.well-known/void",
            "/ready",
            "/id/region/saxony",
            "/download/eocic.ttl",
            "/graph/data.json?view=full",
        ):
            self.send("GET", self.writable.url + path, {200})
        self.send("DELETE", f"{self.writable.url}/store?graph={graph}", {204})

    def hub_node(self, links: int) -> int:
        """`links` statements pointing to one region: its page and its graph neighbourhood
        stay capped (the worker's memory grows by little, not by the links)."""
        graph = "http://example.org/campaign/hub"
        hub = "https://w3id.org/eocic/id/region/saxony"
        triples = "".join(
            f"<http://example.org/h{i}> <http://example.org/near> <{hub}> .\n" for i in range(links)
        )
        self.send(
            "PUT",
            f"{self.writable.url}/store?graph={graph}",
            {201, 204},
            content=triples,
            headers={"Content-Type": "text/turtle"},
        )
        tree = _descendants(self.writable.process.pid)
        before = _rss(tree)
        for path in (
            "/id/region/saxony",
            "/id/region/saxony?format=ttl",
            f"/graph/data.json?focus={hub}&hops=1",
            f"/graph?focus={hub}&hops=1",
        ):
            self.send("GET", self.writable.url + path, {200})
        growth = _rss(tree) - before
        self.send("DELETE", f"{self.writable.url}/store?graph={graph}", {204})
        return growth

    def count(self, server: Server, graph: str) -> int:
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        r = httpx.post(f"{server.url}/sparql", data={"query": query}, timeout=60)
        if r.status_code != 200:  # the check itself failed: say how, and count no triples
            self.unexpected.append(f"COUNT of {graph} -> {r.status_code}: {r.text[:160]!r}")
            return -1
        return int(r.json()["results"]["bindings"][0]["n"]["value"])

    def markers_kept(self, server: Server) -> int:
        r = httpx.post(
            f"{server.url}/sparql",
            data={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{MARKERS}> {{ ?s ?p ?o }} }}"},
            timeout=30,
        )
        return int(r.json()["results"]["bindings"][0]["n"]["value"])


_CHUNKED = (
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)


def _raw_status(port: int, request: bytes) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        reply = sock.recv(64)
    return int(reply.split()[1]) if reply.startswith(b"HTTP/1.1") else 0


def _chunked_flood(port: int, total: int) -> int:
    piece = b"#" + b"x" * 65535
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(_CHUNKED)
        sock.setblocking(False)
        sent = 0
        while sent < total:
            try:
                reply = sock.recv(64)
                if reply:
                    return int(reply.split()[1])
            except BlockingIOError:
                pass
            try:
                sent += sock.send(chunk)
            except BlockingIOError:
                time.sleep(0.01)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        try:
            reply = sock.recv(64)
        except ConnectionResetError:
            return 0
    return int(reply.split()[1]) if reply.startswith(b"HTTP/1.1") else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", type=Path, default=Path("dist/eocic.nq"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slow", type=int, default=1000, help="slow connections at once")
    parser.add_argument("--upload-mib", type=int, default=250, help="size of the large PUT")
    args = parser.parse_args()
    if not args.release.is_file():
        subprocess.run([sys.executable, "-m", "eocic_kg.cli", "build"], check=True)
    work = Path(tempfile.mkdtemp(prefix="eocic-campaign-"))
    listener = Listener()
    read_only = Server(args.release, "--workers", "2", "--views-mb", str(VIEWS_MB), workdir=work)
    # the writable server has the default time limit (5 s): the campaign counts the near-limit
    # upload's 2 million triples, which a loaded machine does not do within 2 s
    writable_args = ("--writable", "--store", str(work / "store"), "--query-timeout", "5")
    writable = Server(args.release, *writable_args, workdir=work)
    processes_before = {
        "read-only": len(_descendants(read_only.process.pid)),
        "writable": len(_descendants(writable.process.pid)),
    }
    campaign = Campaign(read_only, writable, listener)
    watch = HealthWatch([read_only, writable])
    started = time.monotonic()
    campaign.slow_clients(args.slow)
    campaign.slow_readers(2 * 4 * 2)  # twice the executors of both workers
    cache_growth = campaign.cache_growth(300)
    campaign.rdf12_terms()
    hub_growth = campaign.hub_node(50_000)
    upload = campaign.near_limit_upload(args.upload_mib)
    kills = campaign.writes_under_kills(30)
    for _ in range(args.rounds):
        campaign.mark()
        campaign.obfuscated()
        campaign.mark()
        campaign.hang_ups(10)
        campaign.mark()
        campaign.runaway_updates(2)
        campaign.mark()
        campaign.bodies()
        campaign.cross_site()
        campaign.mark()
    kept_live = campaign.markers_kept(writable)
    processes_after = {
        "read-only": len(_descendants(read_only.process.pid)),
        "writable": len(_descendants(writable.process.pid)),
    }
    # the WAL wedge: large writes, killed with the server, then a runaway read on the restart
    big = "".join(
        f"<http://example.org/w{i}> <http://example.org/p> {i} .\n" for i in range(100_000)
    )
    for k in range(4):
        campaign.send(
            "POST",
            f"{writable.url}/store?graph=http://example.org/campaign/wal{k}",
            {201, 204},
            content=big,
            headers={"Content-Type": "text/turtle"},
        )
    watch.paused.set()
    tree = _descendants(writable.process.pid) | {writable.process.pid}
    for pid in tree:
        os.kill(pid, signal.SIGKILL)
    writable.process.wait()
    time.sleep(1)
    orphans = [p for p in tree if _alive(p)]
    restarted = Server(args.release, *writable_args, workdir=work)
    campaign.writable = restarted
    campaign.send("GET", f"{restarted.url}/sparql", {503}, params={"query": RUNAWAY_QUERY})
    campaign.mark()  # a write right after the runaway read: the store must not be wedged
    kept_after_kill = campaign.markers_kept(restarted)
    watch.stop()
    ro_tree = _descendants(read_only.process.pid)
    for server in (read_only, restarted):
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(30)
    time.sleep(1)
    outlived = [p for p in ro_tree if _alive(p)]
    fives = sum(n for status, n in campaign.statuses.items() if status >= 500)
    expected_5xx = args.rounds * 3 + 1 + campaign.busy + campaign.killed_writes
    expected_5xx += campaign.busy_reads
    print(f"rounds: {args.rounds}, {time.monotonic() - started:.0f} s")
    print(f"requests tried: {campaign.tried}")
    print(f"statuses: {dict(sorted(campaign.statuses.items()))}")
    print(
        f"5xx: {fives} (expected: {args.rounds * 3 + 1} 503s of runaway work, "
        f"{campaign.busy} 503s of a busy writer before a marker write was retried, "
        f"{campaign.killed_writes} writes whose executor was killed under them, "
        f"{campaign.busy_reads} queries or /ready while slow readers held the executors)"
    )
    print(f"slow clients at once: {args.slow}; slowest /health throughout: {watch.slowest:.2f} s")
    print(
        f"memory growth after 300 junk-argument GETs: {cache_growth / MiB:.0f} MiB "
        f"(views budget {VIEWS_MB} MiB)"
    )
    print(
        f"memory growth serving a hub node with 50,000 incoming links: {hub_growth / MiB:.0f} MiB"
    )
    print(f"near-limit upload: {upload}")
    print(f"executors killed during 30 writes: {kills}; every write answer checked")
    print(f"connections seen by the listener: {listener.connections}")
    print(f"processes (workers + executors) before: {processes_before}, after: {processes_after}")
    print(f"processes left after SIGKILL of the writable server: {len(orphans)}")
    print(f"processes left after SIGTERM of the read-only server: {len(outlived)}")
    print(
        f"marker writes: {campaign.markers} acknowledged, {kept_live} kept live, "
        f"{kept_after_kill} kept after kill -9 and restart"
    )
    for line in campaign.unexpected + watch.failures:
        print("unexpected:", line)
    failed = (
        listener.connections
        or campaign.unexpected
        or kept_after_kill != campaign.markers
        or fives != expected_5xx
        or watch.failures
        or orphans
        or outlived
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
