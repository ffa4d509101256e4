"""The options of the `eocic-kg` commands (their help shows every default)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from eocic_kg import __version__
from eocic_kg.resources import DATA_DIR
from eocic_kg.settings import FRONTS, ServerSettings

#: Every default of `serve` comes from the settings (one place for each).
_DEFAULTS = ServerSettings()


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Help that shows every option's default (unless its help text already tells it)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = not any(action.default is v for v in (None, False, argparse.SUPPRESS))
        if shown and "default" not in text and (action.option_strings or action.nargs == "?"):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """A command's parser: help with defaults."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


def build_parser(description: str) -> argparse.ArgumentParser:
    """The parser of every `eocic-kg` command, its options with help texts and defaults."""
    parser = argparse.ArgumentParser(
        prog="eocic-kg", description=description, formatter_class=_Formatter
    )
    parser.add_argument("--version", action="version", version=f"eocic-kg {__version__}")
    parser.add_argument(
        "--release",
        type=Path,
        default=None,
        help="release graph (default: $EOCIC_DIST/eocic.nq, else dist/eocic.nq if built, else "
        "the bundled release; build writes $EOCIC_DIST/eocic.nq or dist/eocic.nq)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DATA_DIR,
        help="directory of data files to build from (default: the bundled data)",
    )
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="COMMAND",
        parser_class=_Parser,
    )
    sub.add_parser("build", help="load, reason, validate and write the release graph")
    sub.add_parser("validate", help="print the SHACL report of the sources; exit 1 on violations")
    sub.add_parser("reason", help="check OWL consistency with HermiT and list the entailments")
    sub.add_parser("stats", help="counts of the release graph by class")
    query = sub.add_parser("query", help="run a SPARQL query against the release graph")
    query.add_argument(
        "sparql", nargs="?", help="the query text (predeclared prefixes such as eocic: region:)"
    )
    query.add_argument("-f", "--file", type=Path, help="read the query from this file instead")
    query.add_argument(
        "-p",
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="a parameter of a named query (its ?_NAME_type variable), bound as the API binds "
        "it; a query file's parameters not given take its #+ defaults (repeatable)",
    )
    query.add_argument(
        "-o",
        "--output",
        choices=["table", "csv", "tsv", "json", "xml"],
        default="table",
        help="result format of SELECT/ASK (CONSTRUCT/DESCRIBE print Turtle)",
    )
    from eocic_kg.export import RDF_FORMATS
    from eocic_kg.graphformats import GRAPH_FORMATS
    from eocic_kg.graphview import VIEWS

    export = sub.add_parser("export", help="write the release as RDF or as a network graph")
    export.add_argument(
        "--format", choices=[*RDF_FORMATS, *GRAPH_FORMATS], default="ttl", help="output format"
    )
    export.add_argument(
        "--graphs",
        choices=["all", "asserted", "inferred", "ontology", "data"],
        default=None,
        help="which graphs of the release to export: RDF formats default to all; graph formats "
        "take their edges from the asserted graphs unless told (inferred, all)",
    )
    export.add_argument(
        "--view",
        choices=list(VIEWS),
        default=None,
        help="which view (network formats only; default: full)",
    )
    export.add_argument(
        "-o",
        "--output",
        type=Path,
        help="file to write, atomically (csv: a DIR or FILE.zip); missing parent directories "
        "are created (default: standard output)",
    )
    charts = sub.add_parser("charts", help="write survey charts and the challenge heat map")
    charts.add_argument(
        "outdir", type=Path, nargs="?", help="same as -o DIR (default: dist/charts)"
    )
    charts.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="DIR",
        help="directory to write the PNG and SVG files into, created if missing "
        "(default: dist/charts)",
    )
    synth = sub.add_parser("synth", help="generate synthetic Europe-scale data (own named graph)")
    synth.add_argument("--regions", type=int, default=240, help="number of synthetic regions")
    synth.add_argument("--clusters", type=int, default=3000, help="number of synthetic clusters")
    synth.add_argument(
        "--triples", type=int, help="aim at about this many triples (overrides the two counts)"
    )
    synth.add_argument("--seed", type=int, default=0, help="random seed (same seed, same data)")
    synth.add_argument(
        "-o", "--output", type=Path, default=Path("dist/synthetic.nq"), help="N-Quads file to write"
    )
    load = sub.add_parser("load", help="bulk-load RDF files into an on-disk store")
    load.add_argument("files", type=Path, nargs="+", help="RDF files (format by extension)")
    load.add_argument("--store", type=Path, required=True, help="store directory")
    load.add_argument(
        "--replace",
        action="store_true",
        help="empty the store first (loading a file twice would duplicate its blank nodes)",
    )
    push = sub.add_parser("push", help="upload the release to a SPARQL 1.1 Graph Store")
    push.add_argument(
        "--graph-store",
        required=True,
        help="Graph Store HTTP Protocol URL (Virtuoso: http://HOST:8890/sparql-graph-crud-auth)",
    )
    push.add_argument(
        "--user", help="user name, if the Graph Store asks for one (digest or basic auth)"
    )
    push.add_argument(
        "--password-file",
        type=Path,
        help="file holding the --user's password (or set $EOCIC_GRAPH_STORE_PASSWORD)",
    )
    search = sub.add_parser(
        "search", help="search the report's words (labels, definitions, quotes)"
    )
    search.add_argument(
        "words", nargs="+", help='words (all must match), "quoted phrases", word* for a prefix'
    )
    search.add_argument(
        "--limit",
        type=int,
        help="resources shown at most (1-100; default: as /search and /api/search)",
    )
    search.add_argument("-o", "--output", choices=["text", "json"], default="text", help="format")
    serve = sub.add_parser("serve", help="serve the release graph over SPARQL and HTTP")
    serve.add_argument(
        "--host",
        default=_DEFAULTS.host,
        help="address to listen on (beyond loopback, writes need a token)",
    )
    serve.add_argument("--port", type=int, default=_DEFAULTS.port, help="TCP port")
    serve.add_argument(
        "--workers", type=int, default=_DEFAULTS.workers, help="worker processes (writable: 1)"
    )
    serve.add_argument(
        "--timeout", type=int, default=_DEFAULTS.worker_timeout, help="worker timeout, seconds"
    )
    serve.add_argument(
        "--front",
        choices=FRONTS,
        default=_DEFAULTS.front,
        help="HTTP server: granian reads requests without a thread per connection",
    )
    serve.add_argument(
        "--query-memory-mb",
        type=int,
        default=_DEFAULTS.query_memory_mb,
        help="memory one evaluation may allocate, MiB (0: no cap); past it the query fails alone",
    )
    serve.add_argument(
        "--query-timeout",
        type=float,
        default=_DEFAULTS.query_timeout,
        help="per-query (and per-update) limit, seconds",
    )
    serve.add_argument(
        "--upload-timeout",
        type=float,
        default=_DEFAULTS.upload_timeout,
        help="limit of one Graph Store upload (up to 256 MiB) or delete, seconds",
    )
    serve.add_argument(
        "--writable",
        action="store_true",
        help="accept SPARQL Update and Graph Store writes, kept in an on-disk store "
        "(--store PATH, default dist/store, created from the release)",
    )
    serve.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser origin (https://host[:port]) allowed to write (repeatable; default: none)",
    )
    serve.add_argument(
        "--write-token-file",
        type=Path,
        help="file holding the bearer token writes must carry (or set $EOCIC_WRITE_TOKEN); "
        "required when --writable listens beyond loopback",
    )
    serve.add_argument(
        "--behind-proxy",
        action="store_true",
        help="the server is reached through a reverse proxy: --writable then needs a write "
        "token even on loopback (every client of the proxy looks local)",
    )
    serve.add_argument(
        "--accept-network-risk",
        action="store_true",
        help="listen beyond loopback even where query executors cannot be cut off from the "
        "network (SERVICE/LOAD could then reach internal hosts)",
    )
    serve.add_argument(
        "--base-iri",
        default=_DEFAULTS.base_iri,
        help="IRI base the server answers for (its /id/... paths are {base}id/...)",
    )
    serve.add_argument(
        "--cache-mb",
        type=int,
        default=_DEFAULTS.cache_mb,
        help="result cache per worker, MiB (0: no cache; cleared by every write)",
    )
    serve.add_argument(
        "--views-mb",
        type=int,
        default=_DEFAULTS.views_mb,
        help="derived views kept per worker (pages, dumps, graph views), MiB (cleared by writes)",
    )
    source = serve.add_mutually_exclusive_group()
    source.add_argument(
        "--store",
        type=Path,
        help="serve (with --writable: write to) an on-disk store made by 'load'",
    )
    source.add_argument("--sparql-endpoint", help="serve in front of a remote SPARQL endpoint")
    serve.add_argument(
        "--max-rows",
        type=int,
        default=_DEFAULTS.max_rows,
        help="SELECT rows returned at most (0: no limit)",
    )
    return parser
