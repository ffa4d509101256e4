"""The eocic-kg command line: query, validate and reason, run as a user would."""

from __future__ import annotations

import csv
import io
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from eocic_kg.cli import main
from eocic_kg.errors import UsageError
from eocic_kg.resources import DATA_DIR
from eocic_kg.serve import check_port_free

from .conftest import Server
from .release_cache import release_dist, release_nquads, run_cli


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dist directory holding the session's release (`eocic-kg build` is tested in
    tests/test_build.py)."""
    return release_dist(tmp_path_factory.mktemp("dist"))


def test_query_prints_a_table(dist: Path) -> None:
    result = run_cli(
        "query",
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "SELECT ?label WHERE { <https://w3id.org/eocic/id/region/saxony> rdfs:label ?label }",
        dist=dist,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[2] == "Saxony"
    assert "(1 row)" in result.stdout


def test_query_file_as_csv(dist: Path) -> None:
    queries = Path(__file__).resolve().parent.parent / "queries"
    result = run_cli("query", "-o", "csv", "-f", str(queries / "regions.rq"), dist=dist)
    assert result.returncode == 0
    assert len(result.stdout.strip().splitlines()) == 11  # header + ten regions


@pytest.mark.parametrize("output", ["csv", "json", "xml", "tsv"])
def test_query_output_format_of_a_construct_is_refused_not_ignored(dist: Path, output: str) -> None:
    """`query -o csv 'CONSTRUCT ...'` printed Turtle and exited 0: the -o asked for was dropped
    unsaid. It is a usage error saying CONSTRUCT prints Turtle; without -o it prints Turtle."""
    construct = "CONSTRUCT { region:saxony rdfs:label ?l } WHERE { region:saxony rdfs:label ?l }"
    refused = run_cli("query", "-o", output, construct, dist=dist)
    assert refused.returncode == 2 and not refused.stdout
    assert f"-o {output} is a format of SELECT and ASK results" in refused.stderr
    printed = run_cli("query", construct, dist=dist)
    assert printed.returncode == 0 and "region:saxony rdfs:label" in printed.stdout


def test_query_syntax_error_gives_position(dist: Path) -> None:
    result = run_cli("query", "SELECT * WHERE { ?s ?p }", dist=dist)
    assert result.returncode == 1
    assert "line 1, column" in result.stderr and "query error" in result.stderr


def test_validate_and_reason_succeed(dist: Path) -> None:
    validate = run_cli("validate", dist=dist)
    assert validate.returncode == 0, validate.stdout[-2000:]
    assert "0 violation(s)" in validate.stdout
    reason = run_cli("reason", dist=dist)
    assert reason.returncode == 0 and "consistent" in reason.stdout


def test_stats_counts_classes(dist: Path) -> None:
    result = run_cli("stats", dist=dist)
    assert result.returncode == 0
    assert any(line.split() == ["10", "eocic:PilotRegion"] for line in result.stdout.splitlines())


def test_shape_violation_fails_validate_and_build_naming_node_and_shape(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for path in DATA_DIR.glob("*.ttl"):
        (data / path.name).write_bytes(path.read_bytes())
    (data / "zz-new-measure.ttl").write_text(
        "@prefix eocic: <https://w3id.org/eocic/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/eocic/id/measure/orphan> a eocic:Measure ;\n"
        '    rdfs:label "A measure proposed for no region"@en .\n'
    )
    validate = run_cli("--data", str(data), "validate", dist=tmp_path)
    assert validate.returncode == 1
    assert "Violation: https://w3id.org/eocic/id/measure/orphan" in validate.stdout
    assert "shapes#MeasureShape" in validate.stdout
    release = tmp_path / "eocic.nq"
    release.write_bytes(b"previous good release\n")
    build = run_cli("--data", str(data), "build", dist=tmp_path)
    assert build.returncode == 2
    assert "measure/orphan" in build.stderr and "MeasureShape" in build.stderr
    assert release.read_bytes() == b"previous good release\n"


def test_python_dash_m_prints_help_listing_every_command(tmp_path: Path) -> None:
    import subprocess
    import sys

    from eocic_kg.cli import _COMMANDS

    result = subprocess.run(
        [sys.executable, "-m", "eocic_kg", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    summary = next(line for line in lines if line.startswith("Commands:"))
    for command in _COMMANDS:
        assert command in summary
        assert any(line.split()[:1] == [command] for line in lines), command


def test_every_option_has_help_and_its_default() -> None:
    import argparse

    from eocic_kg.cli_parser import build_parser

    parser = build_parser("")
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    mine = ["build", "validate", "reason", "stats", "query", "export", "charts", "synth", "push"]
    for name in mine:
        sub = subparsers.choices[name]
        text = sub.format_help()
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"{name} {action.dest} has no help"
            if action.default is not None and action.default is not False:
                assert f"default: {action.default}" in " ".join(text.split()), action.dest


@pytest.mark.parametrize(
    "args",
    [
        ("query", "-f", "missing.rq"),
        ("load", "missing.nt", "--store", "store"),
        ("stats",),
        ("--data", "missing", "validate"),
    ],
)
def test_missing_files_are_one_line_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run_cli(*args, dist=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("eocic-kg: error:")
    assert "missing" in result.stderr or "no release graph" in result.stderr


def test_unreadable_query_file(tmp_path: Path) -> None:
    (tmp_path / "latin1.rq").write_bytes("SELECT * { ?s ?p 'caf\xe9' }".encode("latin-1"))
    result = run_cli("query", "-f", "latin1.rq", dist=tmp_path)
    assert result.returncode == 2 and "not UTF-8" in result.stderr
    assert "Traceback" not in result.stderr


def test_charts_takes_o_dir_and_the_positional_form(dist: Path) -> None:
    for args in (("charts", "-o", "out1"), ("charts", "out2")):
        result = run_cli(*args, dist=dist)
        assert result.returncode == 0, result.stderr
        assert sorted(p.suffix for p in (dist / args[-1]).iterdir())[:1] == [".png"]


def test_export_creates_missing_directories(dist: Path) -> None:
    result = run_cli("export", "--format", "nt", "-o", "new/dir/eocic.nt", dist=dist)
    assert result.returncode == 0, result.stderr
    assert (dist / "new" / "dir" / "eocic.nt").stat().st_size > 0


def test_main_in_process_gives_sigpipe_back_as_it_was(dist: Path) -> None:
    """`eocic_kg.cli.main` makes a closed pipe end a command quietly (`eocic-kg ... | head`).
    Called in a process that goes on (a test worker, a notebook) it left SIGPIPE fatal there:
    a query pool that process ran later died writing to a stopped executor (a test worker
    crashed so in CI)."""
    before = signal.getsignal(signal.SIGPIPE)
    query = "ASK { ?s ?p ?o }"
    assert main(["--release", str(dist / "eocic.nq"), "query", query]) == 0
    assert main(["--release", str(dist / "eocic.nq"), "query", "ASK {"]) != 0
    assert signal.getsignal(signal.SIGPIPE) == before == signal.SIG_IGN


QUERIES = Path(__file__).resolve().parent.parent / "queries"


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("survey-figures-above", {}),
        ("survey-figures-above", {"threshold": "70"}),
        ("regions-by-challenge", {}),
        ("regions-by-challenge", {"challenge": "challenge:automation"}),
        ("search-labels", {"text": "pôles"}),
    ],
)
def test_query_file_of_a_named_query_gives_the_api_rows_not_its_parameters_unbound(
    dist: Path, full_server: Server, name: str, params: dict[str, str]
) -> None:
    """`eocic-kg query -f queries/survey-figures-above.rq` ran with ?_threshold_decimal
    unbound: a header and no rows, exit 0, where the API answers five rows with the query's
    default; `regions-by-challenge.rq` printed every challenge's regions, not the default's. A
    query file's parameters are now bound as the API binds them (`--param`, then defaults)."""
    given = [arg for key, value in params.items() for arg in ("--param", f"{key}={value}")]
    result = run_cli("query", "-o", "csv", "-f", str(QUERIES / f"{name}.rq"), *given, dist=dist)
    assert result.returncode == 0, result.stderr
    api = httpx.get(f"{full_server.url}/api/queries/{name}", params={**params, "format": "csv"})
    assert api.status_code == 200, api.text
    cli_rows = list(csv.reader(io.StringIO(result.stdout)))
    api_rows = list(csv.reader(io.StringIO(api.text)))
    assert len(cli_rows) > 1 and cli_rows == api_rows


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "threshold=NaN"], "not a decimal"),
        (["-p", "threshold"], "NAME=VALUE"),
        (["-p", "colour=red"], "unknown parameter"),
        (["-p", "threshold=1", "-p", "threshold=2"], "given twice"),
    ],
)
def test_query_file_with_a_bad_param_is_a_usage_error(
    dist: Path, args: list[str], message: str
) -> None:
    result = run_cli("query", "-f", str(QUERIES / "survey-figures-above.rq"), *args, dist=dist)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert result.stdout == ""


