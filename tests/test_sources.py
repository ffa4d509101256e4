"""Every Turtle file parses (rdflib and raptor), and the ontology header is complete."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import OWL, RDF, Graph, Literal
from rdflib.namespace import DCTERMS

from eocic_kg import __version__
from eocic_kg.errors import BuildError
from eocic_kg.namespaces import ONTOLOGY_IRI, VANN
from eocic_kg.resources import DATA_DIR, ONTOLOGY_DIR, ONTOLOGY_FILE
from eocic_kg.sources import load_sources, parse_turtle

ROOT = Path(__file__).resolve().parent.parent
TURTLE_FILES = sorted(
    [
        *ONTOLOGY_DIR.rglob("*.ttl"),
        *DATA_DIR.glob("*.ttl"),
        *(ROOT / "tests" / "data").rglob("*.ttl"),
    ]
)


@pytest.mark.parametrize("path", TURTLE_FILES, ids=lambda p: p.name)
def test_turtle_parses_with_rdflib(path: Path) -> None:
    assert len(parse_turtle(path)) > 0


@pytest.mark.skipif(shutil.which("rapper") is None, reason="raptor2-utils (rapper) not installed")
@pytest.mark.parametrize("path", TURTLE_FILES, ids=lambda p: p.name)
def test_turtle_parses_with_rapper(path: Path) -> None:
    result = subprocess.run(
        ["rapper", "-q", "-i", "turtle", "-c", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_one_ontology_header_with_package_version() -> None:
    ontology = Graph().parse(ONTOLOGY_FILE)
    assert list(ontology.subjects(RDF.type, OWL.Ontology)) == [ONTOLOGY_IRI]
    assert ontology.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal(__version__)
    assert str(ontology.value(ONTOLOGY_IRI, OWL.versionIRI)).endswith(__version__)
    for prop in (
        DCTERMS.title,
        DCTERMS.description,
        DCTERMS.license,
        DCTERMS.creator,
        DCTERMS.created,
        DCTERMS.modified,
    ):
        assert ontology.value(ONTOLOGY_IRI, prop) is not None, prop
    assert ontology.value(ONTOLOGY_IRI, VANN.preferredNamespacePrefix) == Literal("eocic")


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n')
    with pytest.raises(BuildError, match=r"bad\.ttl:3: Turtle syntax error"):
        parse_turtle(bad)


def test_unknown_term_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "typo.ttl"
    bad.write_text(
        "@prefix eocic: <https://w3id.org/eocic/ontology#> .\n"
        "<https://w3id.org/eocic/id/region/x> a eocic:PilotRegion ;\n"
        "    eocic:facesChalenge <https://w3id.org/eocic/id/challenge/funding> .\n"
    )
    with pytest.raises(BuildError, match=r"typo\.ttl:3: unknown ontology term eocic:facesChalenge"):
        load_sources(files=[bad])


def test_the_generated_vocabulary_matches_the_ontology() -> None:
    """`eocic_kg/vocabulary.py` is regenerated whenever the ontology's terms change."""
    from eocic_kg.namespaces import VOCABULARY_MODULE, defined_terms, vocabulary_source
    from eocic_kg.resources import ONTOLOGY_FILE

    expected = vocabulary_source(defined_terms(ONTOLOGY_FILE))
    assert VOCABULARY_MODULE.read_text(encoding="utf-8") == expected, (
        "run `python -m eocic_kg.namespaces` to regenerate eocic_kg/vocabulary.py"
    )


def test_an_unknown_eocic_term_fails_where_it_is_written() -> None:
    from eocic_kg.namespaces import EOCIC

    assert str(EOCIC.facesChallenge) == "https://w3id.org/eocic/ontology#facesChallenge"
    with pytest.raises(AttributeError):
        _ = EOCIC.facesChalenge
