"""How terms are shown on the pages: a label, a link (to this server's page where it serves the
term), a language or datatype note, and a blank node's own statements (`TermView`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import url_for
from rdflib import RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS
from rdflib.term import Node

from eocic_kg.export import STANDARD_PREFIXES
from eocic_kg.namespaces import web_link
from eocic_kg.web.backend import base_iri

#: The properties a label is read from, in order of preference.
LABELS = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
#: The properties a definition is read from.
DEFINITIONS = (SKOS.definition, RDFS.comment, DCTERMS.description)


@dataclass
class TermView:
    """How a term is shown: text, link target, a note (language or datatype) and, for a blank
    node, its own statements."""

    text: str
    href: str | None = None
    iri: str | None = None
    note: str = ""
    nested: list[tuple[TermView, TermView]] = field(default_factory=list)


def qname(iri: str) -> str:
    """`prefix:local` for IRIs in a standard namespace, else the IRI."""
    for prefix, namespace in STANDARD_PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def local_href(iri: str) -> str | None:
    """The local path that serves `iri`, or None if this server does not serve it."""
    base = base_iri()
    if iri.startswith(base + "id/") and len(iri) > len(base) + 3:
        return url_for("linked_data.resource", rest=iri[len(base) + 3 :])
    if iri == base + "ontology":
        return url_for("dataset.ontology")
    if iri.startswith(base + "ontology#"):
        return url_for("dataset.ontology") + iri[len(base) + 8 :]
    return None


def local_link(iri: str) -> str:
    """Where a node links to on this server: its page if served here, else its IRI if a
    browser may follow it (else "")."""
    return local_href(iri) or web_link(iri)


def term_label(graph: Graph, node: Node) -> str:
    """The English (else any) label of `node`, else its prefixed name."""
    fallback = None
    for predicate in LABELS:
        for value in graph.objects(node, predicate):
            if isinstance(value, Literal):
                if value.language in ("en", None) and predicate != DCTERMS.title:
                    return str(value)
                fallback = fallback or str(value)
    return fallback or (qname(str(node)) if isinstance(node, URIRef) else "(blank node)")


def term_view(graph: Graph, node: Node, depth: int = 0) -> TermView:
    """The TermView of `node`, linking IRIs (locally where this server serves them)."""
    if isinstance(node, URIRef):
        iri = str(node)
        href = local_link(iri) or None
        return TermView(term_label(graph, node), href, iri)
    if isinstance(node, Literal):
        note = f"@{node.language}" if node.language else ""
        if node.datatype and not note:
            note = qname(str(node.datatype))
        return TermView(str(node), note=note)
    nested = []
    if depth < 3:
        nested = [
            (term_view(graph, p), term_view(graph, o, depth + 1))
            for p, o in sorted(graph.predicate_objects(node))
        ]
    return TermView(term_label(graph, node), nested=nested)


def views(graph: Graph, nodes: Iterable[Node]) -> list[TermView]:
    return sorted((term_view(graph, n) for n in set(nodes)), key=lambda v: v.text.lower())


def pairs(graph: Graph, pairs: Iterable[tuple[Node, Node]]) -> list[tuple[TermView, TermView]]:
    views = [(term_view(graph, a), term_view(graph, b)) for a, b in pairs]
    return sorted(views, key=lambda v: (v[0].text.lower(), v[1].text.lower()))
