"""Linked-data publishing, tested live: dereferenceable IRIs, ontology pages, VoID and dumps."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, OWL, SKOS, VOID, XSD

from eocic_kg.export import export_rdf
from eocic_kg.namespaces import EOCIC

from .conftest import Server, write_nquads
from .release_cache import built_release, release_graph, release_nquads

BASE = "https://w3id.org/eocic/"
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SAXONY = URIRef("https://w3id.org/eocic/id/region/saxony")
CRAWLED_PAGES = [
    "/id/region",
    "/id/region/saxony",
    "/id/measure/saxony-strategiewerkstatt",
    "/id/attribution/saxony--demographic-change",
    "/ontology",
    "/api",
]
RDF_MEDIA = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


class _Links(HTMLParser):
    """Collects the href of every <a> and <link> and the id of every element."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("a", "link") and values.get("href"):
            self.links.append(values["href"] or "")
        if values.get("id"):
            self.ids.add(values["id"] or "")


def _parse_links(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def test_turtle_describes_saxony(full_server: Server) -> None:
    r = httpx.get(f"{full_server.url}/id/region/saxony", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/turtle")
    assert "Accept" in r.headers["vary"]
    g = Graph().parse(data=r.text, format="turtle")
    assert (SAXONY, RDFS.label, Literal("Saxony", lang="en")) in g
    assert (SAXONY, RDF.type, EOCIC.PilotRegion) in g
    assert (None, None, SAXONY) in g  # incoming statements too


@pytest.mark.parametrize("media_type", sorted(RDF_MEDIA))
def test_rdf_formats_agree(full_server: Server, media_type: str) -> None:
    url = f"{full_server.url}/id/region/saxony"
    turtle = Graph().parse(data=httpx.get(url, params={"format": "ttl"}).text, format="turtle")
    r = httpx.get(url, headers={"Accept": media_type})
    assert r.status_code == 200 and r.headers["content-type"].startswith(media_type)
    assert isomorphic(Graph().parse(data=r.content, format=RDF_MEDIA[media_type]), turtle)


def test_html_page_shows_resource_and_provenance(full_server: Server) -> None:
    r = httpx.get(
        f"{full_server.url}/id/region/saxony",
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "<h1>Saxony</h1>" in r.text
    assert "Pilot region" in r.text or "PilotRegion" in r.text
    assert "1. Introduction" in r.text  # prov:wasDerivedFrom the report part
    assert "Demographic change is cited as a particularly challenging megatrend" in r.text
    assert "Referenced by" in r.text
    assert 'href="/id/challenge/demographic-change"' in r.text


def test_unknown_iri_is_404(full_server: Server) -> None:
    assert httpx.get(f"{full_server.url}/id/region/atlantis").status_code == 404
    assert httpx.get(f"{full_server.url}/id/region/saxony?format=bogus").status_code == 400


@pytest.mark.parametrize("page", CRAWLED_PAGES)
def test_every_local_link_works(full_server: Server, page: str) -> None:
    r = httpx.get(full_server.url + page, headers={"Accept": "text/html"})
    assert r.status_code == 200
    parsed = _parse_links(r.text)
    local = {
        urljoin(full_server.url + page, href)
        for href in parsed.links
        if href.startswith(("/", "?", "#"))
    }
    assert local
    ontology_ids: set[str] | None = None
    fetched: dict[str, httpx.Response] = {}  # each document once, whatever the fragment
    with httpx.Client(headers={"Accept": "text/html"}, timeout=30) as client:
        for url in sorted(local):
            parts = urlsplit(url)
            document = url.split("#")[0]
            if document not in fetched:
                fetched[document] = client.get(document)
            response = fetched[document]
            assert response.status_code == 200, (url, response.text[:500])
            if parts.fragment and parts.path == "/ontology":
                if ontology_ids is None:
                    ontology_ids = _parse_links(response.text).ids
                assert parts.fragment in ontology_ids, url


def test_ontology_documents_terms(full_server: Server) -> None:
    r = httpx.get(f"{full_server.url}/ontology", headers={"Accept": "text/html"})
    assert r.status_code == 200
    ids = _parse_links(r.text).ids
    assert {"PilotRegion", "facesChallenge", "classes", "concept-schemes"} <= ids
    assert "Shape constraints" in r.text and "Examples from the data" in r.text
    turtle = httpx.get(f"{full_server.url}/ontology", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=turtle.text, format="turtle")
    assert (EOCIC.PilotRegion, None, None) in g


def test_void_counts_match_sparql(full_server: Server) -> None:
    # VoID's statistics are computed on the first request of each worker (the timeout only
    # bounds a failure on a loaded machine)
    r = httpx.get(
        f"{full_server.url}/.well-known/void", headers={"Accept": "text/turtle"}, timeout=120
    )
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    dataset = next(s for s in g.subjects(RDF.type, DCAT.Dataset))
    answer = httpx.get(
        f"{full_server.url}/sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
    ).json()
    count = int(answer["results"]["bindings"][0]["n"]["value"])
    assert int(g.value(dataset, VOID.triples)) == count
    assert g.value(dataset, VOID.sparqlEndpoint) == URIRef(f"{BASE}sparql")
    assert g.value(dataset, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert g.value(dataset, DCTERMS.source) == URIRef(
        "https://w3id.org/eocic/id/report/eocic-pilot-regions"
    )
    assert len(list(g.objects(dataset, VOID.classPartition))) > 10
    assert len(list(g.objects(dataset, VOID.propertyPartition))) > 10
    dumps = set(g.objects(dataset, VOID.dataDump))
    assert URIRef(f"{BASE}download/eocic.ttl.gz") in dumps
    for dump in dumps:  # the base IRI stands for this server; each is made on its first request
        head = httpx.head(f"{full_server.url}/{dump.removeprefix(BASE)}", timeout=60)
        assert head.status_code == 200, dump


_NAMES = {"ttl": "turtle", "nt": "ntriples", "jsonld": "jsonld", "rdf": "rdfxml"}


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld", "rdf"])
def test_dumps_are_the_export(full_server: Server, fmt: str) -> None:
    expected = export_rdf(built_release().dataset, fmt)
    plain = httpx.get(f"{full_server.url}/download/eocic.{fmt}", timeout=60)
    assert plain.status_code == 200 and plain.content == expected
    # the type a document of that format gets on /id and /ontology (Turtle: with its charset)
    document = httpx.get(f"{full_server.url}/ontology", params={"format": _NAMES[fmt]})
    assert plain.headers["content-type"] == document.headers["content-type"]
    packed = httpx.get(f"{full_server.url}/download/eocic.{fmt}.gz", timeout=60)
    assert packed.headers["content-type"] == "application/gzip"
    assert gzip.decompress(packed.content) == expected
    assert httpx.get(f"{full_server.url}/download/eocic.xls").status_code == 404


def test_configurable_base_and_escaping(
    start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = "http://example.org/kg/"
    thing = URIRef(base + "id/thing/x")
    g = Graph()
    g.add((thing, RDFS.label, Literal("<script>alert(1)</script>", lang="en")))
    g.add((thing, RDFS.seeAlso, URIRef(base + "id/thing/y")))
    path = write_nquads(
        {"https://w3id.org/eocic/graph/data": g}, tmp_path_factory.mktemp("base") / "r.nq"
    )
    server = start_server(path, workers=1, base_iri=base)
    page = httpx.get(f"{server.url}/id/thing/x", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    assert 'href="/id/thing/y"' in page.text
    assert httpx.get(f"{server.url}/id/thing/y").status_code == 200  # only referenced
    turtle = httpx.get(f"{server.url}/id/thing/x", params={"format": "nt"})
    assert (thing, RDFS.label, None) in Graph().parse(data=turtle.text, format="nt")


def test_service_description_links_void(full_server: Server) -> None:
    r = httpx.get(f"{full_server.url}/sparql", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=r.text, format="turtle")
    assert (None, RDFS.seeAlso, URIRef(f"{BASE}.well-known/void")) in g


def test_pages_read_from_the_store_what_the_whole_graph_says() -> None:
    """For every data resource, the few indexed queries give the full-graph description."""
    from eocic_kg.store import Store
    from eocic_kg.web.resource_views import describe, neighbourhood

    from .release_cache import release_graph, release_nquads

    union = release_graph()
    store = Store.from_file(release_nquads())
    resources = {
        s
        for s in union.subjects()
        if isinstance(s, URIRef) and str(s).startswith("https://w3id.org/eocic/id/")
    }
    assert len(resources) > 500
    for node in resources:
        around = neighbourhood(store, node)
        assert isomorphic(describe(union, node), describe(around.graph, node)), node


def test_rdf_documents_are_the_same_bytes_from_every_process(
    full_server: Server, start_server: Callable[..., Server]
) -> None:
    """Two servers of one release (as two workers or replicas) send the same bytes for every RDF
    representation of the ontology, the VoID description and a resource with blank nodes, as
    the strong ETag they both send promises. rdflib's serialisers wrote statements in hash
    order and each process labels blank nodes its own way, so bytes differed under one ETag."""
    other = start_server(release_nquads(), workers=1, query_timeout=10.0)
    paths = ["/ontology", "/.well-known/void", "/id/region", "/id/country/spain"]
    for path in paths:
        for media_type in RDF_MEDIA:
            headers = {"Accept": media_type}
            first, second = (httpx.get(s.url + path, headers=headers) for s in (full_server, other))
            assert first.status_code == second.status_code == 200, (path, media_type)
            assert first.headers["ETag"] == second.headers["ETag"], (path, media_type)
            assert first.content == second.content, (path, media_type)
    spain = httpx.get(full_server.url + paths[-1], headers={"Accept": "application/n-triples"})
    assert "_:" in spain.text  # the resource has blank nodes: their labels are part of the test


def test_the_ontology_version_iri_dereferences_to_the_ontology(full_server: Server) -> None:
    """`owl:versionIRI <https://w3id.org/eocic/ontology/0.3.0>` was a 404; it is the ontology
    (the version this release holds), in every representation, and another version is a 404."""
    turtle = httpx.get(f"{full_server.url}/ontology", headers={"Accept": "text/turtle"})
    versions = list(Graph().parse(data=turtle.text, format="turtle").objects(None, OWL.versionIRI))
    assert len(versions) == 1
    path = "/" + str(versions[0]).removeprefix(BASE)
    for accept in ("text/turtle", "application/ld+json", "text/html"):
        held = httpx.get(full_server.url + path, headers={"Accept": accept})
        same = httpx.get(f"{full_server.url}/ontology", headers={"Accept": accept})
        assert held.status_code == 200 and held.content == same.content, accept
    other = httpx.get(f"{full_server.url}/ontology/0.0.1", headers={"Accept": "text/turtle"})
    assert other.status_code == 404 and path.rsplit("/", 1)[-1] in other.text


@pytest.mark.parametrize(
    ("headers", "params", "parsed_as"),
    [({"Accept": media}, {}, parsed) for media, parsed in sorted(RDF_MEDIA.items())]
    + [({"Accept": "text/html"}, {"format": "ttl"}, "turtle"), ({}, {}, "turtle")],
)
def test_kind_index_was_html_only_and_is_now_rdf_in_every_format(
    full_server: Server, headers: dict[str, str], params: dict[str, str], parsed_as: str
) -> None:
    """`/id/region` in Turtle, JSON-LD, N-Triples or RDF/XML was a 404 while every /id resource
    negotiated them: it is a `hydra:Collection` of the kind's resources, each with its label and
    types as the release states them."""
    r = httpx.get(f"{full_server.url}/id/region", headers=headers, params=params)
    assert r.status_code == 200, r.text[:300]
    assert "Accept" in r.headers["Vary"] and r.headers["ETag"].startswith('"')
    g = Graph().parse(data=r.content, format=parsed_as)
    index = URIRef(f"{BASE}id/region")
    assert (index, RDF.type, HYDRA.Collection) in g
    release = release_graph()
    regions = {
        s
        for s in release.subjects(RDF.type, None)
        if isinstance(s, URIRef) and str(s).startswith(f"{BASE}id/region/")
    }
    assert set(g.objects(index, HYDRA.member)) == regions and len(regions) == 10
    assert g.value(index, HYDRA.totalItems) == Literal(10, datatype=XSD.integer)
    for region in regions:
        assert set(g.objects(region, RDF.type)) == set(release.objects(region, RDF.type))
        english = {v for v in release.objects(region, RDFS.label) if v.language == "en"}
        assert set(g.objects(region, RDFS.label)) == english and english, region


@pytest.mark.parametrize("accept", [*sorted(RDF_MEDIA), "text/html", "*/*"])
def test_unknown_kind_is_a_404_in_every_format(full_server: Server, accept: str) -> None:
    for path in ("/id/unicorn", "/id/unicorn?format=ttl"):
        r = httpx.get(full_server.url + path, headers={"Accept": accept})
        assert r.status_code == 404, (path, accept)
        assert "unicorn" in r.text


@pytest.fixture
def own_kind(writable_server: Server) -> Iterator[tuple[str, Callable[[str], None]]]:
    """A kind of this test's own on the shared writable server, and a function that writes
    N-Triples into a graph of its own (dropped after the test, so no other test meets it)."""
    kind = f"audit-{uuid.uuid4().hex[:12]}"
    store, graph = f"{writable_server.url}/store", {"graph": f"http://example.org/{kind}"}

    def write(ntriples: str) -> None:
        headers = {"Content-Type": "application/n-triples"}
        r = httpx.put(store, params=graph, content=ntriples.encode(), headers=headers)
        assert r.status_code == 201, r.text

    yield kind, write
    assert httpx.delete(store, params=graph).status_code == 204


def test_rdfxml_of_a_literal_with_a_control_character_was_a_document_no_parser_reads(
    writable_server: Server, own_kind: tuple[str, Callable[[str], None]]
) -> None:
    """A literal holding a control character (here written through the Graph Store) was sent
    in RDF/XML as it is, with a 200: XML 1.0 cannot hold it, and no parser read the document.
    RDF/XML is now a 406 that says why, for the resource and its kind's index; Turtle carries
    the literal."""
    kind, write = own_kind
    node = f"{BASE}id/{kind}/x"
    write(f'<{node}> <{RDFS.label}> "bell\\u0007"@en .\n<{node}> <{RDF.type}> <{OWL.Thing}> .\n')
    for path in (f"/id/{kind}/x", f"/id/{kind}"):
        xml = httpx.get(writable_server.url + path, headers={"Accept": "application/rdf+xml"})
        assert xml.status_code == 406, (path, xml.text[:300])
        assert "U+0007" in xml.text and "Turtle" in xml.text
        turtle = httpx.get(writable_server.url + path, headers={"Accept": "text/turtle"})
        assert turtle.status_code == 200
        labels = Graph().parse(data=turtle.text, format="turtle").objects(URIRef(node), RDFS.label)
        assert Literal("bell\x07", lang="en") in set(labels), path


def test_jsonld_turned_an_iri_whose_scheme_is_a_prefix_into_another_iri(
    writable_server: Server, own_kind: tuple[str, Callable[[str], None]]
) -> None:
    """The IRI <skos:foo> (a valid IRI of scheme "skos", written here through the Graph Store)
    was written in JSON-LD as "skos:foo" beside a context defining `skos`, so every reader
    took it for <http://www.w3.org/2004/02/skos/core#foo>. A prefix named like such a scheme
    stays out of the context: rdflib reads the same IRIs back from JSON-LD as from Turtle."""
    kind, write = own_kind
    node = URIRef(f"{BASE}id/{kind}/x")
    write(
        f'<{node}> <{SKOS.prefLabel}> "x"@en .\n'
        f"<{node}> <{RDFS.seeAlso}> <skos:foo> .\n<{node}> <{RDF.type}> <{OWL.Thing}> .\n"
    )
    for path in (f"/id/{kind}/x", f"/id/{kind}"):
        url = writable_server.url + path
        turtle = Graph().parse(data=httpx.get(url, params={"format": "ttl"}).text, format="turtle")
        r = httpx.get(url, headers={"Accept": "application/ld+json"})
        assert r.status_code == 200
        assert isomorphic(Graph().parse(data=r.content, format="json-ld"), turtle), path
    described = httpx.get(writable_server.url + f"/id/{kind}/x", params={"format": "jsonld"})
    seen = Graph().parse(data=described.content, format="json-ld")
    assert set(seen.objects(node, RDFS.seeAlso)) == {URIRef("skos:foo")}
