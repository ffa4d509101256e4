"""Exports of hostile stores read back with independent readers (rapper, rdflib's parsers,
networkx, the json module): what a reader gets must be what the store holds."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import networkx as nx
import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from eocic_kg import graphformats
from eocic_kg.engine_rdf import read_into
from eocic_kg.export import NotInXml, export_rdf, graph_document
from eocic_kg.graphview import build_view
from eocic_kg.namespaces import DATA_GRAPH, INFERRED_GRAPH

RAPPER = shutil.which("rapper")
REGION = URIRef("https://w3id.org/eocic/id/region/hostile")
#: Characters that `str.splitlines` takes for line ends but N-Triples does not.
LINE_BREAKS_OF_PYTHON = ("\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1e")


def _dataset(*triples: tuple, graph: URIRef = DATA_GRAPH) -> Dataset:
    dataset = Dataset()
    target = dataset.graph(graph)
    for triple in triples:
        target.add(triple)
    return dataset


def _rapper_triples(data: bytes, syntax: str) -> Graph:
    """`data` parsed by raptor (an independent reader), as an rdflib graph."""
    assert RAPPER is not None
    done = subprocess.run(
        [RAPPER, "-q", "-i", syntax, "-o", "ntriples", "-", "http://example.org/base/"],
        input=data,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr.decode()
    graph = Graph()
    graph.parse(data=done.stdout.decode("utf-8"), format="nt")
    return graph


def _line_break_literals() -> Graph:
    graph = Graph()
    for i, char in enumerate(LINE_BREAKS_OF_PYTHON):
        graph.add((REGION, URIRef(f"http://example.org/p{i}"), Literal(f"a{char}b")))
    return graph


@pytest.mark.skipif(RAPPER is None, reason="raptor's rapper is not installed")
@pytest.mark.parametrize("fmt", ["nt", "nq"])
def test_ntriples_of_a_literal_with_u2028_was_cut_in_two_lines(fmt: str) -> None:
    source = _line_break_literals()
    data = export_rdf(_dataset(*source), fmt, "data")
    read = _rapper_triples(data, "ntriples" if fmt == "nt" else "nquads")
    assert isomorphic(read, source)


@pytest.mark.skipif(RAPPER is None, reason="raptor's rapper is not installed")
def test_ntriples_dump_of_a_literal_with_u2028_was_cut_in_two_lines() -> None:
    source = _line_break_literals()
    read = _rapper_triples(graph_document(source, "nt"), "ntriples")
    assert isomorphic(read, source)


def test_jsonld_of_a_custom_datatype_read_as_iri_in_angle_brackets() -> None:
    custom = URIRef("http://example.org/dt#custom")
    source = Graph()
    source.add((REGION, URIRef("http://example.org/p"), Literal("x y", datatype=custom)))
    read = Graph()
    read.parse(data=export_rdf(_dataset(*source), "jsonld", "data"), format="json-ld")
    assert [o.datatype for o in read.objects()] == [custom]
    assert isomorphic(read, source)


def _view(*triples: tuple) -> nx.MultiDiGraph:
    graph = Graph()
    graph.add((REGION, RDF.type, URIRef("https://w3id.org/eocic/ontology#Region")))
    graph.add((REGION, RDFS.label, Literal("Hostile")))
    for triple in triples:
        graph.add(triple)
    return build_view(graph, "full")


def _strict_json(data: bytes) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(f"{constant} is no JSON number")

    return json.loads(data, parse_constant=refuse)


def test_graphml_of_a_literal_with_crlf_lost_the_carriage_return() -> None:
    comment = "first line\r\nsecond\rthird"
    view = _view((REGION, RDFS.comment, Literal(comment)))
    read = nx.read_graphml(io.BytesIO(graphformats.write(view, "graphml")))
    values = [a["rdfs:comment"] for _, a in read.nodes(data=True) if a["iri"] == str(REGION)]
    assert values == [comment]


@pytest.mark.parametrize("lexical", ["INF", "-INF", "NaN"])
def test_cytoscape_json_of_an_infinite_double_was_no_json(lexical: str) -> None:
    value = Literal(lexical, datatype=XSD.double)
    view = _view((REGION, URIRef("https://w3id.org/eocic/ontology#share"), value))
    document = _strict_json(graphformats.write(view, "cytoscape"))
    nodes = document["elements"]["nodes"]  # type: ignore[index]
    assert [n["data"]["eocic:share"] for n in nodes if n["data"]["id"] == str(REGION)] == [lexical]
    read = nx.read_graphml(io.BytesIO(graphformats.write(view, "graphml")))
    assert [a["eocic:share"] for _, a in read.nodes(data=True) if a["iri"] == str(REGION)] == [
        lexical
    ]


def _blank_in_two_graphs() -> Dataset:
    """One blank node in the data and the inferred graph, as the N-Quads release may hold."""
    dataset = Dataset()
    dataset.parse(
        data=(
            f"<{REGION}> <http://example.org/has> _:x <{DATA_GRAPH}> .\n"
            f'_:x <{RDFS.label}> "shared" <{DATA_GRAPH}> .\n'
            f'_:x <{RDFS.comment}> "inferred" <{INFERRED_GRAPH}> .\n'
        ),
        format="nquads",
    )
    return dataset


@pytest.mark.skipif(RAPPER is None, reason="raptor's rapper is not installed")
@pytest.mark.parametrize(("fmt", "syntax"), [("ttl", "turtle"), ("nt", "ntriples")])
def test_merged_export_of_a_blank_node_in_two_graphs_split_it_in_two(fmt: str, syntax: str) -> None:
    dataset = _blank_in_two_graphs()
    source = Graph()
    for s, p, o, _ in dataset.quads():
        source.add((s, p, o))
    read = _rapper_triples(export_rdf(dataset, fmt, "all"), syntax)
    assert len({s for s in read.subjects() if isinstance(s, BNode)}) == 1
    assert isomorphic(read, source)


@pytest.mark.skipif(RAPPER is None, reason="raptor's rapper is not installed")
@pytest.mark.parametrize(("fmt", "syntax"), [("nq", "nquads"), ("trig", "trig")])
def test_quad_export_of_a_blank_node_in_two_graphs_gave_each_graph_its_own(
    fmt: str, syntax: str
) -> None:
    assert RAPPER is not None
    done = subprocess.run(
        [RAPPER, "-q", "-i", syntax, "-o", "nquads", "-", "http://example.org/base/"],
        input=export_rdf(_blank_in_two_graphs(), fmt, "all"),
        capture_output=True,
        check=True,
    )
    read = Dataset()
    read.parse(data=done.stdout.decode("utf-8"), format="nquads")
    subjects = {
        name: {s for s in read.graph(name).subjects() if isinstance(s, BNode)}
        for name in (DATA_GRAPH, INFERRED_GRAPH)
    }
    assert len(subjects[DATA_GRAPH]) == 1
    assert subjects[DATA_GRAPH] == subjects[INFERRED_GRAPH]


def test_jsonld_of_an_rdf_type_literal_read_as_an_iri() -> None:
    source = Graph()
    source.add((REGION, RDF.type, Literal("lit")))
    source.add((REGION, RDF.type, URIRef("https://w3id.org/eocic/ontology#Region")))
    read = Graph()
    read.parse(data=export_rdf(_dataset(*source), "jsonld", "data"), format="json-ld")
    assert set(read) == set(source)


@pytest.mark.parametrize("local", ["", "1", "a)"])
def test_rdfxml_of_a_predicate_ending_in_no_xml_name_was_no_xml(local: str) -> None:
    """The serialiser wrote `<oxprefix:>` for such a predicate, which no XML parser reads: the
    export now refuses, as it does for control characters."""
    predicate = URIRef(f"http://example.org/p/{local}")
    dataset = _dataset((REGION, predicate, Literal("v")))
    with pytest.raises(NotInXml, match="predicate"):
        export_rdf(dataset, "rdf", "data")
    read = Graph()
    read.parse(data=export_rdf(dataset, "ttl", "data"), format="turtle")
    assert set(read.predicates()) == {predicate}


@pytest.mark.parametrize("local", ["p1", "x%20y", "a.b", "_", "é"])
def test_rdfxml_of_a_predicate_ending_in_an_xml_name_reads_back(local: str) -> None:
    source = Graph()
    source.add((REGION, URIRef(f"http://example.org/{local}"), Literal("v")))
    read = Graph()
    read.parse(data=export_rdf(_dataset(*source), "rdf", "data"), format="xml")
    assert set(read) == set(source)


def _declared_types(document: bytes, fmt: str) -> dict[str, str]:
    """Attribute name -> declared type, read with the standard library's XML parser."""
    root = ET.fromstring(document)
    if fmt == "graphml":
        keys = root.iter("{http://graphml.graphdrawing.org/xmlns}key")
        return {k.get("attr.name", ""): k.get("attr.type", "") for k in keys}
    declared = root.iter("{http://gexf.net/1.3}attribute")
    return {a.get("title", ""): a.get("type", "") for a in declared}


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_file_of_an_integer_beyond_32_bits_declared_it_int(fmt: str) -> None:
    """GraphML's `int` and GEXF's `integer` are 32-bit (Java's, as Gephi and yEd read them):
    three billion is a `long`, and an integer beyond 64 bits a string."""
    amount = URIRef("https://w3id.org/eocic/ontology#amount")
    huge = URIRef("https://w3id.org/eocic/ontology#huge")
    view = _view(
        (REGION, amount, Literal(3_000_000_000, datatype=XSD.integer)),
        (REGION, huge, Literal(2**70, datatype=XSD.integer)),
    )
    document = graphformats.write(view, fmt)
    declared = _declared_types(document, fmt)
    assert declared["eocic:amount"] == "long"
    assert declared["eocic:huge"] == "string"
    read = (nx.read_graphml if fmt == "graphml" else nx.read_gexf)(io.BytesIO(document))
    region = next(a for n, a in read.nodes(data=True) if str(REGION) in (n, a.get("iri")))
    assert region["eocic:amount"] == 3_000_000_000
    assert region["eocic:huge"] == str(2**70)


