"""Replicas behind nginx (`deploy/`, issue 23 item 5): two read-only `eocic-kg serve` replicas
and Debian's nginx running `deploy/nginx/eocic-kg.conf`, all on loopback.

Load is queries that miss the cache (each of its own; GET and POST in turn, and POSTs are
never cached), so every one reaches a replica; a failure is any answer but a 200 carrying the
query's own marker."""

from __future__ import annotations

import itertools
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from rdflib import RDFS

from tests.conftest import GRAPH, free_port
from tests.nginx import NGINX, Nginx, Replica
from tests.procs import executors, running, until
from tests.release_cache import release_dist

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("deploy_nginx"),
    pytest.mark.skipif(NGINX is None, reason="nginx is missing (apt-get install nginx-light)"),
]

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
#: Load that keeps a replica's executors busy for a while (the pairs of resources of one type,
#: counted: about 0.1 s), so that a replica killed under load has requests in flight.
BUSY = (
    "SELECT ?n ?m {{ {{ SELECT (COUNT(*) AS ?n) {{ ?a a ?x . ?b a ?x }} }} "
    'BIND("load-{n}" AS ?m) }}'
)


def sparql(query: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query})


class Load:
    """Four threads sending queries through nginx until the block ends, by each of `methods`
    in turn, each a query of its own (`"load-N"` in `template`), so that every one misses the
    cache; on kept-alive connections unless `keepalive` is False."""

    def __init__(
        self,
        url: str,
        template: str = 'SELECT ("load-{n}" AS ?m) {{}}',
        methods: tuple[str, ...] = ("GET", "POST"),
        keepalive: bool = True,
    ) -> None:
        self.url = url
        self.limits = httpx.Limits(max_keepalive_connections=None if keepalive else 0)
        self.template = template
        self.methods = methods
        self.served = 0
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._next = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client) for _ in range(4)]

    def _client(self) -> None:
        with httpx.Client(timeout=60, headers={"Accept": JSON}, limits=self.limits) as client:
            while not self._stop.is_set():
                with self._lock:
                    self._next += 1
                    n = self._next
                marker, query = f"load-{n}", self.template.format(n=n)
                try:
                    if self.methods[n % len(self.methods)] == "POST":
                        response = client.post(f"{self.url}/sparql", data={"query": query})
                    else:
                        response = client.get(self.url + sparql(query))
                    ok = response.status_code == 200 and marker in response.text
                    failure = f"{marker}: {response.status_code} {response.text[:200]}"
                except httpx.HTTPError as err:
                    ok, failure = False, f"{marker}: {err!r}"
                with self._lock:
                    self.served += ok
                    if not ok:
                        self.failures.append(failure)

    def more(self, count: int) -> None:
        """Wait until `count` more requests than now have been served."""
        target = self.served + count
        assert until(lambda: self.served >= target, 60), self.failures[:5]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The release, and a next release: the same with one more statement (another hash)."""
    directory = tmp_path_factory.mktemp("releases")
    current = release_dist(directory / "current") / "eocic.nq"
    following = directory / "next" / "eocic.nq"
    following.parent.mkdir()
    statement = f'<urn:eocic:test:next> <{RDFS.comment}> "the next release" <{GRAPH}data> .\n'
    following.write_bytes(current.read_bytes() + statement.encode())
    return current, following


class Deployment:
    """nginx in front of a blue and a green set of two replicas each; blue serves `release`."""

    def __init__(self, directory: Path, release: Path) -> None:
        ports = {colour: (free_port(), free_port()) for colour in ("blue", "green")}
        self.blue = [Replica(port, directory) for port in ports["blue"]]
        self.green = [Replica(port, directory) for port in ports["green"]]
        self.nginx = Nginx(directory / "nginx", free_port(), ports)
        try:
            for replica in self.blue:
                replica.start(release)
            self.nginx.switch("blue", release)
            self.nginx.start()
        except BaseException:
            self.stop()
            raise

    def get(self, path: str, **headers: str) -> httpx.Response:
        return httpx.get(self.nginx.url + path, headers=headers, timeout=30)

    def stop(self) -> None:
        self.nginx.stop()
        for replica in self.blue + self.green:
            replica.stop()


@pytest.fixture
def deployment(tmp_path: Path, releases: tuple[Path, Path]) -> Iterator[Deployment]:
    (tmp_path / "nginx").mkdir()
    deployed = Deployment(tmp_path, releases[0])
    yield deployed
    deployed.stop()


def logged(replicas: list[Replica], marker: str) -> Callable[[], int]:
    """The requests naming `marker` in the replicas' access logs, flushed first: a request
    sent to each replica afterwards must be logged before the count is taken."""

    flushes = itertools.count()

    def count() -> int:
        for replica in replicas:
            flush = f"flush-{next(flushes)}"
            assert httpx.get(replica.url + sparql(f'ASK {{ FILTER("{flush}" != "") }}')).is_success
            assert until(lambda r=replica, f=flush: r.requests(f) == 1)
        return sum(replica.requests(marker) for replica in replicas)

    return count


def test_cache_hits_are_served_without_touching_a_replica(deployment: Deployment) -> None:
    marker = "cache-hit-probe"
    path = sparql(f'SELECT ("{marker}" AS ?m) {{}}')
    requests = logged(deployment.blue, urllib.parse.quote(marker))
    first = deployment.get(path, Accept=JSON)
    assert (first.status_code, first.headers["X-Cache-Status"]) == (200, "MISS")
    assert requests() == 1
    for _ in range(5):
        again = deployment.get(path, Accept=JSON)
        assert again.headers["X-Cache-Status"] == "HIT"
        assert (again.content, again.headers["ETag"]) == (first.content, first.headers["ETag"])
    unchanged = deployment.get(path, Accept=JSON, **{"If-None-Match": first.headers["ETag"]})
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert requests() == 1
    # Another Accept is another variant (the service's Vary): fetched once, then each is served
    # from the cache in its own format.
    xml = deployment.get(path, Accept=XML)
    assert (xml.headers["X-Cache-Status"], xml.headers["Content-Type"]) == ("MISS", XML)
    assert deployment.get(path, Accept=JSON).content == first.content
    assert deployment.get(path, Accept=XML).content == xml.content
    assert requests() == 2
    # So is another Origin: the same body, kept apart (the service's Vary names it)
    for status in ("MISS", "HIT"):
        cors = deployment.get(path, Accept=JSON, Origin="https://example.org")
        assert (cors.headers["X-Cache-Status"], cors.content) == (status, first.content)
    assert requests() == 3


def test_rolling_restart_under_load_fails_no_request(deployment: Deployment, releases) -> None:
    with Load(deployment.nginx.url) as load:
        load.more(20)
        for replica in deployment.blue:
            replica.stop()
            load.more(20)  # served by the other replica while this one is down
            replica.start(releases[0])
            # back in the pool: nginx sends it load again
            assert until(lambda r=replica: r.requests("load-") > 0, 30)
        load.more(20)
    assert load.failures == []


def test_replica_killed_mid_load_fails_no_request(deployment: Deployment) -> None:
    victim = deployment.blue[0]
    assert victim.process is not None
    # POSTs only: nginx repeats one on the next replica only when told (non_idempotent)
    with Load(deployment.nginx.url, template=BUSY, methods=("POST",)) as load:
        load.more(4)
        # SIGKILL while one of its executors evaluates a request that came through nginx
        assert until(lambda: any(running(p) for p in executors(victim.process.pid)), 30)
        victim.kill()
        load.more(20)
    assert load.failures == []
    # nginx saw the replica die under a POST, and sent that POST on (no failure above)
    broken = "while reading response header from upstream"  # closed, or reset
    lines = deployment.nginx.error_log.read_text().splitlines()
    assert any(broken in line and '"POST /sparql' in line for line in lines)


def test_a_new_release_never_serves_the_old_body(deployment: Deployment, releases) -> None:
    new_release = releases[1]
    path = sparql(COUNT)
    before = {accept: deployment.get(path, Accept=accept) for accept in (JSON, XML)}
    assert all(deployment.get(path, Accept=a).headers["X-Cache-Status"] == "HIT" for a in before)
    for replica in deployment.green:
        replica.start(new_release)
    new = httpx.get(deployment.green[0].url + path, headers={"Accept": JSON}).content
    assert new != before[JSON].content
    # A reload closes the old workers' idle kept-alive connections, and a request a client
    # sends on one as it closes is lost in transit (clients retry those: RFC 9112, 9.3.1), so
    # this load opens a connection per request.
    with Load(deployment.nginx.url, keepalive=False) as load:
        load.more(20)
        deployment.nginx.switch("green", new_release)
        deployment.nginx.reload()
        for replica in deployment.blue:
            replica.stop()
        load.more(20)
    assert load.failures == []
    for accept, old in before.items():
        for _ in range(3):
            answer = deployment.get(path, Accept=accept)
            assert answer.status_code == 200
            assert answer.content != old.content
            assert answer.headers["ETag"] != old.headers["ETag"]
    assert deployment.get(path, Accept=JSON).content == new
