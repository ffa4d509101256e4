"""The engine's RDF read into rdflib, term by term, for the pages that compute with rdflib.

The engine accepts RDF 1.2 (triple terms `<<( s p o )>>`, literals with a base direction such
as `"hello"@en--rtl`), which rdflib can neither parse nor hold. So the engine's own output is
read with the engine's parser (`pyoxigraph.parse`) and each term converted here; a statement
that holds a term rdflib cannot represent is left out and counted, so that a page can say how
many it does not show instead of failing.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

_PLAIN = {str(XSD.string), str(RDF.langString)}


class _NotShown(Exception):
    """A term rdflib cannot represent."""


def rdflib_term(term: object) -> Node:
    """The rdflib term of an engine term; _NotShown for a triple term or a directional literal."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal) and term.direction is None:
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        # the engine's lexical form as it is: rdflib would write "0012"^^xsd:integer back as
        # "12", "1"^^xsd:boolean as "true", another RDF term than the engine's (the dumps)
        return Literal(
            term.value,
            datatype=None if datatype in _PLAIN else URIRef(datatype),
            normalize=False,
        )
    raise _NotShown(term)


def read_into(target: Graph, data: bytes, rdf_format: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> int:
    """Add to `target` the statements of `data`, which the engine wrote in `rdf_format` (each
    in its named graph when `target` is a `Dataset`); return how many were left out."""
    omitted = 0
    quads = isinstance(target, Dataset)
    for quad in ox.parse(data, format=rdf_format):
        try:
            s, p, o = (rdflib_term(t) for t in (quad.subject, quad.predicate, quad.object))
        except _NotShown:
            omitted += 1
            continue
        if quads and isinstance(quad.graph_name, ox.NamedNode):
            target.add((s, p, o, URIRef(quad.graph_name.value)))  # type: ignore[arg-type]
        else:
            target.add((s, p, o))
    return omitted