OX_FORMATS = {
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "ttl": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
}


@pytest.mark.parametrize("fmt", sorted(OX_FORMATS))
def test_rdf_export_of_an_infinite_double_wrote_inf_no_xsd_double(fmt: str) -> None:
    """A release holding "INF"^^xsd:double (read as rdflib reads the release) was written as
    "inf"^^xsd:double, an ill-typed literal: another term, with no number."""
    specials = ["INF", "-INF", "NaN"]
    dataset = Dataset()
    dataset.parse(
        data="".join(
            f'<{REGION}> <http://example.org/p{i}> "{lexical}"^^<{XSD.double}> <{DATA_GRAPH}> .\n'
            for i, lexical in enumerate(specials)
        ),
        format="nquads",
    )
    read = ox.parse(export_rdf(dataset, fmt, "data"), format=OX_FORMATS[fmt])
    objects = sorted(quad.object.value for quad in read)  # type: ignore[union-attr]
    assert objects == sorted(specials)


def test_rdf_document_of_an_infinite_double_wrote_inf_no_xsd_double() -> None:
    graph = Graph()
    graph.parse(data=f'<{REGION}> <http://example.org/p> "INF"^^<{XSD.double}> .', format="nt")
    read = ox.parse(graph_document(graph, "nt"), format=ox.RdfFormat.N_TRIPLES)
    assert [quad.object.value for quad in read] == ["INF"]  # type: ignore[union-attr]


