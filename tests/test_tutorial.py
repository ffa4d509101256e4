"""docs/tutorial.ipynb, run as Jupyter runs it (from docs/), prints only numbers that the named
queries answering the same questions give, and says plainly when no endpoint answers."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from eocic_kg import resources
from eocic_kg.queries import select
from eocic_kg.store import Store

from .conftest import Server, free_port
from .release_cache import release_nquads

DOCS = Path(__file__).resolve().parent.parent / "docs"
NOTEBOOK = DOCS / "tutorial.ipynb"
FUNDING = "https://w3id.org/eocic/id/challenge/funding"

pytestmark = pytest.mark.xdist_group("tutorial")


def run_notebook(endpoint: str, allow_errors: bool = False) -> nbformat.NotebookNode:
    """The committed notebook executed from docs/ against `endpoint` and the session's release."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("EOCIC_ENDPOINT", endpoint)
        env.setenv("EOCIC_DIST", str(release_nquads().parent))
        NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            allow_errors=allow_errors,
            resources={"metadata": {"path": DOCS}},
        ).execute()
    return notebook


def printed(notebook: nbformat.NotebookNode) -> str:
    """Everything the notebook's code cells printed to stdout."""
    return "".join(
        output.text
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stdout"
    )


def table(notebook: nbformat.NotebookNode, column: str) -> pd.DataFrame:
    """The one HTML table the notebook shows with a column named `column`."""
    found = [
        frame
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "text/html" in output.get("data", {})
        for frame in pd.read_html(io.StringIO(output["data"]["text/html"]))
        if column in frame.columns
    ]
    assert len(found) == 1, f"{len(found)} tables with a {column!r} column"
    return found[0]


@pytest.fixture(scope="module")
def executed(full_server: Server) -> Iterator[nbformat.NotebookNode]:
    """The notebook run once from docs/ against the full release's endpoint."""
    assert not (DOCS / "dist").exists(), "remove docs/dist, left by an earlier run"
    yield run_notebook(f"{full_server.url}/sparql")


@pytest.fixture(scope="module")
def store() -> Store:
    """The session's release in process: where the named queries give the expected answers."""
    return Store.from_file(release_nquads())


def test_tutorial_runs_from_docs_without_building_a_release_there(
    executed: nbformat.NotebookNode,
) -> None:
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert not (DOCS / "dist").exists()
    assert any(
        "image/png" in o.get("data", {}) for c in executed.cells for o in c.get("outputs", [])
    )


def test_tutorial_commits_the_outputs_it_prints(executed: nbformat.NotebookNode) -> None:
    committed = nbformat.read(NOTEBOOK, as_version=4)
    assert printed(committed), "the notebook is committed without its outputs"
    assert printed(committed) == printed(executed)


def test_tutorial_counts_regions_facing_funding_as_challenge_frequency(
    executed: nbformat.NotebookNode, store: Store
) -> None:
    found = re.search(
        r"^(\d+) pilot regions face the funding challenge: (.+)$", printed(executed), re.M
    )
    assert found, printed(executed)
    counts = {
        row["challenge"]: row["regions"] for row in select("challenge-frequency", store=store)
    }
    assert int(found[1]) == counts[FUNDING]
    named = {
        row["regionLabel"] for row in select("regions-by-challenge", store=store, challenge=FUNDING)
    }
    assert set(found[2].split(", ")) == named and len(named) == counts[FUNDING]


def test_tutorial_shows_each_survey_figure_once_with_its_value(
    executed: nbformat.NotebookNode, store: Store
) -> None:
    figures = {
        (row["statementLabel"], row.get("comparatorLabel"), row.get("percent"), row["verbatim"])
        for row in select("survey-figures", store=store)
    }
    shown = table(executed, "statement")
    rows = [tuple(row) for row in shown[["statement", "comparator", "percent", "verbatim"]].values]
    assert len(set(rows)) == len(rows) > 0
    assert set(rows) <= figures
    line = re.search(r"^(.+): (\w[\w ]*) ([\d.]+)%$", printed(executed), re.M)
    assert line, printed(executed)
    assert any(
        (statement, (comparator or "").lower(), percent) == (line[1], line[2], float(line[3]))
        for statement, comparator, percent, _ in figures
    )


def test_tutorial_counts_measures_per_type_as_measure_typology(
    executed: nbformat.NotebookNode, store: Store
) -> None:
    counts = re.findall(r"^(.+): (\d+) measures, e\.g\. ", printed(executed), re.M)
    expected = {
        row["typeLabel"]: row["measures"] for row in select("measure-typology", store=store)
    }
    assert {label: int(n) for label, n in counts} == expected
    assert len(counts) == len(expected)


def test_tutorial_says_plainly_when_no_endpoint_answers() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}/sparql"
    notebook = run_notebook(endpoint, allow_errors=True)
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors[0].ename == "ConnectionError"
    assert endpoint in errors[0].evalue and "eocic-kg serve" in errors[0].evalue
    assert "urllib" not in "\n".join(errors[0].traceback)


def test_select_finds_the_release_from_the_package_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EOCIC_DIST", raising=False)
    monkeypatch.chdir(tmp_path)
    found = resources.package_release_file()
    assert not found.is_relative_to(tmp_path)
    assert found == resources.BUNDLED_RELEASE and found.is_file()  # shipped with the package
