"""What a new user reads in the README, the data conventions and the tutorial is what the
release and the code do: counts, property names, where `select` finds the release."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import shlex
import sys
import tomllib
from pathlib import Path

import httpx
import nbformat
import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from eocic_kg import resources
from eocic_kg.prefixes import expand_iri

from .conftest import Server
from .release_cache import release_dist, run_cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONVENTIONS = (ROOT / "docs" / "data-conventions.md").read_text(encoding="utf-8")
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"
EOCIC = "https://w3id.org/eocic/ontology#"
WORDS = {"three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}

#: The things the README's "What is in the graph" table counts, and the class each is of.
COUNTED = {
    "pilot regions": "PilotRegion",
    "cluster organisations with founding year": "ClusterOrganisation",
    "development factors": "DevelopmentFactor",
    "challenge themes": "ChallengeTheme",
    "megatrends": "Megatrend",
    "region-challenge attributions": "ChallengeAttribution",
    "survey figures": "SurveyFigure",
    "statements": "SurveyStatement",
    "regional differences": "RegionalDifference",
    "measures with region": "Measure",
    "key steps": "TransitionStep",
    "journey phases": "JourneyPhase",
    "cluster functions": "ClusterFunction",
    "principles": "TransitionPrinciple",
    "services": "ObservatoryService",
}


def ask(server: Server, query: str) -> list[dict[str, str]]:
    """The rows of a SELECT at the server's endpoint, as plain values."""
    sparql = SPARQLWrapper(f"{server.url}/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(JSON)
    rows = sparql.queryAndConvert()["results"]["bindings"]
    return [{name: term["value"] for name, term in row.items()} for row in rows]


def readme_counts() -> dict[str, int]:
    """Each count the README's graph table states, by the words that follow the number."""
    table = README.split("## What is in the graph", 1)[1].split("\n## ", 1)[0]
    found = {}
    for words in COUNTED:
        match = re.search(rf"\b(\d+|{'|'.join(WORDS)}) {re.escape(words)}\b", table)
        assert match, f"the README's graph table no longer counts {words!r}"
        number = match.group(1)
        found[words] = int(number) if number.isdigit() else WORDS[number]
    return found


def test_readme_graph_table_counts_regional_differences_as_the_release_holds(
    full_server: Server,
) -> None:
    """The table said "12 regional differences" while the release holds 15 (12 about a survey
    statement and 3 about a whole theme); every count it states is checked against the
    endpoint."""
    for words, number in readme_counts().items():
        [row] = ask(
            full_server,
            f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{EOCIC}{COUNTED[words]}> }}",
        )
        assert int(row["n"]) == number, f"README: {number} {words}; the release: {row['n']}"


def _sentences_with(text: str, marker: str) -> str:
    """The sentences (split at ". " and ": ") of `text` that hold `marker`."""
    return " ".join(s for s in re.split(r"(?<=[.;:])\s", text) if marker in s)


def test_data_conventions_properties_answer_in_the_release(full_server: Server) -> None:
    """docs/data-conventions.md named `eocic:differenceInTheme` as the property of a difference
    about a theme and said it was kept, but the release holds no triple of it: a query written
    from the page got no rows. Every `eocic:` property the page names has triples, except those
    it says have none, which indeed have none."""
    text = " ".join(CONVENTIONS.split())
    named = set(re.findall(r"`eocic:([a-z]\w*)", text))
    said_unused = set(re.findall(r"eocic:([a-z]\w*)", _sentences_with(text, "has no triples")))
    values = " ".join(f"<{EOCIC}{name}>" for name in sorted(named))
    rows = ask(full_server, f"SELECT DISTINCT ?p WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?o }}")
    used = {row["p"].removeprefix(EOCIC) for row in rows}
    assert named - said_unused <= used, f"named but never stated: {named - said_unused - used}"
    assert not said_unused & used, f"said to have no triples but stated: {said_unused & used}"