DOT = shutil.which("dot")


@pytest.mark.skipif(DOT is None, reason="Graphviz (dot) is not installed")
def test_dot_of_a_label_with_nul_was_rejected_by_graphviz() -> None:
    other = URIRef("https://w3id.org/eocic/id/region/other")
    graph = Graph()
    graph.add((REGION, RDFS.label, Literal("before\x00after")))
    graph.add((REGION, URIRef("https://w3id.org/eocic/ontology#near"), other))
    graph.add((other, RDFS.label, Literal("Other")))
    view = build_view(graph, "full")
    assert "\x00" in view.nodes[str(REGION)]["label"]
    assert DOT is not None
    done = subprocess.run(
        [DOT, "-Tsvg"], input=graphformats.write(view, "dot"), capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    svg = ET.fromstring(done.stdout)
    drawn = [
        g for g in svg.iter("{http://www.w3.org/2000/svg}g") if "node" in g.get("class", "").split()
    ]
    assert len(drawn) == view.number_of_nodes()
    edges = [
        g for g in svg.iter("{http://www.w3.org/2000/svg}g") if "edge" in g.get("class", "").split()
    ]
    assert len(edges) == view.number_of_edges()


LEXICAL_FORMS = [
    ("0012", XSD.integer),
    ("1", XSD.boolean),
    ("1E3", XSD.double),
    ("1.50", XSD.decimal),
    ("2020-01-01T00:00:00.000Z", XSD.dateTime),
    # the engine's own canonical forms, as its dumps hold them: rdflib wrote "1000.0" and
    # "2020-01-01T00:00:00+00:00", so the dumps differed from what SPARQL returns
    ("1000", XSD.double),
    ("2020-01-01T00:00:00Z", XSD.dateTime),
]


@pytest.mark.parametrize("fmt", sorted(OX_FORMATS))
def test_dump_of_the_engines_release_rewrote_lexical_forms(fmt: str) -> None:
    """The server's dumps are `export_rdf` of the release read from the engine (`read_into`):
    "0012"^^xsd:integer came out "12", "1"^^xsd:boolean "true", "1E3"^^xsd:double "1000.0",
    other RDF terms than the ones SPARQL returns."""
    source = "".join(
        f'<{REGION}> <http://example.org/p{i}> "{lexical}"^^<{datatype}> <{DATA_GRAPH}> .\n'
        for i, (lexical, datatype) in enumerate(LEXICAL_FORMS)
    )
    dataset = Dataset()
    read_into(dataset, source.encode())
    read = ox.parse(export_rdf(dataset, fmt, "data"), format=OX_FORMATS[fmt])
    written = {(q.object.value, q.object.datatype.value) for q in read}  # type: ignore[union-attr]
    assert written == {(lexical, str(datatype)) for lexical, datatype in LEXICAL_FORMS}


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="Node.js (node) is not installed")
def test_cytoscape_json_of_an_integer_beyond_2_53_read_as_another_number() -> None:
    """JSON.parse (the graph page, Cytoscape.js) reads 12345678901234567890123 as
    12345678901234567000000: such an integer is written as its text."""
    lexical = "12345678901234567890123"
    view = _view(
        (
            REGION,
            URIRef("https://w3id.org/eocic/ontology#huge"),
            Literal(lexical, datatype=XSD.integer),
        )
    )
    script = (
        "let text = '';"
        "process.stdin.on('data', c => text += c);"
        "process.stdin.on('end', () => {"
        "  const nodes = JSON.parse(text).elements.nodes;"
        "  console.log(JSON.stringify(nodes.map(n => String(n.data['eocic:huge']))));"
        "});"
    )
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", script],
        input=graphformats.write(view, "cytoscape"),
        capture_output=True,
        check=True,
    )
    assert json.loads(done.stdout) == [lexical]


