"""A wheel installed with no extras, into a fresh virtual environment, on a PATH with no Java:
`eocic-kg serve` serves the bundled release at once, and the commands that need an extra say
which one to install (pyproject.toml's extras by role; `eocic_kg.extras`)."""

from __future__ import annotations

import html
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rdflib import RDF, Dataset

from eocic_kg import resources
from eocic_kg.namespaces import EOCIC

from .conftest import answers, free_port

# slow: a wheel build and an install from the package index (about a minute)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("install")]
ROOT = Path(__file__).resolve().parent.parent
OPTIONAL = ("owlready2", "pyshacl", "matplotlib")


class PlainInstall:
    """A venv holding the project's wheel and its required dependencies only."""

    def __init__(self, base: Path) -> None:
        wheels, self.venv, self.home = base / "wheels", base / "venv", base / "home"
        self.home.mkdir()
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
        subprocess.run([*pip, "wheel", "-q", "--no-deps", "-w", wheels, ROOT], check=True)
        subprocess.run([sys.executable, "-m", "venv", self.venv], check=True)
        (wheel,) = wheels.glob("eocic_kg-*.whl")
        subprocess.run([self.venv / "bin" / "pip", "install", "-q", wheel], check=True)
        # the venv's scripts only: no java, no PYTHONPATH to a source tree
        self.env = {"PATH": str(self.venv / "bin"), "HOME": str(self.home), "LANG": "C.UTF-8"}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.venv / "bin" / args[0], *args[1:]],
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> PlainInstall:
    return PlainInstall(tmp_path_factory.mktemp("install"))


@pytest.fixture(scope="module")
def served(plain: PlainInstall) -> Iterator[str]:
    """`eocic-kg serve` of the plain install, on a free loopback port; its base URL."""
    url = f"http://127.0.0.1:{free_port()}"
    log = plain.home / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [plain.venv / "bin" / "eocic-kg", "serve", "--port", url.rsplit(":", 1)[1]],
            cwd=plain.home,
            env=plain.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        assert answers(process, f"{url}/health", seconds=60), log.read_text()
        yield url
    finally:
        process.terminate()
        process.wait(30)


def test_a_plain_install_has_neither_java_nor_the_build_and_chart_packages(
    plain: PlainInstall,
) -> None:
    code = f"import importlib.util as u; print([m for m in {OPTIONAL!r} if u.find_spec(m)])"
    result = plain.run("python", "-c", code)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr
    assert plain.run("python", "-c", "import shutil; print(shutil.which('java'))").stdout == (
        "None\n"
    )


def test_serving_needs_no_java_nor_a_build(plain: PlainInstall, served: str) -> None:
    """Before: the wheel had no release, so `serve` ran HermiT (Java, owlready2) first."""
    bundled = Dataset(default_union=True)
    bundled.parse(resources.BUNDLED_RELEASE, format="nquads")
    expected = {str(r) for r in bundled.subjects(RDF.type, EOCIC.PilotRegion)}
    response = httpx.get(
        f"{served}/sparql",
        params={"query": "SELECT ?r WHERE { ?r a eocic:PilotRegion }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    bindings = response.json()["results"]["bindings"]
    assert {b["r"]["value"] for b in bindings} == expected and len(expected) == 10
    assert not (plain.home / "dist").exists()  # served the bundled release: nothing built


def test_charts_without_the_charts_extra_say_what_to_install(
    plain: PlainInstall, served: str
) -> None:
    response = httpx.get(f"{served}/charts/region-challenge.svg")
    assert response.status_code == 501
    assert "pip install 'eocic-kg[charts]'" in response.text
    page = httpx.get(f"{served}/charts")  # the page describes them, and draws no broken image
    assert page.status_code == 200 and "pip install 'eocic-kg[charts]'" in html.unescape(page.text)
    assert "<img" not in page.text
    result = plain.run("eocic-kg", "charts", "-o", "charts")
    assert result.returncode == 2
    assert result.stderr.endswith("not installed: pip install 'eocic-kg[charts]'\n")


@pytest.mark.parametrize("command", ["build", "reason", "validate"])
def test_building_without_the_build_extra_says_what_to_install(
    plain: PlainInstall, command: str
) -> None:
    """Before: a ModuleNotFoundError traceback (owlready2 and pyshacl were mandatory)."""
    result = plain.run("eocic-kg", command)
    assert result.returncode == 2
    assert result.stderr.startswith("eocic-kg: error: ")
    assert result.stderr.endswith("not installed: pip install 'eocic-kg[build]'\n")
    assert not (plain.home / "dist").exists()
