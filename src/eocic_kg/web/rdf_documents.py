"""RDF documents over HTTP: the representations the linked-data pages and dumps offer, and
how a graph is serialised and answered in one of them."""

from __future__ import annotations

from flask import Response
from rdflib import Graph

from eocic_kg.export import STANDARD_PREFIXES
from eocic_kg.web.answering import response
from eocic_kg.web.exchange import Reply

#: Representations: name -> (media type, rdflib serialiser or None for HTML).
REPRESENTATIONS: dict[str, tuple[str, str | None]] = {
    "html": ("text/html", None),
    "turtle": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "ntriples": ("application/n-triples", "nt"),
    "rdfxml": ("application/rdf+xml", "xml"),
}
#: Dumps served under /download/eocic.<ext> (and .gz).
DUMPS = ("ttl", "nt", "jsonld", "rdf")


def rdf_bytes(graph: Graph, fmt: str) -> bytes:
    """`graph` serialised in the representation `fmt` (with the standard prefixes)."""
    serialiser = REPRESENTATIONS[fmt][1]
    assert serialiser is not None
    for prefix, namespace in STANDARD_PREFIXES.items():
        graph.bind(prefix, namespace, replace=True)
    return graph.serialize(format=serialiser, encoding="utf-8")


def rdf_reply(body: bytes, fmt: str) -> Reply:
    """The answer of `body`, an RDF document in the representation `fmt`."""
    media_type = REPRESENTATIONS[fmt][0]
    charset = "; charset=utf-8" if media_type.startswith("text/") else ""
    headers = [("Content-Type", media_type + charset), ("Content-Length", str(len(body)))]
    return Reply(200, [*headers, ("Vary", "Accept")], body)


def rdf_response(body: bytes, fmt: str) -> Response:
    """The Flask response of `body`, an RDF document in the representation `fmt`."""
    return response(rdf_reply(body, fmt))