def test_graphml_of_a_decimal_with_20_digits_read_as_another_number() -> None:
    """xsd:decimal is exact: 12345678901234567890.5 became the double 1.2345678901234567e19."""
    lexical = "12345678901234567890.5"
    share = URIRef("https://w3id.org/eocic/ontology#share")
    view = _view((REGION, share, Literal(lexical, datatype=XSD.decimal)))
    read = nx.read_graphml(io.BytesIO(graphformats.write(view, "graphml")))
    values = [a["eocic:share"] for _, a in read.nodes(data=True) if a["iri"] == str(REGION)]
    assert [Decimal(str(v)) for v in values] == [Decimal(lexical)]


def test_graphml_of_a_short_decimal_stays_a_number() -> None:
    share = URIRef("https://w3id.org/eocic/ontology#share")
    view = _view((REGION, share, Literal("1.50", datatype=XSD.decimal)))
    read = nx.read_graphml(io.BytesIO(graphformats.write(view, "graphml")))
    assert [a["eocic:share"] for _, a in read.nodes(data=True) if a["iri"] == str(REGION)] == [1.5]


def test_cli_export_of_a_release_rewrote_lexical_forms(tmp_path: Path) -> None:
    """`eocic-kg export` read the release with rdflib, which rewrote literals as it parsed
    them: "0012"^^xsd:integer came out "12", "1"^^xsd:boolean "true", another RDF term than the
    release holds and SPARQL returns (the server's dumps already kept them). rapper reads the
    export back with the release's own lexical forms."""
    written = ['"0012"^^<{0}integer>', '"1"^^<{0}boolean>', '"1E3"^^<{0}double>']
    lines = [
        f"<https://example.org/s> <https://example.org/p{i}> {lit.format(XSD)} <{DATA_GRAPH}> ."
        for i, lit in enumerate(written)
    ]
    release = tmp_path / "eocic.nq"
    release.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "x.nt"
    cli = ["-m", "eocic_kg.cli", "--release", str(release), "export", "--format", "nt"]
    done = subprocess.run([sys.executable, *cli, "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    read = subprocess.run(
        ["rapper", "-q", "-i", "ntriples", "-o", "ntriples", str(out)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    objects = {line.split(" ", 2)[2].rsplit(" .", 1)[0] for line in read.splitlines()}
    assert objects == {lit.format(XSD) for lit in written}


def test_cli_export_of_a_broken_release_was_a_traceback(tmp_path: Path) -> None:
    """A release file with a broken line made `eocic-kg export` end in rdflib's traceback,
    naming neither the file nor the line; it is one line of error that names both."""
    release = tmp_path / "eocic.nq"
    release.write_text(f'<https://example.org/s> <https://example.org/p> "x <{DATA_GRAPH}> .\n')
    cli = ["-m", "eocic_kg.cli", "--release", str(release), "export", "--format", "nt"]
    done = subprocess.run([sys.executable, *cli], capture_output=True, text=True)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert str(release) in done.stderr and "line 1" in done.stderr, done.stderr
