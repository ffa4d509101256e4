"""Blueprint `dataset`: the ontology documentation (`/ontology`), the dumps
(`/download/eocic.{ttl,nt,jsonld,rdf}[.gz]`, the bytes of `eocic_kg.export.export_rdf`) and the
VoID + DCAT description (`/.well-known/void`)."""

from __future__ import annotations

import gzip

from flask import Blueprint, Response, abort, request
from rdflib import RDF, RDFS, BNode, URIRef
from rdflib.namespace import OWL, SH, SKOS
from rdflib.term import Node

from eocic_kg import classdiagram
from eocic_kg.export import RDF_FORMATS, export_rdf
from eocic_kg.graphview import build_view
from eocic_kg.namespaces import EOCIC_IRI
from eocic_kg.web.answering import with_charset
from eocic_kg.web.backend import backend
from eocic_kg.web.descriptions import void_description_graph
from eocic_kg.web.negotiation import PAGE, choose
from eocic_kg.web.pages import html_response
from eocic_kg.web.rdf_documents import DUMPS, carried, rdf_bytes, rdf_response
from eocic_kg.web.release_view import ReleaseView, release
from eocic_kg.web.term_views import (
    DEFINITIONS,
    local_link,
    pairs,
    qname,
    term_label,
    term_view,
    views,
)

dataset = Blueprint("dataset", __name__)

_TERM_KINDS: list[tuple[str, str, tuple[URIRef, ...]]] = [
    ("classes", "Classes", (OWL.Class, RDFS.Class)),
    ("object-properties", "Object properties", (OWL.ObjectProperty,)),
    ("datatype-properties", "Datatype properties", (OWL.DatatypeProperty,)),
    ("annotation-properties", "Annotation properties", (OWL.AnnotationProperty, RDF.Property)),
]


_SHOWN = {RDF.type, RDFS.label, SKOS.prefLabel, SKOS.definition, RDFS.comment}
_SHAPE_META = {SH.path, SH.message, SH.severity, SH.name, SH.description}


def _shape_constraints(rel: ReleaseView, cls: URIRef) -> list[dict[str, object]]:
    """The property constraints of the shapes targeting `cls`."""
    rows: list[tuple[str, dict[str, object]]] = []
    for shape in rel.shapes.subjects(SH.targetClass, cls):
        for prop in rel.shapes.objects(shape, SH.property):
            path = rel.shapes.value(prop, SH.path)
            constraints = [
                (qname(str(p)), term_view(rel.union, o))
                for p, o in sorted(rel.shapes.predicate_objects(prop))
                if p not in _SHAPE_META
            ]
            severity = rel.shapes.value(prop, SH.severity, default=SH.Violation)
            path_view = term_view(rel.union, path) if path is not None else None
            row: dict[str, object] = {
                "shape": qname(str(shape)),
                "path": path_view,
                "constraints": constraints,
                "severity": qname(str(severity)),
                "messages": sorted(str(m) for m in rel.shapes.objects(prop, SH.message)),
            }
            rows.append((path_view.text if path_view else "", row))
    return [row for _, row in sorted(rows, key=lambda r: r[0])]


def _term_entry(rel: ReleaseView, term: URIRef, kind: str) -> dict[str, object]:
    g, union = rel.ontology, rel.union
    sub = RDFS.subClassOf if kind == "classes" else RDFS.subPropertyOf
    entry: dict[str, object] = {
        "anchor": str(term)[len(EOCIC_IRI) :],
        "iri": str(term),
        "label": term_label(union, term),
        "types": views(union, g.objects(term, RDF.type)),
        "definitions": sorted(
            str(d) for p in (SKOS.definition, RDFS.comment) for d in g.objects(term, p)
        ),
        "supers": views(union, (o for o in g.objects(term, sub) if isinstance(o, URIRef))),
        "subs": views(union, g.subjects(sub, term)),
        "statements": pairs(
            union,
            (
                (p, o)
                for p, o in g.predicate_objects(term)
                if p not in _SHOWN and not (p == sub and isinstance(o, URIRef))
            ),
        ),
    }
    if kind == "classes":
        instances = set(union.subjects(RDF.type, term))
        entry["count"] = len(instances)
        entry["examples"] = views(union, sorted(instances, key=str)[:5])
        entry["shapes"] = _shape_constraints(rel, term)
    else:
        uses = sorted(
            (s, o)
            for s, o in union.subject_objects(term)
            if not str(s).startswith(EOCIC_IRI) and not isinstance(s, BNode)
        )
        entry["count"] = len(uses)
        entry["examples"] = pairs(union, uses[:3])
    return entry


def _diagram(rel: ReleaseView) -> dict[str, object]:
    """The class diagram (SVG, None without Graphviz) and its links as table rows."""
    view = build_view(rel.union, "model")
    rows = [
        {
            "domain": view.nodes[source]["label"],
            "domain_href": local_link(source),
            "property": attributes["label"],
            "property_key": key,
            "property_href": local_link(attributes["predicate"]),
            "range": view.nodes[target]["label"],
            "range_href": local_link(target),
        }
        for source, target, key, attributes in view.edges(keys=True, data=True)
    ]
    return {
        "svg": classdiagram.svg(view),
        "centre": classdiagram.centre(view),
        "rows": sorted(rows, key=lambda r: (r["property_key"] != "rdfs:subClassOf", r["domain"])),
        "classes": view.number_of_nodes(),
        "links": view.number_of_edges(),
    }


