"""Our endpoint against Oxigraph's own server and rdflib-endpoint, same data, same load tool.

    python bench/bench_peers.py [--scales bundled,100k] [--seconds 5] [--rounds 2]

For each scale (`bundled`: the release graph; `100k`, `1m`, `10m`: the release plus that many
synthetic triples from `eocic_kg.synth`) it starts the three servers on loopback ports:

    ours      python -m eocic_kg.cli --release FILE serve --workers 2   (Granian + pyoxigraph)
    oxigraph  oxigraph load ... ; oxigraph serve-read-only --union-default-graph   (Rust)
    rdflib    rdflib-endpoint serve FILE   (uvicorn + rdflib Dataset, default_union)
    virtuoso  a private virtuoso-t (Debian's virtuoso-opensource), the file loaded by its bulk
              loader (isql-vt: ld_dir + rdf_loader_run); queries name the file's graphs as
              default-graph-uri (Virtuoso's own default graph also holds its system graphs)

then drives each query of the mix with wrk (GET, 4 connections, 2 threads; a Python thread
client if wrk is missing), alternating the servers A B C A B C. It prints requests/s, p50 and
p99 per server and query, the throughput ratios of ours to each peer and their geometric mean,
the CPU time per request of each server's processes by role (main, worker, zygote, executor:
user + system time from /proc over each run, divided by the requests answered), and per server
the startup (load) time and memory (PSS summed over the process tree). `ours@base` and
`ours+store@base` run our server from another source tree (`--base-src DIR/src`, e.g. a
checkout from before a change) in the same alternating run.

The peers are not project dependencies: install them on the benchmark machine, e.g. in a venv
(`python -m venv /tmp/peers && /tmp/peers/bin/pip install oxigraph rdflib-endpoint`) and pass
`--peers-bin /tmp/peers/bin`; wrk comes from `apt-get install wrk`, Virtuoso from
`apt-get install virtuoso-opensource` (`--servers ...,virtuoso`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
SYN = "https://w3id.org/eocic/synthetic/"
ID = "https://w3id.org/eocic/id/"
PREFIXES = (
    "PREFIX eocic: <https://w3id.org/eocic/ontology#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
)
JSON = "application/sparql-results+json"
TURTLE = "text/turtle"
#: The query mix: name -> (query, Accept). Each names a real and a synthetic resource, so it
#: has answers at every scale.
MIX: dict[str, tuple[str, str]] = {
    "lookup": (f"SELECT ?p ?o WHERE {{ <{ID}region/saxony> ?p ?o }}", JSON),
    "by-challenge": (
        f"SELECT ?region ?label WHERE {{ VALUES ?c {{ <{ID}challenge/funding> "
        f"<{SYN}challenge/003> }} ?region eocic:facesChallenge ?c ; rdfs:label ?label }} "
        "ORDER BY ?label",
        JSON,
    ),
    "count-types": (
        "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class",
        JSON,
    ),
    "join4": (
        f"SELECT ?cluster ?label ?region ?countryLabel WHERE {{ VALUES ?country "
        f"{{ <{ID}country/sweden> <{SYN}country/xc> }} ?cluster a eocic:ClusterOrganisation ; "
        "rdfs:label ?label ; eocic:locatedIn ?region . ?region eocic:inCountry ?country . "
        "?country rdfs:label ?countryLabel }",
        JSON,
    ),
    "group-order": (
        "SELECT ?region (COUNT(?cluster) AS ?clusters) WHERE { ?cluster a "
        "eocic:ClusterOrganisation ; eocic:locatedIn ?region } GROUP BY ?region "
        "ORDER BY DESC(?clusters) ?region LIMIT 20",
        JSON,
    ),
    "optional-text": (
        "SELECT ?cluster ?label ?year WHERE { ?cluster a eocic:ClusterOrganisation ; "
        "rdfs:label ?label . OPTIONAL { ?cluster eocic:foundingYear ?year } "
        'FILTER(CONTAINS(LCASE(STR(?label)), "sector 007") || '
        'CONTAINS(LCASE(STR(?label)), "paper")) } LIMIT 100',
        JSON,
    ),
    "describe": (f"DESCRIBE <{ID}region/saxony>", TURTLE),
    "path": (
        f"SELECT ?cluster WHERE {{ VALUES ?country {{ <{ID}country/sweden> <{SYN}country/xa> }} "
        "?cluster eocic:locatedIn/eocic:inCountry ?country } LIMIT 1000",
        JSON,
    ),
    "survey-avg": (
        "SELECT ?statement (AVG(?v) AS ?mean) (COUNT(?v) AS ?n) WHERE { ?o eocic:statement "
        "?statement ; eocic:percentValue ?v } GROUP BY ?statement ORDER BY ?statement",
        JSON,
    ),
}
MIX = {name: (PREFIXES + query, accept) for name, (query, accept) in MIX.items()}
SCALES = {"bundled": 0, "10k": 10_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}


@dataclass
class Run:
    """One load run: throughput and latencies (milliseconds)."""

    rps: float
    p50: float
    p99: float
    errors: int
    requests: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # seconds by process role


@dataclass
class Server:
    name: str
    url: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    startup: float = 0.0
    load: float = 0.0  # separate load step (oxigraph load), seconds

    def stop(self) -> None:
        for p in self.processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _target(url: str, query: str) -> str:
    """The GET URL of `query` (`url` may already carry parameters, e.g. default-graph-uri)."""
    return f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode({'query': query})}"


def _get(url: str, query: str, accept: str, timeout: float = 120) -> bytes:
    request = urllib.request.Request(_target(url, query), headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def _wait_ready(server: Server, started: float, timeout: float = 1800) -> None:
    while time.monotonic() - started < timeout:
        if any(p.poll() is not None for p in server.processes):
            raise RuntimeError(f"{server.name} exited during startup")
        try:
            _get(server.url, "ASK { ?s ?p ?o }", JSON, timeout=5)
            server.startup = time.monotonic() - started
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not start within {timeout}s")


def _spawn(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=out, start_new_session=True, env=env)


def start_ours(
    data: Path,
    workdir: Path,
    cache_mb: int = 0,
    on_disk: bool = False,
    src: Path | None = None,
    workers: int = 2,
) -> Server:
    """Our endpoint; `ours` runs without the result cache, `ours+cache` with it, `ours+store`
    without it on an on-disk store made by `eocic-kg load` (the load counts as its start);
    `ours@base` (with `src`) is `ours` from another source tree, e.g. before a change;
    `ours-1w` is `ours` with one worker instead of two."""
    port = _free_port()
    name = "ours+store" if on_disk else "ours+cache" if cache_mb else "ours"
    name += "@base" if src is not None else ""
    name += f"-{workers}w" if workers != 2 else ""
    env = None if src is None else {**os.environ, "PYTHONPATH": str(src)}
    server = Server(name, f"http://127.0.0.1:{port}/sparql")
    started = time.monotonic()
    cmd = [sys.executable, "-m", "eocic_kg.cli", "--release", str(data), "serve"]
    if on_disk:
        store = workdir / "ours-db"
        shutil.rmtree(store, ignore_errors=True)
        load = [sys.executable, "-m", "eocic_kg.cli", "load", str(data), "--store", str(store)]
        subprocess.run(load, check=True, capture_output=True, env=env)
        server.load = time.monotonic() - started
        cmd += ["--store", str(store)]
    cmd += ["--port", str(port), "--workers", str(workers)]
    cmd += ["--query-timeout", "60", "--timeout", "90"]
    cmd += ["--cache-mb", str(cache_mb)]
    server.processes.append(_spawn(cmd, workdir / f"{name}.log", env))
    _wait_ready(server, started)
    return server


def start_oxigraph(data: Path, workdir: Path, bin_dir: Path) -> Server:
    port = _free_port()
    location = workdir / "oxigraph-db"
    shutil.rmtree(location, ignore_errors=True)
    oxigraph = str(bin_dir / "oxigraph")
    server = Server("oxigraph", f"http://127.0.0.1:{port}/query")
    started = time.monotonic()
    subprocess.run(
        [oxigraph, "load", "--location", str(location), "--file", str(data)],
        check=True,
        capture_output=True,
    )
    server.load = time.monotonic() - started
    cmd = [oxigraph, "serve-read-only", "--location", str(location)]
    cmd += ["--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    server.processes.append(_spawn(cmd, workdir / "oxigraph.log"))
    _wait_ready(server, started)
    return server


def start_rdflib(data: Path, workdir: Path, bin_dir: Path) -> Server:
    port = _free_port()
    cmd = [str(bin_dir / "rdflib-endpoint"), "serve", str(data), "--host", "127.0.0.1"]
    cmd += ["--port", str(port)]
    server = Server("rdflib", f"http://127.0.0.1:{port}/")
    started = time.monotonic()
    server.processes.append(_spawn(cmd, workdir / "rdflib.log"))
    _wait_ready(server, started)
    return server


def start_virtuoso(data: Path, workdir: Path) -> Server:
    """A private Virtuoso (tests/virtuoso.py) loaded with `data` by its own bulk loader."""
    sys.path.insert(0, str(ROOT))
    from eocic_kg.remote import RemoteStore
    from tests.virtuoso import PASSWORD, USER, start_virtuoso

    isql = shutil.which("isql-vt") or shutil.which("isql")
    if isql is None:
        raise RuntimeError("isql-vt is missing (apt-get install virtuoso-opensource)")
    directory = workdir / "virtuoso-db"
    shutil.rmtree(directory, ignore_errors=True)
    quads = sum(1 for _ in data.open("rb"))
    started = time.monotonic()
    virtuoso = start_virtuoso(
        directory,
        max_rows=1_000_000,  # no bench answer is cut (Debian's default is 10,000)
        max_seconds=300,
        buffers=10_000 if quads < 500_000 else 170_000,  # 80 MiB, or 1.3 GiB of pages
    )
    server = Server("virtuoso", virtuoso.sparql)
    server.processes.append(virtuoso.process)
    link = directory / "load" / data.name  # ld_dir reads from a directory in DirsAllowed
    link.parent.mkdir()
    link.symlink_to(data.resolve())
    load_started = time.monotonic()
    script = (
        f"ld_dir('{link.parent}', '{data.name}', 'urn:eocic:bench:default');\n"
        "rdf_loader_run();\ncheckpoint;\n"
        "SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;\n"
    )
    loaded = subprocess.run(
        [isql, f"127.0.0.1:{virtuoso.sql_port}", USER, PASSWORD],
        input=script,
        capture_output=True,
        text=True,
        check=True,
    )
    if "0 Rows." not in loaded.stdout.split("ll_error")[-1]:
        raise RuntimeError(f"Virtuoso's bulk loader failed:\n{loaded.stdout}{loaded.stderr}")
    server.load = time.monotonic() - load_started
    graphs = RemoteStore(virtuoso.sparql).named_graphs()  # its system graphs left out
    server.url += "?" + urllib.parse.urlencode([("default-graph-uri", g) for g in graphs])
    _wait_ready(server, started)
    return server


def _answer_size(body: bytes, accept: str) -> int:
    """Rows of a JSON result, or triples of a Turtle one (servers group and prefix differently)."""
    if accept == JSON:
        return len(json.loads(body)["results"]["bindings"])
    return len(set(ox.parse(body, format=ox.RdfFormat.TURTLE)))


def _tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _role(pid: int, root: int) -> str:
    """What a process of a server's tree is, for the CPU figures."""
    if pid == root:
        return "main"
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "other"
    return {"eocic-executor": "executor", "eocic-zygote": "zygote"}.get(name, "worker")


