"""The eocic-kg command (also: python -m eocic_kg).

Commands: build, validate, reason, stats, query, export, charts, synth, load, push, search, serve.
Run 'eocic-kg COMMAND --help' for the options of one command.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import RDF, Dataset, Graph

from eocic_kg.cli_parser import build_parser
from eocic_kg.errors import BuildError, UsageError
from eocic_kg.resources import default_release, release_file
from eocic_kg.settings import ServerSettings
from eocic_kg.sources import data_files, load_sources, union_graph

if TYPE_CHECKING:
    from rdflib.term import Node

    from eocic_kg.catalogue import NamedQuery


def _load_release(path: Path) -> Dataset:
    if not path.exists():
        raise BuildError(f"{path}: no release graph; run 'eocic-kg build' first")
    from eocic_kg.engine_rdf import read_into

    dataset = Dataset()
    try:  # the engine's reader: literals as written (rdflib's wrote "0012" as "12"), and
        # an error that names the file and line (rdflib's was a traceback)
        omitted = read_into(dataset, path.read_bytes())
    except SyntaxError as err:
        raise BuildError(f"{path}: {err}") from None
    if omitted:
        raise BuildError(
            f"{path}: {omitted} statements hold RDF 1.2 terms (triple terms, directional "
            "literals), which the exports cannot write"
        )
    return dataset


def _release(args: argparse.Namespace) -> Path:
    """The release file the command names, built first when it is missing."""
    from eocic_kg.build import ensure_release

    return ensure_release(args.release, args.data)


def _cmd_build(args: argparse.Namespace) -> int:
    from eocic_kg.build import build

    release = build(args.release, args.data)
    _print_stats(release.graph())
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from eocic_kg.reasoning import infer
    from eocic_kg.validation import validate

    asserted = union_graph(load_sources(files=data_files(args.data)))
    report = validate(asserted + infer(asserted))
    print(report.text())
    return 0 if report.conforms else 1


def _cmd_reason(args: argparse.Namespace) -> int:
    from eocic_kg.reasoning import infer

    entailed = infer(union_graph(load_sources(files=data_files(args.data))))
    counts = Counter(entailed.namespace_manager.normalizeUri(str(p)) for p in entailed.predicates())
    print("consistent; entailed triples by property:")
    for prop, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {count:6d}  {prop}")
    return 0


def _print_stats(graph: Graph) -> None:
    names = graph.namespace_manager
    classes = Counter(names.normalizeUri(str(c)) for c in graph.objects(None, RDF.type))
    subjects = len(set(graph.subjects()))
    print(f"{len(graph)} triples, {subjects} subjects, {len(classes)} classes in use")
    for cls, count in sorted(classes.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {count:6d}  {cls}")


def _cmd_stats(args: argparse.Namespace) -> int:
    _print_stats(union_graph(_load_release(args.release)))
    return 0


def _table(result_json: bytes) -> str:
    """SPARQL JSON results as an aligned text table (or the boolean of an ASK)."""
    document = json.loads(result_json)
    if "boolean" in document:
        return "yes" if document["boolean"] else "no"
    names = document["head"]["vars"]
    rows = [[b.get(n, {}).get("value", "") for n in names] for b in document["results"]["bindings"]]
    widths = [min(60, max([len(n), *(len(r[i]) for r in rows)])) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        cells = (v if len(v) <= w else v[: w - 1] + "…" for v, w in zip(row, widths, strict=True))
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _read_text(path: Path) -> str:
    """The text of `path` (UTF-8); a missing or unreadable file is a one-line BuildError."""
    try:
        # utf-8-sig: a byte order mark (as Windows editors write) is no part of the query
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise BuildError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    except OSError as err:
        raise BuildError(f"{path}: {err.strerror or err}") from err


def _query_parameters(query: NamedQuery, given: Sequence[str]) -> dict[str, Node]:
    """The `--param NAME=VALUE` arguments bound for `query` as the API binds them (its
    defaults filled in): a named query's parameter left unbound matched everything, or
    nothing (`survey-figures-above.rq` printed no rows, the API five)."""
    from eocic_kg.catalogue import ParameterError

    values: dict[str, str] = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--param takes NAME=VALUE, got {item!r}")
        if name in values:
            raise UsageError(f"--param {name} is given twice; give it once")
        values[name] = value
    try:
        return query.bindings(values)
    except ParameterError as err:
        raise UsageError(str(err)) from None


def _cmd_query(args: argparse.Namespace) -> int:
    from eocic_kg.catalogue import parse_query_text
    from eocic_kg.prefixes import BASE_IRI
    from eocic_kg.store import QueryError, Store
    from eocic_kg.store_api import QueryRequest, from_graphs, missing_graph

    if args.file and args.sparql:
        raise UsageError("give the query as an argument or with -f FILE, not both")
    text = _read_text(args.file) if args.file else args.sparql
    if not text:
        raise UsageError("give a query as an argument or with -f FILE")
    # a query file is a named query (as the API runs it); query text is plain SPARQL (as
    # /sparql runs it) unless given --param
    named = parse_query_text(text, args.file.stem if args.file else "text")
    given = args.param or []
    bound = _query_parameters(named, given) if args.file or given else {}
    store = Store.from_file(_release(args))
    if missing := missing_graph(store, from_graphs(text), BASE_IRI):  # as /sparql: no 0 rows
        print(
            f"eocic-kg: query error: {missing}: FROM names graphs by their full IRIs",
            file=sys.stderr,
        )
        return 1
    tabular = "json" if args.output == "table" else args.output
    request = QueryRequest(
        text, tabular=tabular, substitutions=bound, mentioned=named.mentioned(bound)
    )
    try:
        result = store.query(request)
    except QueryError as err:
        print(f"eocic-kg: query error: {err}", file=sys.stderr)
        return 1
    if result.kind == "graph" and args.output != "table":
        raise UsageError(
            f"-o {args.output} is a format of SELECT and ASK results; a CONSTRUCT or DESCRIBE "
            "query prints Turtle: leave -o out"
        )
    if result.kind == "graph" or args.output != "table":
        sys.stdout.write(result.body.decode("utf-8"))
    else:
        print(_table(result.body))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from eocic_kg.export import RDF_FORMATS, NotInXml, export_rdf, select_graphs
    from eocic_kg.graphformats import write, write_csv
    from eocic_kg.graphview import build_view

    if args.format in RDF_FORMATS and args.view is not None:
        raise UsageError(
            f"--view is for the network formats; --format {args.format} writes whole named "
            "graphs: choose them with --graphs"
        )
    dataset = _load_release(_release(args))
    if args.format in RDF_FORMATS:
        try:
            data = export_rdf(dataset, args.format, args.graphs or "all")
        except NotInXml as err:
            raise BuildError(str(err)) from None
    else:
        edges, graphs = Graph(), args.graphs or "asserted"
        for _, graph in select_graphs(dataset, graphs):
            for triple in graph:
                edges.add(triple)
        view = build_view(union_graph(dataset), args.view or "full", edges)
        if args.format == "csv":
            if args.output is None:
                raise UsageError("csv writes nodes.csv and edges.csv: give -o DIR or -o FILE.zip")
            try:
                written = write_csv(view, args.output)
            except ValueError as err:
                raise BuildError(str(err)) from err
            for path in written:
                print(f"wrote {path}", file=sys.stderr)
            return 0
        data = write(view, args.format, graphs)
    if args.output is None:
        sys.stdout.buffer.write(data)
    else:
        from eocic_kg.atomic import write_atomically

        write_atomically(args.output, data)
        print(f"wrote {args.output} ({len(data)} bytes)", file=sys.stderr)
    return 0


def _cmd_charts(args: argparse.Namespace) -> int:
    from eocic_kg.charts import write_charts
    from eocic_kg.store import Store

    if args.output and args.outdir:  # one was dropped unsaid
        raise UsageError("give the directory as an argument or with -o DIR, not both")
    store = Store.from_file(_release(args))
    for path in write_charts(store, args.output or args.outdir or Path("dist/charts")):
        print(path)
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from eocic_kg.synth import plan, write

    regions, clusters = plan(args.triples) if args.triples else (args.regions, args.clusters)
    write(args.output, regions, clusters, seed=args.seed, progress=True)
    return 0


def _cmd_load(args: argparse.Namespace) -> int:
    from eocic_kg.bulk import bulk_load
    from eocic_kg.errors import StoreBusyError

    try:
        count = bulk_load(args.store, args.files, progress=True, replace=args.replace)
    except (FileNotFoundError, ValueError, StoreBusyError) as err:
        raise BuildError(str(err)) from err
    print(f"{args.store}: {count} quads", file=sys.stderr)
    return 0


def _cmd_push(args: argparse.Namespace) -> int:
    from eocic_kg.push import PushError, push

    password = None
    if args.password_file is not None:
        try:
            password = args.password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as err:
            raise BuildError(f"cannot read the password: {err}") from err
        if not password:
            raise UsageError(f"{args.password_file} is empty: it must hold the password")
    elif args.user is not None:
        password = os.environ.get("EOCIC_GRAPH_STORE_PASSWORD") or None
    if args.user is not None and password is None:
        raise UsageError(
            "--user needs a password: --password-file FILE or $EOCIC_GRAPH_STORE_PASSWORD"
        )
    if args.user is None and password is not None:
        raise UsageError("--password-file needs --user")
    try:
        sizes = push(
            _release(args),
            args.graph_store,
            user=args.user,
            password=password,
        )
    except PushError as err:
        raise BuildError(str(err)) from err
    for graph, triples in sizes.items():
        print(f"{triples:8d}  {graph or '(default graph)'}")
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from eocic_kg.search import DEFAULT_LIMIT, MAX_LIMIT, SearchError, release_index

    limit = DEFAULT_LIMIT if args.limit is None else args.limit
    if not 1 <= limit <= MAX_LIMIT:
        raise BuildError(f"--limit must be from 1 to {MAX_LIMIT}")
    try:
        hits = release_index(_release(args)).search(" ".join(args.words), limit)
    except SearchError as err:
        raise BuildError(f'{err}. Write words, "quoted phrases" and word* for a prefix') from err
    if args.output == "json":
        print(json.dumps([hit.as_json() for hit in hits], indent=2, ensure_ascii=False))
        return 0
    for rank, hit in enumerate(hits, 1):
        snippet = "".join(f"[{text}]" if matched else text for text, matched in hit.snippet)
        print(f"{rank:2d}. {hit.title}\n    {hit.resource}\n    {hit.field}: {snippet}")
        if hit.parts:
            print(f"    from: {'; '.join(part.label for part in hit.parts)}")
    print(f"({len(hits)} resource{'s' if len(hits) != 1 else ''})")
    return 0


def _write_token(args: argparse.Namespace) -> str | None:
    """The bearer token for writes: from --write-token-file, else $EOCIC_WRITE_TOKEN."""
    if args.write_token_file is None:
        return os.environ.get("EOCIC_WRITE_TOKEN") or None
    try:
        token = args.write_token_file.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise BuildError(f"cannot read the write token: {err}") from err
    if not token:
        raise UsageError(f"{args.write_token_file} is empty: it must hold the write token")
    return token


def _settings(args: argparse.Namespace) -> ServerSettings:
    """The server's settings from the `serve` options (validated once, here)."""
    return ServerSettings(
        host=args.host,
        port=args.port,
        workers=args.workers,
        worker_timeout=args.timeout,
        query_timeout=args.query_timeout,
        upload_timeout=args.upload_timeout,
        query_memory_mb=args.query_memory_mb,
        cache_mb=args.cache_mb,
        views_mb=args.views_mb,
        max_rows=args.max_rows,
        writable=args.writable,
        allowed_origins=frozenset(args.allow_origin),
        write_token=_write_token(args),
        behind_proxy=args.behind_proxy,
        accept_network_risk=args.accept_network_risk,
        base_iri=args.base_iri,
        front=args.front,
    )