def ontology_page(rel: ReleaseView) -> dict[str, object]:
    """The template context of the ontology documentation."""
    g, union = rel.ontology, rel.union
    header = next(iter(g.subjects(RDF.type, OWL.Ontology)), None)
    sections = []
    listed: set[Node] = set()
    for anchor, title, types in _TERM_KINDS:
        terms = sorted(
            {
                t
                for rdf_type in types
                for t in g.subjects(RDF.type, rdf_type)
                if isinstance(t, URIRef) and str(t).startswith(EOCIC_IRI) and t not in listed
            }
        )
        listed.update(terms)
        entries = [_term_entry(rel, t, anchor) for t in terms]
        sections.append({"anchor": anchor, "title": title, "terms": entries})
    others = sorted(
        {s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(EOCIC_IRI)} - listed
    )
    sections.append(
        {
            "anchor": "other-terms",
            "title": "Other terms",
            "terms": [_term_entry(rel, t, "other") for t in others],
        }
    )
    schemes = [
        {
            "scheme": term_view(union, scheme),
            "definitions": sorted(str(d) for p in DEFINITIONS for d in union.objects(scheme, p)),
            "concepts": views(union, union.subjects(SKOS.inScheme, scheme)),
        }
        for scheme in sorted(union.subjects(RDF.type, SKOS.ConceptScheme), key=str)
    ]
    return {
        "title": term_label(union, header) if header is not None else "EOCIC ontology",
        "iri": str(header) if header is not None else EOCIC_IRI,
        "header": pairs(union, g.predicate_objects(header)) if header is not None else [],
        "sections": sections,
        "schemes": sorted(schemes, key=lambda s: s["scheme"].text.lower()),  # type: ignore[attr-defined]
        "formats": [(name, f"?format={name}") for name in ("ttl", "jsonld", "nt", "rdf")],
        "omitted": rel.omitted,
        "diagram": _diagram(rel),
    }


def _page() -> dict[str, object]:
    rel = release()
    return backend().view(("ontology-page", request.script_root), lambda: ontology_page(rel))


@dataset.get("/ontology")
def ontology() -> Response:
    """The ontology: HTML documentation or the ontology graph in an RDF format."""
    fmt = choose(PAGE)
    if fmt != "html":
        rel = release()
        return rdf_response(
            backend().view(("ontology", fmt), lambda: rdf_bytes(rel.ontology, fmt)),
            fmt,
        )
    return html_response("ld_ontology.html", page=_page())


@dataset.get("/ontology/<version>")
def ontology_version(version: str) -> Response:
    """The ontology at its version IRI (`owl:versionIRI`, e.g. `/ontology/0.3.0`): the version
    this release holds is the ontology; another is a 404 that names it."""
    held = [str(iri).rsplit("/", 1)[-1] for iri in release().ontology.objects(None, OWL.versionIRI)]
    if version not in held:
        versions = f"version {', '.join(held)}" if held else "no versioned ontology"
        abort(
            404, f"no ontology version {version!r} here: this release holds {versions} (/ontology)"
        )
    return ontology()


@dataset.get("/ontology/diagram.svg")
def diagram_svg() -> Response:
    """The class diagram of the ontology page, as a picture of its own."""
    svg = _page()["diagram"]["svg"]  # type: ignore[index]
    if svg is None:
        abort(404, "the class diagram needs Graphviz (dot), which is not installed")
    return Response(svg, content_type="image/svg+xml")


# --- dataset description and dumps -----------------------------------------------------------


@dataset.get("/download/eocic.<name>")
def download(name: str) -> Response:
    """A dump of the release (`eocic-kg export` bytes), optionally gzipped."""
    fmt = name.removesuffix(".gz")
    if fmt not in DUMPS:
        abort(404, f"no dump eocic.{name}; formats: {', '.join(DUMPS)} (and .gz)")
    rel = release()
    body = backend().view(("dump", fmt), lambda: carried(lambda: export_rdf(rel.dataset, fmt)))
    media_type = RDF_FORMATS[fmt][0]
    if name.endswith(".gz"):
        body = backend().view(("dump", name), lambda: gzip.compress(body, mtime=0))
        media_type = "application/gzip"
    response = Response(body, content_type=with_charset(media_type))
    response.headers["Content-Disposition"] = f'attachment; filename="eocic.{name}"'
    if rel.omitted:  # statements rdflib cannot hold (RDF 1.2 terms): the Graph Store has them
        response.headers["X-EOCIC-Omitted"] = str(rel.omitted)
    return response


@dataset.get("/.well-known/void")
def void() -> Response:
    """The VoID + DCAT description of the dataset (RDF; HTML clients get Turtle)."""
    fmt = choose(PAGE)
    fmt = "turtle" if fmt == "html" else fmt
    return rdf_response(
        backend().view(("void", fmt), lambda: rdf_bytes(void_description_graph(), fmt)),
        fmt,
    )
