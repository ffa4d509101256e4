"""Search index: build time, size and query latency (SQLite FTS5), and the same for tantivy.

    eocic-kg build                                  # dist/eocic.nq
    python bench/bench_search.py [--release dist/eocic.nq] [--repeat 200]
    PYTHONPATH=/tmp/tvlib python bench/bench_search.py   # with tantivy (pip install --target)

Build is timed from the release file (load it into the embedded store, read the literals with
the internal query search-literals, index them); latency is the median and 95th percentile of
`SearchIndex.search` over a mix of words, phrases and prefixes, in process.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from eocic_kg.catalogue import internal
from eocic_kg.queries import select
from eocic_kg.search import FIELDS, SearchIndex, build_index, entries
from eocic_kg.store import Store

MIX = [
    "brain drain",
    '"Joint Peer Review Meeting"',
    "hauts de france",
    "poles de competitivite",
    "innovat*",
    "digitali* hauts",
    "cluster",
    "compete machine",
    "smart specialisation",
    "region",
]


def _timed(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _summary(name: str, times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    return f"{name:<28} median {statistics.median(times):7.3f} ms   p95 {p95:7.3f} ms"


def bench_fts5(release: Path, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "eocic.nq"
        copy.write_bytes(release.read_bytes())
        started = time.perf_counter()
        path = build_index(copy)
        built = time.perf_counter() - started
        index = SearchIndex.open(path)
        print(f"FTS5: {len(index)} texts, built in {built:.2f} s, {path.stat().st_size} bytes")
        started = time.perf_counter()
        SearchIndex.open(path)
        print(f"FTS5: opened in {(time.perf_counter() - started) * 1000:.1f} ms")
    for text in MIX:
        print(_summary(f"  {text}", _timed(lambda t=text: index.search(t, 20), repeat)))


def bench_tantivy(release: Path, repeat: int) -> None:
    try:
        import tantivy  # type: ignore[import-not-found]
    except ImportError:
        print("tantivy: not installed (pip install --target DIR tantivy; PYTHONPATH=DIR)")
        return
    started = time.perf_counter()
    texts = entries(select(internal("search-literals"), store=Store.from_file(release)))
    builder = tantivy.SchemaBuilder()
    for name in FIELDS:
        builder.add_text_field(name, stored=True, tokenizer_name="en_stem")
    builder.add_text_field("resource", stored=True, tokenizer_name="raw")
    index = tantivy.Index(builder.build())
    writer = index.writer()
    for entry in texts:
        writer.add_document(
            tantivy.Document(**{entry.field: [entry.text], "resource": [entry.resource]})
        )
    writer.commit()
    index.reload()
    print(
        f"tantivy: {len(texts)} texts, built in {time.perf_counter() - started:.2f} s (in memory)"
    )
    searcher = index.searcher()

    def search(text: str) -> object:
        query = index.parse_query(text, list(FIELDS))
        return [searcher.doc(a)["resource"] for _, a in searcher.search(query, 20).hits]

    for text in MIX:
        print(_summary(f"  {text}", _timed(lambda t=text: search(t), repeat)))
    print(
        "tantivy 'poles de competitivite' top hit:", (search("poles de competitivite") or ["-"])[0]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, default=Path("dist/eocic.nq"))
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    bench_fts5(args.release, args.repeat)
    bench_tantivy(args.release, args.repeat)


if __name__ == "__main__":
    main()