def _cmd_serve(args: argparse.Namespace) -> int:
    from eocic_kg.remote import RemoteStore
    from eocic_kg.serve import run

    if args.writable and args.sparql_endpoint:
        raise UsageError("--writable cannot be combined with --sparql-endpoint (write to it)")
    settings = _settings(args)
    remote = args.sparql_endpoint and RemoteStore(
        args.sparql_endpoint, timeout=settings.query_timeout
    )
    try:
        run(
            settings,
            store=remote or None,
            store_path=args.store,
            release=args.release if args.store else _release(args),
        )
    except (FileNotFoundError, OSError) as err:
        raise BuildError(str(err)) from err
    return 0


_COMMANDS = {
    "build": _cmd_build,
    "validate": _cmd_validate,
    "reason": _cmd_reason,
    "stats": _cmd_stats,
    "query": _cmd_query,
    "export": _cmd_export,
    "charts": _cmd_charts,
    "synth": _cmd_synth,
    "load": _cmd_load,
    "push": _cmd_push,
    "search": _cmd_search,
    "serve": _cmd_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser(__doc__ or "").parse_args(argv)
    if args.command == "serve":  # a server never dies of a closed pipe
        return _run(args)
    # `eocic-kg ... | head` ends quietly; a caller in the same process (a test, a notebook) gets
    # SIGPIPE back as it was, so that a closed pipe never kills it later (a query pool it runs
    # writes to executors that may have been stopped)
    previous = signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        return _run(args)
    finally:
        signal.signal(signal.SIGPIPE, previous)


def _run(args: argparse.Namespace) -> int:
    """Run the command `args` names; a usage, build or file error as one line (exit 2)."""
    if args.release is None:  # a build writes dist/eocic.nq; the others read the newest release
        args.release = release_file() if args.command == "build" else default_release()
    try:
        return _COMMANDS[args.command](args)
    except UsageError as err:
        print(
            f"eocic-kg {args.command}: error: {err} (see 'eocic-kg {args.command} --help')",
            file=sys.stderr,
        )
        return 2
    except BuildError as err:
        print(f"eocic-kg: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a missing or unreadable file: one line, no traceback
        where = f"{err.filename}: " if err.filename else ""
        print(f"eocic-kg: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
