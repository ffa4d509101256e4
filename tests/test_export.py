"""RDF exports: readable, deterministic, read back by independent parsers, round-trip."""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import VOID

from eocic_kg.export import RDF_FORMATS, export_rdf, select_graphs
from eocic_kg.namespaces import DATA_GRAPH
from eocic_kg.sources import union_graph

from .release_cache import built_release, cli_in_process, release_nquads

RAPPER = shutil.which("rapper")
TRIPLE_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdf": "xml"}


@functools.cache
def exported(fmt: str, graphs: str = "all") -> bytes:
    """The release exported once per format and selection (the determinism tests export
    afresh with `export_rdf`)."""
    return export_rdf(built_release().dataset, fmt, graphs)


def expected(graphs: str) -> Graph:
    merged = Graph()
    for _, graph in select_graphs(built_release().dataset, graphs):
        for triple in graph:
            merged.add(triple)
    return merged


@pytest.mark.parametrize("fmt", sorted(TRIPLE_FORMATS))
def test_triple_formats_round_trip(fmt: str) -> None:
    parsed = Graph().parse(data=exported(fmt), format=TRIPLE_FORMATS[fmt])
    assert isomorphic(parsed, built_release().graph())


@pytest.mark.parametrize("graphs", ["asserted", "inferred", "ontology", "data"])
def test_graph_selections_round_trip(graphs: str) -> None:
    parsed = Graph().parse(data=exported("ttl", graphs), format="turtle")
    assert len(parsed) > 0
    assert isomorphic(parsed, expected(graphs))


@pytest.mark.parametrize("fmt", ["nq", "trig"])
def test_quad_formats_keep_the_named_graphs(fmt: str) -> None:
    parsed = Dataset()
    parsed.parse(data=exported(fmt), format={"nq": "nquads", "trig": "trig"}[fmt])
    for name, graph in select_graphs(built_release().dataset, "all"):
        assert isomorphic(parsed.graph(name), graph), name


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_exports_are_deterministic(fmt: str) -> None:
    dataset = built_release().dataset
    assert export_rdf(dataset, fmt) == export_rdf(dataset, fmt)


def test_deterministic_across_parses(tmp_path: Path) -> None:
    """A dataset re-read from N-Quads (new blank node ids, new order) gives the same bytes."""
    reread = Dataset()
    reread.parse(data=exported("nq"), format="nquads")
    for fmt in ("ttl", "jsonld", "rdf"):
        assert export_rdf(reread, fmt) == exported(fmt), fmt


def test_turtle_is_readable() -> None:
    text = exported("ttl").decode("utf-8")
    for prefix in ("eocic:", "region:", "skos:", "prov:", "dcterms:", "qb:", "owl:", "xsd:"):
        assert re.search(rf"^@prefix {prefix}\s+<", text, re.MULTILINE), prefix
    block = re.search(r"^region:saxony\n(.*?) \.\n", text, re.MULTILINE | re.DOTALL)
    assert block is not None
    lines = block.group(1).splitlines()
    assert lines[0].strip() == "a"  # several types, listed first
    predicates = [line.split()[0] for line in lines if re.match(r"^    \S", line)]
    assert predicates[:3] == ["a", "rdfs:label", "skos:prefLabel"]
    subjects = re.findall(r"^(region:\S+)$", text, re.MULTILINE)
    assert subjects == sorted(subjects)
    assert text.index("a owl:Ontology") < text.index("a owl:Class") < text.index("region:saxony")


