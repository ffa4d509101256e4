"""The README's examples run: its eocic-kg commands, and its curl calls against a live server."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

import httpx
import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from eocic_kg.prefixes import expand_iri

from .conftest import Server
from .release_cache import release_dist, run_cli

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
LINES = [line.strip() for block in BLOCKS for line in block.splitlines() if line.strip()]
COMMANDS = [shlex.split(line)[1:] for line in LINES if line.startswith("eocic-kg ")]
CURLS = [shlex.split(line)[1:] for line in LINES if line.startswith("curl ")]
#: The SPARQL example that pastes the `values` of the README's `/api/search` call.
[SEARCH_JOIN] = [
    block
    for block in re.findall(r"```sparql\n(.*?)```", (ROOT / "README.md").read_text("utf-8"), re.S)
    if "VALUES ?resource" in block
]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dist directory holding the session's release (`eocic-kg build` is tested in
    tests/test_build.py)."""
    return release_dist(tmp_path_factory.mktemp("dist"))


def test_readme_has_examples() -> None:
    assert len(COMMANDS) >= 3 and len(CURLS) >= 2


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a)[:40])
def test_readme_command_runs(args: list[str], dist: Path, tmp_path: Path) -> None:
    args = [str(tmp_path / Path(a).name) if a.startswith("dist/") else a for a in args]
    args = [str(ROOT / a) if a.startswith("queries/") else a for a in args]
    result = run_cli(*args, dist=dist)
    assert result.returncode == 0, result.stderr
    assert result.stdout or result.stderr
    if args[0] == "query":  # a query example that answers nothing teaches nothing
        assert "(0 rows)" not in result.stdout and len(result.stdout.splitlines()) > 1


@pytest.mark.parametrize("args", CURLS, ids=lambda a: a[-1][-40:])
def test_readme_curl_works(args: list[str], full_server: Server) -> None:
    headers = dict(
        header.split(": ", 1) for flag, header in itertools.pairwise(args) if flag == "-H"
    )
    url = args[-1].replace("http://127.0.0.1:8000", full_server.url)
    response = httpx.get(url, headers=headers, timeout=30)
    assert response.status_code == 200
    assert response.text
    if response.headers["content-type"].startswith("application/sparql-results+json"):
        assert response.json()["results"]["bindings"], "a 200 with no rows"


def test_readme_sections_it_points_to_exist() -> None:
    """Every `see "Section"` in the README and CONTRIBUTING names a heading of that file."""
    for name in ("README.md", "CONTRIBUTING.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        headings = {m.group(1).strip() for m in re.finditer(r"^#+ (.+)$", text, re.M)}
        for pointer in re.findall(r'see "([^"]+)"', text):
            assert pointer in headings, f"{name} points to a missing section {pointer!r}"


def test_readme_search_join_pastes_the_values_its_search_call_answers(full_server: Server) -> None:
    """The README's SPARQL example, said to paste the `values` of `/api/search?q=entrepreneurial
    +culture&limit=3`, listed two of its three IRIs: it answered Piemonte where the search's own
    clause answers Piemonte and Wallonia."""
    [call] = [args[-1] for args in CURLS if "/api/search?" in args[-1]]
    found = httpx.get(call.replace("http://127.0.0.1:8000", full_server.url), timeout=30).json()
    values = re.search(r"VALUES \?resource \{(.*?)\}", SEARCH_JOIN, re.S)
    assert values
    pasted = [expand_iri(name, "README") for name in values.group(1).split()]
    assert pasted == found["iris"]
    sparql = SPARQLWrapper(f"{full_server.url}/sparql")
    sparql.setQuery(SEARCH_JOIN)
    sparql.setReturnFormat(JSON)
    rows = sparql.queryAndConvert()["results"]["bindings"]
    joined = found["values"].join(SEARCH_JOIN.split(values.group(0)))
    sparql.setQuery(joined)
    assert rows and rows == sparql.queryAndConvert()["results"]["bindings"]