def cpu_seconds(server: Server) -> dict[str, float]:
    """CPU seconds (user + system, all threads) used so far by each role of the server's
    process tree (main, worker, zygote, executor)."""
    tick = os.sysconf("SC_CLK_TCK")
    roles: dict[str, float] = {}
    for root in server.processes:
        for pid in _tree(root.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            role = _role(pid, root.pid)
            roles[role] = roles.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return roles


def _measured(server: Server, load: Any, *args: Any) -> Run:
    """`load(*args)` against `server`, with the CPU its processes used meanwhile by role
    (an executor that ended during the run is not counted)."""
    before = cpu_seconds(server)
    run: Run = load(*args)
    after = cpu_seconds(server)
    run.cpu = {role: max(0.0, after[role] - before.get(role, 0.0)) for role in after}
    return run


def memory_mib(server: Server) -> float:
    """Proportional set size of the server's process tree (shared pages counted once)."""
    total = 0
    for root in server.processes:
        for pid in _tree(root.pid):
            try:
                text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            match = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
            total += int(match.group(1)) if match else 0
    return total / 1024


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(url: str, query: str, accept: str, seconds: float, connections: int) -> Run:
    target = _target(url, query)
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "60s",
        "--latency",
    ]
    out = subprocess.run(
        [*cmd, "-H", f"Accept: {accept}", target], capture_output=True, text=True, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    return Run(
        rps,
        _ms(p50.group(1)) if p50 else math.nan,
        _ms(p99.group(1)) if p99 else math.nan,
        (int(errors.group(1)) if errors else 0) + (int(timeouts.group(1)) if timeouts else 0),
        requests,
    )


def run_threads(url: str, query: str, accept: str, seconds: float, connections: int) -> Run:
    """Fallback load tool: `connections` threads with keep-alive-less urllib GETs."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def loop() -> None:
        nonlocal errors
        while time.monotonic() < stop:
            start = time.perf_counter()
            try:
                _get(url, query, accept)
            except OSError:
                with lock:
                    errors += 1
                continue
            with lock:
                latencies.append((time.perf_counter() - start) * 1e3)

    threads = [threading.Thread(target=loop) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if not latencies:
        return Run(0.0, math.nan, math.nan, errors)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return Run(len(latencies) / seconds, q[49], q[98], errors, len(latencies))


def synthetic_release(scale: str, workdir: Path, release: Path) -> Path:
    """The release plus `scale` synthetic triples, as one N-Quads file (cached in workdir)."""
    if SCALES[scale] == 0:
        return release
    from eocic_kg import synth

    out = workdir / f"release+synthetic-{scale}.nq"
    if not out.is_file():
        regions, clusters = synth.plan(SCALES[scale])
        synth.write(out.with_suffix(".part"), regions, clusters)
        with out.open("wb") as f:
            f.write(release.read_bytes())
            with out.with_suffix(".part").open("rb") as part:
                shutil.copyfileobj(part, f, 1 << 20)
        out.with_suffix(".part").unlink()
    return out


def bulk_load_figures(data: Path, workdir: Path) -> tuple[float, float, float, float]:
    """(seconds, peak MiB) of our `bulk_load` and of pyoxigraph's bare bulk loader, each in a
    fresh process."""
    figures = []
    for setup, code in (
        (
            "from eocic_kg.bulk import bulk_load",
            "bulk_load(Path(sys.argv[2]), [Path(sys.argv[1])], progress=False)",
        ),
        (
            "import pyoxigraph as ox",
            "s = ox.Store(sys.argv[2]); s.bulk_load(path=sys.argv[1]); s.optimize(); s.flush()",
        ),
    ):
        location = workdir / "bulk-db"
        shutil.rmtree(location, ignore_errors=True)
        script = (
            f"import resource, sys, time; from pathlib import Path; {setup}; "
            f"t = time.monotonic(); {code}; print(time.monotonic() - t, "
            "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
        )
        out = subprocess.run(
            [sys.executable, "-c", script, str(data), str(location)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        figures += [float(out[0]), float(out[1])]
        shutil.rmtree(location, ignore_errors=True)
    return figures[0], figures[1], figures[2], figures[3]


def _fmt(x: float) -> str:
    if math.isnan(x):
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def bench_scale(scale: str, args: argparse.Namespace, workdir: Path) -> None:
    data = synthetic_release(scale, workdir, args.release)
    triples = sum(1 for _ in data.open("rb"))
    print(f"\n## {scale}: {triples:,} quads ({data.name})", flush=True)
    starters = {
        "ours": lambda: start_ours(data, workdir),
        "ours-1w": lambda: start_ours(data, workdir, workers=1),
        "ours+cache": lambda: start_ours(data, workdir, cache_mb=64),
        "ours+store": lambda: start_ours(data, workdir, on_disk=True),
        "ours@base": lambda: start_ours(data, workdir, src=args.base_src),
        "ours+store@base": lambda: start_ours(data, workdir, on_disk=True, src=args.base_src),
        "oxigraph": lambda: start_oxigraph(data, workdir, args.peers_bin),
        "rdflib": lambda: start_rdflib(data, workdir, args.peers_bin),
        "virtuoso": lambda: start_virtuoso(data, workdir),
    }
    servers: list[Server] = []
    try:
        for name in args.servers:
            servers.append(starters[name]())
        for name, (query, accept) in MIX.items():  # warm up, and compare the answers
            sizes = {s.name: _answer_size(_get(s.url, query, accept, 300), accept) for s in servers}
            if len(set(sizes.values())) > 1:
                print(f"warning: {name}: servers disagree on the answer size {sizes}")
        load = run_wrk if shutil.which("wrk") and not args.python_client else run_threads
        runs: dict[tuple[str, str], list[Run]] = {}
        for name, (query, accept) in MIX.items():
            for _ in range(args.rounds):
                for s in servers:  # A B C A B C
                    r = _measured(s, load, s.url, query, accept, args.seconds, args.connections)
                    runs.setdefault((name, s.name), []).append(r)
        memory = {s.name: memory_mib(s) for s in servers}
    finally:
        for s in servers:
            s.stop()
    names = [s.name for s in servers]
    ours = [n for n in names if n.startswith("ours")]
    peers = [n for n in names if n not in ours]
    pairs = [(o, p) for o in ours for p in peers]
    head = f"{'query':<14}" + "".join(
        f"{n + ' req/s':>15}{'p50 ms':>9}{'p99 ms':>9}" for n in names
    )
    head += "".join(f"{o + '/' + p:>22}" for o, p in pairs)
    print(
        f"load tool: {load.__name__}, {args.connections} connections, {args.seconds}s x "
        f"{args.rounds} rounds per server and query, alternating {' '.join(names)}"
    )
    print(head)
    ratios: dict[tuple[str, str], list[float]] = {pair: [] for pair in pairs}
    for name in MIX:
        row = f"{name:<14}"
        mean_rps = {}
        for n in names:
            rs = runs[(name, n)]
            mean_rps[n] = statistics.fmean(r.rps for r in rs)
            err = sum(r.errors for r in rs)
            row += f"{_fmt(mean_rps[n]) + ('!' if err else ''):>15}"
            row += f"{_fmt(statistics.median(r.p50 for r in rs)):>9}"
            row += f"{_fmt(max(r.p99 for r in rs)):>9}"
        for o, p in pairs:
            ratio = mean_rps[o] / mean_rps[p] if mean_rps[p] else math.inf
            ratios[(o, p)].append(ratio)
            row += f"{ratio:>21.2f}x"
        print(row)

    def geomean(values: list[float]) -> float:
        return math.exp(statistics.fmean(math.log(r) for r in values if 0 < r < math.inf))

    geo = "".join(f"{geomean(ratios[pair]):>21.2f}x" for pair in pairs)
    print(f"{'geomean':<14}{'':>{33 * len(names)}}{geo}")
    print("(! = some requests failed or timed out; ratios are of mean requests/s)")
    print_cpu(runs, names)
    for s in servers:
        loaders = {"virtuoso": "isql-vt ld_dir + rdf_loader_run", "ours+store": "eocic-kg load"}
        loader = loaders.get(s.name.removesuffix("@base"), "oxigraph load")
        extra = f" (of which `{loader}` {s.load:.1f}s)" if s.load else ""
        print(
            f"{s.name:<9} startup incl. load {s.startup:7.1f}s{extra}, "
            f"memory after run {memory[s.name]:,.0f} MiB PSS"
        )
    if args.bulk:
        ours_t, ours_m, ox_t, ox_m = bulk_load_figures(data, workdir)
        print(
            f"bulk load to disk: eocic_kg.store.bulk_load {ours_t:.1f}s peak {ours_m:,.0f} MiB; "
            f"pyoxigraph Store.bulk_load {ox_t:.1f}s peak {ox_m:,.0f} MiB "
            f"(ratio {ours_t / ox_t:.2f}x time, {ours_m / ox_m:.2f}x memory)"
        )


def print_cpu(runs: dict[tuple[str, str], list[Run]], names: list[str]) -> None:
    """CPU per request (microseconds, user + system) by server and process role."""
    print("CPU per request, us (by process role: main, worker, zygote, executor)")
    for name in MIX:
        cells = []
        for n in names:
            rs = runs[(name, n)]
            requests = sum(r.requests for r in rs) or 1
            roles: dict[str, float] = {}
            for r in rs:
                for role, seconds in r.cpu.items():
                    roles[role] = roles.get(role, 0.0) + seconds
            total = sum(roles.values()) / requests * 1e6
            parts = " ".join(
                f"{role} {seconds / requests * 1e6:.0f}"
                for role, seconds in sorted(roles.items())
                if seconds
            )
            cells.append(f"{n}: {total:.0f} ({parts})")
        print(f"{name:<14}" + "; ".join(cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--release", type=Path, default=ROOT / "dist" / "eocic.nq")
    parser.add_argument("--scales", default="bundled,100k", help=f"of {','.join(SCALES)}")
    parser.add_argument("--servers", default="ours,ours+cache,oxigraph,rdflib")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--peers-bin", type=Path, default=Path(sys.executable).parent)
    parser.add_argument(
        "--base-src", type=Path, help="source tree (its src/) of ours@base, e.g. before a change"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="keeps generated data")
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument("--no-bulk", dest="bulk", action="store_false")
    parser.add_argument("--queries", default=",".join(MIX), help="subset of the mix")
    args = parser.parse_args()
    args.servers = args.servers.split(",")
    for name in set(MIX) - set(args.queries.split(",")):
        del MIX[name]
    if not args.release.is_file():
        parser.error(f"{args.release} missing: run `eocic-kg build` first")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for scale in args.scales.split(","):
            bench_scale(scale, args, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