@pytest.mark.skipif(RAPPER is None, reason="raptor's rapper is not installed")
@pytest.mark.parametrize(("fmt", "syntax"), [("ttl", "turtle"), ("nt", "ntriples")])
def test_rapper_reads_the_export(tmp_path: Path, fmt: str, syntax: str) -> None:
    path = tmp_path / f"eocic.{fmt}"
    path.write_bytes(exported(fmt))
    run = subprocess.run(
        [RAPPER, "-i", syntax, "-c", str(path)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    count = re.search(r"returned (\d+) triples", run.stderr)
    assert count is not None and int(count.group(1)) == len(built_release().graph())


def test_jsonld_is_read_by_pyld() -> None:
    jsonld = pytest.importorskip("pyld.jsonld")
    document = json.loads(exported("jsonld"))
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads"})
    parsed = Graph().parse(data=nquads, format="nt")
    assert isomorphic(parsed, built_release().graph())


def test_unknown_format_and_selection() -> None:
    with pytest.raises(ValueError, match="unknown RDF format"):
        exported("n3")
    with pytest.raises(ValueError, match="unknown graph selection"):
        exported("ttl", "everything")


def test_union_of_all_selection_is_the_release() -> None:
    assert isomorphic(expected("all"), union_graph(built_release().dataset))


@pytest.mark.skipif(RAPPER is None, reason="needs rapper (raptor2-utils)")
@pytest.mark.parametrize("fmt", ["ttl", "trig"])
def test_rdf_type_as_subject_or_object_is_written_as_an_iri_not_a(fmt: str) -> None:
    """Turtle's `a` stands for rdf:type in the predicate place only; the writer put it in every
    place, so a statement about rdf:type, or one whose value is rdf:type (VoID's property
    partitions: `[ void:property rdf:type ]`), made a document no parser reads."""
    partition = BNode()
    dataset = Dataset()
    data = dataset.graph(DATA_GRAPH)
    data.add((partition, VOID.property, RDF.type))
    data.add((RDF.type, RDFS.label, Literal("type", lang="en")))
    data.add((URIRef("https://w3id.org/eocic/id/region/x"), RDF.type, VOID.Dataset))
    written = export_rdf(dataset, fmt, "data")
    parsed = subprocess.run(
        [RAPPER, "-q", "-i", "turtle" if fmt == "ttl" else "trig", "-o", "ntriples", "-", "x:"],
        input=written,
        capture_output=True,
        check=False,
    )
    assert parsed.returncode == 0, (parsed.stderr.decode(), written.decode())
    read = Graph().parse(data=parsed.stdout, format="nt")
    assert isomorphic(read, data), written.decode()


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_view_with_an_rdf_format_is_a_usage_error_not_the_whole_release(
    fmt: str, tmp_path: Path
) -> None:
    """`eocic-kg export --format ttl --view regions` wrote the whole release and said nothing:
    a view is a network format's (RDF formats choose named graphs with --graphs)."""
    out = tmp_path / f"regions.{fmt}"
    args = ("--release", str(release_nquads()), "export", "--format", fmt, "--view", "regions")
    status, errors = cli_in_process(*args, "-o", str(out))
    assert status == 2, errors
    assert "--view" in errors and "--graphs" in errors
    assert not out.exists()


def test_rdfxml_of_a_release_with_a_control_character_is_one_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    """RDF/XML cannot carry a literal holding U+0007: `export --format rdf` of such a release
    ended in a traceback; it is one line saying which formats can (exit 2), writing nothing,
    and Turtle still writes it."""
    release = tmp_path / "bell.nq"
    release.write_text(
        '<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "bell\\u0007" '
        "<https://w3id.org/eocic/graph/data> .\n",
        encoding="utf-8",
    )
    out = tmp_path / "bell.rdf"
    status, errors = cli_in_process(
        "--release", str(release), "export", "--format", "rdf", "-o", str(out)
    )
    assert status == 2, errors
    assert "U+0007" in errors and "Turtle" in errors and "Traceback" not in errors
    assert len(errors.strip().splitlines()) == 1
    assert not out.exists()
    turtle = tmp_path / "bell.ttl"
    status, errors = cli_in_process(
        "--release", str(release), "export", "--format", "ttl", "-o", str(turtle)
    )
    assert status == 0, errors
    assert Graph().parse(turtle).value(URIRef("https://example.org/a"), RDFS.label) == Literal(
        "bell\x07"
    )