def test_serve_on_a_port_another_server_holds_started_and_shared_it(
    full_server: Server, tmp_path: Path
) -> None:
    """`eocic-kg serve --port P` while another server listens on P started all the same
    (Granian binds with SO_REUSEPORT) and took every other connection: clients were answered
    by two servers, an old release or old code among them, unsaid. It is now a one-line error
    (exit 2) and the running server goes on alone."""
    release = release_nquads()
    command = [sys.executable, "-m", "eocic_kg", "--release", str(release), "serve"]
    with (tmp_path / "second.log").open("w+") as log:
        second = subprocess.Popen(
            [*command, "--port", str(full_server.port), "--workers", "1"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            code = second.wait(30)
        except subprocess.TimeoutExpired:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
            pytest.fail("a second server started on a port another server holds")
        log.seek(0)
        said = log.read()
    assert code == 2, said
    assert f"cannot serve on 127.0.0.1:{full_server.port}" in said and "--port" in said
    assert httpx.get(f"{full_server.url}/health", timeout=10).status_code == 200


def test_port_probe_lets_a_restart_through_the_last_servers_closed_connections() -> None:
    """The probe against a second server first bound without SO_REUSEADDR, so the closed
    connections a stopped server leaves in TIME_WAIT (a minute) refused its restart on the same
    port. Only a listening socket holds the port."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        for _ in range(3):  # the server closes first: the TIME_WAIT is on its side
            with socket.create_connection(("127.0.0.1", port)):
                accepted, _ = server.accept()
                accepted.close()
        with pytest.raises(UsageError, match=f"cannot serve on 127.0.0.1:{port}"):
            check_port_free("127.0.0.1", port, wait=0.2)
    waiting = [  # its closed connections, still there (/proc/net/tcp: state 06 is TIME_WAIT)
        line
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[1] == f"0100007F:{port:04X}" and line.split()[3] == "06"
    ]
    assert len(waiting) == 3
    check_port_free("127.0.0.1", port, wait=0)
