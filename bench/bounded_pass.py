"""What the row limit costs a SELECT in the engine's process: the solutions counted as TSV and
converted (one evaluation, three passes over the rows) against written straight while a byte
that each solution writes is counted (one pass; a result past that bound is evaluated again
and counted as TSV), in one run.

    python bench/bounded_pass.py [--release dist/eocic.nq] [--scales bundled,100k]

Each query of bench_peers' mix that is a SELECT, and three more: a scan cut at the row limit
(streamed: the first evaluation stops at the bound), a sorted one cut at the limit (the whole
sort is done before the first row, so a result past the bound pays it twice) and a small one.
The median of `--repeat` timings of `Store.query` each way, SPARQL JSON, the server's row limit
of 10,000.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import bench_peers
from bench_peers import MIX, PREFIXES

from eocic_kg import results
from eocic_kg.store import Store
from eocic_kg.store_api import QueryRequest

ROOT = Path(__file__).resolve().parents[1]
MAX_ROWS = 10_000
LARGER = {
    "scan-cut": "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
    "sorted-cut": "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?label",
    "regions": "SELECT ?s ?label WHERE { ?s a eocic:PilotRegion ; rdfs:label ?label }",
}


def timed(store: Store, query: str, repeat: int) -> tuple[float, int]:
    """The median seconds of `store.query` and the body's size."""
    request = QueryRequest(query, tabular="json", max_rows=MAX_ROWS)
    size = len(store.query(request).body)
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        store.query(request)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", type=Path, default=ROOT / "dist" / "eocic.nq")
    parser.add_argument("--scales", default="bundled,100k")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    queries = {name: q for name, (q, accept) in MIX.items() if accept == bench_peers.JSON}
    queries |= {name: PREFIXES + q for name, q in LARGER.items()}
    one_pass = results._WORTH_A_TRY
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales.split(","):
            data = bench_peers.synthetic_release(scale, Path(tmp), args.release)
            store = Store.from_file(data)
            print(f"{scale}: median ms of Store.query, SPARQL JSON, max_rows {MAX_ROWS:,}")
            print(f"{'query':>14} {'bytes':>9} {'counted':>9} {'one pass':>9} {'ratio':>7}")
            for name, query in queries.items():
                repeat = max(5, args.repeat // 20) if "cut" in name else args.repeat
                results._WORTH_A_TRY = 1 << 62  # no first pass: counted, as before
                counted, size = timed(store, query, repeat)
                results._WORTH_A_TRY = one_pass
                one, _ = timed(store, query, repeat)
                print(
                    f"{name:>14} {size:>9,} {counted * 1e3:>9.3f} {one * 1e3:>9.3f} "
                    f"{counted / one:>6.2f}x"
                )


if __name__ == "__main__":
    main()
