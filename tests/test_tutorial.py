"""docs/tutorial.ipynb runs from top to bottom against a live endpoint and the release graph."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import Server
from .release_cache import release_nquads

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "tutorial.ipynb"


def test_tutorial_notebook_runs_and_cites_its_answers(
    full_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EOCIC_ENDPOINT", f"{full_server.url}/sparql")
    monkeypatch.setenv("EOCIC_DIST", str(release_nquads().parent))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "5 pilot regions face the funding challenge" in text
    assert "more than 73%" in text
    assert text.count("  from: ") >= 4 and text.count("  quote: \u201c") >= 4
    tables = [o for o in outputs if "text/html" in o.get("data", {})]
    assert len(tables) >= 3 and all("<table" in o["data"]["text/html"] for o in tables)
    assert any("image/png" in o.get("data", {}) for o in outputs)
