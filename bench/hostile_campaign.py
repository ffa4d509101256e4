"""A hostile-client campaign against real `eocic-kg serve` processes on loopback ports.

    python bench/hostile_campaign.py [--release dist/eocic.nq] [--rounds 3]

Starts a read-only server (in-memory release) and a writable one (on-disk store made from the
release), and a loopback listener that counts every connection it receives. Then, per round:
obfuscated SERVICE / LOAD / remote FROM variants by GET, form POST and direct POST; client
hang-ups (slow queries and large downloads); runaway updates; oversized, chunked, malformed and
non-UTF-8 bodies; cross-site writes. Marker writes go to the writable server before, during and
after; at the end the whole writable server is killed with SIGKILL and restarted from its store.

Reports: requests tried, connections seen by the listener, 5xx responses, server processes
before and after, and marker writes kept. Exit status 1 if the listener saw a connection, a
write was lost, an unexpected 5xx came back, or a process outlived its server.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
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


class Campaign:
    def __init__(self, read_only: Server, writable: Server, listener: Listener) -> None:
        self.read_only, self.writable, self.listener = read_only, writable, listener
        self.statuses: collections.Counter[int] = collections.Counter()
        self.unexpected: list[str] = []
        self.tried = 0
        self.markers = 0
        self.busy = 0  # 503s of a busy writer, before a retried marker write went through

    def send(self, method: str, url: str, expect: set[int], **kwargs: object) -> None:
        self.tried += 1
        try:
            r = httpx.request(method, url, timeout=30, **kwargs)  # type: ignore[arg-type]
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
    args = parser.parse_args()
    if not args.release.is_file():
        subprocess.run([sys.executable, "-m", "eocic_kg.cli", "build"], check=True)
    work = Path(tempfile.mkdtemp(prefix="eocic-campaign-"))
    listener = Listener()
    read_only = Server(args.release, "--workers", "2", workdir=work)
    writable = Server(args.release, "--writable", "--store", str(work / "store"), workdir=work)
    processes_before = {
        "read-only": len(_descendants(read_only.process.pid)),
        "writable": len(_descendants(writable.process.pid)),
    }
    campaign = Campaign(read_only, writable, listener)
    started = time.monotonic()
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
    tree = _descendants(writable.process.pid) | {writable.process.pid}
    for pid in tree:
        os.kill(pid, signal.SIGKILL)
    writable.process.wait()
    time.sleep(1)
    orphans = [p for p in tree if _alive(p)]
    restarted = Server(args.release, "--writable", "--store", str(work / "store"), workdir=work)
    kept_after_kill = campaign.markers_kept(restarted)
    ro_tree = _descendants(read_only.process.pid)
    for server in (read_only, restarted):
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(30)
    time.sleep(1)
    outlived = [p for p in ro_tree if _alive(p)]
    fives = sum(n for status, n in campaign.statuses.items() if status >= 500)
    expected_503 = args.rounds * 3 + campaign.busy
    print(f"rounds: {args.rounds}, {time.monotonic() - started:.0f} s")
    print(f"requests tried: {campaign.tried}")
    print(f"statuses: {dict(sorted(campaign.statuses.items()))}")
    print(
        f"5xx: {fives} (expected: {args.rounds * 3} 503s of runaway work, "
        f"{campaign.busy} 503s of a busy writer before a marker write was retried)"
    )
    print(f"connections seen by the listener: {listener.connections}")
    print(f"processes (workers + executors) before: {processes_before}, after: {processes_after}")
    print(f"processes left after SIGKILL of the writable server: {len(orphans)}")
    print(f"processes left after SIGTERM of the read-only server: {len(outlived)}")
    print(
        f"marker writes: {campaign.markers} acknowledged, {kept_live} kept live, "
        f"{kept_after_kill} kept after kill -9 and restart"
    )
    for line in campaign.unexpected:
        print("unexpected:", line)
    failed = (
        listener.connections
        or campaign.unexpected
        or kept_after_kill != campaign.markers
        or fives != expected_503
        or orphans
        or outlived
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