def test_tutorial_says_where_select_reads_the_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tutorial said `select` reads `dist/eocic.nq` of the source tree (or a user's cache)
    when $EOCIC_DIST is unset; it reads the release the package carries, so a notebook user who
    rebuilt `dist/` was told the wrong file. The places it names are where `select` reads."""
    intro = " ".join(nbformat.read(NOTEBOOK, as_version=4).cells[0].source.split())
    said = re.search(r"It finds the release.*?\.(?=\s|$)", intro)
    assert said, "the tutorial no longer says where select finds the release"
    sentence = said.group(0)
    monkeypatch.delenv("EOCIC_DIST", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "eocic.nq").write_bytes(resources.BUNDLED_RELEASE.read_bytes())
    found = resources.package_release_file()
    assert ("dist/eocic.nq" in sentence.replace("$EOCIC_DIST/eocic.nq", "")) == (
        found.parent.name == "dist"
    ), f"the tutorial: {sentence!r}; select reads {found}"
    assert ("release the package carries" in sentence) == (found == resources.BUNDLED_RELEASE)


def _requirements(extras: set[str]) -> set[str]:
    """The distributions `pip install '.[extras]'` brings directly (extras that name the
    project's own extras followed), by normalised name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names: set[str] = set()
    pending, wanted, seen = list(project["dependencies"]), list(extras), set()
    while pending or wanted:
        if not pending:
            extra = wanted.pop()
            if extra not in seen:
                seen.add(extra)
                pending = list(project["optional-dependencies"][extra])
            continue
        requirement = pending.pop()
        name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        if name == "eocic-kg":
            wanted += re.findall(r"[\w-]+", requirement.split("[", 1)[1].split("]")[0])
        else:
            names.add(name)
    return names


def test_readme_says_how_to_install_what_the_tutorial_imports() -> None:
    """The README pointed to the tutorial, and its install table to `pip install .`, which has
    neither pandas, matplotlib nor a Jupyter kernel: the notebook's first cell failed with
    ModuleNotFoundError. The command the README gives for it brings every module it imports."""
    paragraph = README.split("`docs/tutorial.ipynb` asks", 1)[1].split("\n\n", 1)[0]
    commands = re.findall(r"`pip install ([^`]+)`", " ".join(paragraph.split()))
    assert commands, "the README does not say what to install to run the tutorial"
    imported = set()
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type == "code":
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module:
                    imported.add(node.module.split(".")[0])
    distributions = importlib.metadata.packages_distributions()
    needed = {
        distributions[module][0].lower()
        for module in imported - set(sys.stdlib_module_names) - {"eocic_kg"}
    }
    assert not needed <= _requirements(set()), "then `pip install .` would do"
    for command in commands:
        args = shlex.split(command)
        extras = {e for a in args if a.startswith(".[") for e in a[2:-1].split(",")}
        brought = _requirements(extras) | {a.lower() for a in args if not a.startswith(".")}
        if needed | {"ipykernel", "nbclient"} <= brought:
            break
    else:
        raise AssertionError(f"no command of {commands} brings {needed}, ipykernel, nbclient")


def test_data_conventions_lists_every_concept_of_the_schemes_it_spells_out(
    full_server: Server,
) -> None:
    """The page's "Shared IRIs" listed four measure statuses and left out `status:not-stated`,
    the status of most measures: a query over the statuses it lists missed them. Each scheme
    whose members it spells out lists exactly the concepts the release puts in that scheme."""
    part = CONVENTIONS.split("## Shared IRIs", 1)[1].split("\n## ", 1)[0]
    checked = 0
    for item in re.split(r"\n- ", part):
        item = " ".join(item.split())
        spelled = re.match(r"`scheme:([\w-]+)` \[[^\]]*\], `eocic:\w+`: (.*)", item)
        if not spelled:
            continue
        listed = {
            expand_iri(name, "data-conventions")
            for name in re.findall(r"`([a-z][\w-]*:[\w-]+)`", spelled.group(2))
            if not name.startswith("eocic:")
        }
        if not listed:
            continue
        scheme = f"https://w3id.org/eocic/id/scheme/{spelled.group(1)}"
        rows = ask(full_server, f"SELECT DISTINCT ?c WHERE {{ ?c skos:inScheme <{scheme}> }}")
        assert listed == {row["c"] for row in rows}, spelled.group(1)
        checked += 1
    assert checked >= 10


def test_web_graph_exports_ignored_graphs_and_drew_the_asserted_edges(
    full_server: Server, tmp_path: Path
) -> None:
    """The README offered `/graph/export.*` "with the same parameters" beside the CLI's
    `--graphs inferred|all`, but `graphs=inferred` in the URL was not read: the asserted edges
    came back, 200, as if it had been. The web views now take `graphs=` as the CLI does: the
    same bytes as `eocic-kg export --graphs G`, and an unknown selection is a 400."""
    row = next(line for line in README.splitlines() if "`/graph/export.{" in line)
    assert "`graphs=asserted|inferred|all|ontology|data`" in row
    files, dist = {}, release_dist(tmp_path / "dist")
    for graphs in ("asserted", "inferred", "all"):
        files[graphs] = tmp_path / f"{graphs}.graphml"
        result = run_cli(
            "export", "--format", "graphml", "--view", "regions", "--graphs", graphs,
            "-o", str(files[graphs]), dist=dist,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    assert files["asserted"].read_bytes() != files["inferred"].read_bytes()
    for graphs in ("asserted", "inferred", "all"):
        web = httpx.get(f"{full_server.url}/graph/export.graphml?view=regions&graphs={graphs}")
        assert web.status_code == 200, web.text
        assert web.content == files[graphs].read_bytes(), graphs
    default = httpx.get(f"{full_server.url}/graph/export.graphml?view=regions")
    assert default.content == files["asserted"].read_bytes()
    page = httpx.get(f"{full_server.url}/graph?view=regions&graphs=inferred")
    assert page.status_code == 200
    assert "/graph/export.graphml?view=regions&amp;graphs=inferred" in page.text
    assert 'name="graphs" value="inferred"' in page.text  # the view form keeps the choice
    wrong = httpx.get(f"{full_server.url}/graph/export.graphml?view=regions&graphs=entailed")
    assert wrong.status_code == 400 and "unknown graphs 'entailed'" in wrong.text
