"""RDF documents over HTTP: the representations the linked-data pages and dumps offer, and
how a graph is serialised and answered in one of them."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response
from rdflib import Graph
from rdflib.term import Node
from werkzeug.exceptions import NotAcceptable

from eocic_kg.export import NotInXml, graph_document
from eocic_kg.web.answering import response, with_charset
from eocic_kg.web.exchange import Reply

#: Representations: name -> (media type, the `eocic_kg.export` triple format, None for HTML).
REPRESENTATIONS: dict[str, tuple[str, str | None]] = {
    "html": ("text/html", None),
    "turtle": ("text/turtle", "ttl"),
    "jsonld": ("application/ld+json", "jsonld"),
    "ntriples": ("application/n-triples", "nt"),
    "rdfxml": ("application/rdf+xml", "rdf"),
}
#: Dumps served under /download/eocic.<ext> (and .gz).
DUMPS = ("ttl", "nt", "jsonld", "rdf")


def rdf_bytes(graph: Graph, fmt: str, *, first: Node | None = None) -> bytes:
    """`graph` in the representation `fmt`, written as the dumps are (`export.graph_document`:
    the same bytes from every worker and replica); `first`'s statements first in Turtle; a 406
    when RDF/XML cannot carry it (`carried`)."""
    written = REPRESENTATIONS[fmt][1]
    assert written is not None
    return carried(lambda: graph_document(graph, written, first=first))


def carried(write: Callable[[], bytes]) -> bytes:
    """The document `write` makes; a 406 that says why when RDF/XML cannot carry its graph
    (rather than a 200 with a document no XML parser reads, or a 500)."""
    try:
        return write()
    except NotInXml as e:
        raise NotAcceptable(str(e)) from e


def rdf_reply(body: bytes, fmt: str) -> Reply:
    """The answer of `body`, an RDF document in the representation `fmt`."""
    media_type = with_charset(REPRESENTATIONS[fmt][0])
    headers = [("Content-Type", media_type), ("Content-Length", str(len(body)))]
    return Reply(200, [*headers, ("Vary", "Accept")], body)


def rdf_response(body: bytes, fmt: str) -> Response:
    """The Flask response of `body`, an RDF document in the representation `fmt`."""
    return response(rdf_reply(body, fmt))
