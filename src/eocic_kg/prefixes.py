"""The one table of predeclared prefixes.

Queries sent to the endpoint, to ``eocic-kg query`` and to the named-query engine may use these
prefixes without PREFIX lines (a PREFIX in the query wins); the query page completes them, the
service description lists them and the Turtle exports bind them. There are three groups:

- our ontology, ``eocic:``;
- the W3C and common vocabularies the graph uses (``rdf: rdfs: owl: xsd: skos: prov: dcterms: qb:
  org: foaf: dcat: void:`` and a few more used by the exports and the shapes);
- one prefix per kind of resource IRI, named after the kind's path segment: ``region:`` stands for
  ``https://w3id.org/eocic/id/region/``, so ``region:saxony`` is the IRI of Saxony.

>>> PREFIXES["region"]
'https://w3id.org/eocic/id/region/'
>>> prefixed_name("https://w3id.org/eocic/id/challenge/funding")
'challenge:funding'
>>> prefixed_name("https://w3id.org/eocic/ontology#facesChallenge")
'eocic:facesChallenge'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

#: The one place the project's IRIs are spelled: everything we name lives under it.
BASE_IRI = "https://w3id.org/eocic/"
#: The namespace of resource IRIs: ``{ID_NAMESPACE}{kind}/{slug}``.
ID_NAMESPACE = BASE_IRI + "id/"

#: Our ontology and the vocabularies the graph uses.
VOCABULARY_PREFIXES: dict[str, str] = {
    "eocic": BASE_IRI + "ontology#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "qb": "http://purl.org/linked-data/cube#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "vann": "http://purl.org/vocab/vann/",
    "sh": "http://www.w3.org/ns/shacl#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "nuts": "http://data.europa.eu/nuts/code/",
    "eu-country": "http://publications.europa.eu/resource/authority/country/",
    "id": ID_NAMESPACE,
}

#: The kinds of resource IRIs in the data (path segment after ``/id/``); a test checks this list
#: against the data, so a new kind cannot be forgotten.
KINDS: tuple[str, ...] = (
    "activity",
    "administrative-structure",
    "analysis",
    "assessment",
    "attribution",
    "challenge",
    "change-approach",
    "classification",
    "cluster",
    "cluster-organisation-form",
    "cluster-service-kind",
    "comparator",
    "country",
    "dataset",
    "deliverable",
    "development-stage",
    "difference",
    "dimension",
    "event",
    "event-series",
    "fact",
    "factor",
    "factor-example",
    "figure",
    "finding",
    "finding-type",
    "footnote",
    "frequency",
    "function",
    "horizon",
    "inconsistency",
    "mapping",
    "measure",
    "measure-type",
    "megatrend",
    "organisation",
    "partner-type",
    "phase",
    "place",
    "platform",
    "principle",
    "programme",
    "publication",
    "quantity",
    "region",
    "report",
    "respondent-type",
    "scheme",
    "section",
    "sector",
    "service",
    "standard",
    "status",
    "step",
    "survey",
    "survey-figure",
    "survey-statement",
    "survey-theme",
    "table",
    "territorial-level",
    "topic",
    "unit",
    "work",
    "work-phase",
)

#: One prefix per kind: ``region:`` -> ``https://w3id.org/eocic/id/region/``.
KIND_PREFIXES: dict[str, str] = {kind: f"{ID_NAMESPACE}{kind}/" for kind in KINDS}

#: Every predeclared prefix: vocabularies first, then the kinds.
PREFIXES: dict[str, str] = {**VOCABULARY_PREFIXES, **KIND_PREFIXES}

# A conservative PN_LOCAL (no escapes, no ':' or '%', not ending in '.'). Matched whole
# (`is_local_name`): '$' would also match before a trailing line break.
_LOCAL_NAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?")
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: (-len(item[1]), item[0]))


def is_local_name(local: str) -> bool:
    """Whether `local` can follow ``prefix:`` in Turtle and SPARQL as it is (the empty name
    too)."""
    return local == "" or _LOCAL_NAME.fullmatch(local) is not None


def kind_of(iri: str) -> str | None:
    """The kind (path segment after ``/id/``) of a resource IRI, or None."""
    if not iri.startswith(ID_NAMESPACE):
        return None
    rest = iri[len(ID_NAMESPACE) :]
    return rest.split("/", 1)[0] if "/" in rest else None


def kinds_in(iris: Iterable[str]) -> set[str]:
    """The kinds of the resource IRIs among `iris`."""
    return {kind for kind in map(kind_of, iris) if kind}


def prefixed_name(iri: str, prefixes: Mapping[str, str] | None = None) -> str | None:
    """`iri` as ``prefix:local`` with the longest matching predeclared prefix, or None."""
    table = _BY_LENGTH if prefixes is None else sorted(prefixes.items(), key=lambda i: -len(i[1]))
    for name, namespace in table:
        if iri.startswith(namespace):
            local = iri[len(namespace) :]
            if is_local_name(local):
                return f"{name}:{local}"
    return None


#: Schemes of absolute IRIs without `//` that a client may give (anything else before a `:`
#: must be a known prefix: `regoin:saxony` is a typo, not an IRI with the scheme `regoin`).
OPAQUE_SCHEMES = frozenset({"urn", "tag", "mailto", "info"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(//)?")


def known_prefixes() -> str:
    """The predeclared prefixes in one line, for messages."""
    vocabularies = " ".join(f"{name}:" for name in VOCABULARY_PREFIXES)
    kinds = " ".join(f"{kind}:" for kind in KINDS)
    return f"{vocabularies}, and one per kind of resource: {kinds}"


def expand_iri(value: str, parameter: str) -> str:
    """The absolute IRI a client means by `value`, the input `parameter` of a request.

    A prefixed name with a predeclared prefix is expanded; an absolute IRI (``https://...``,
    ``urn:...``) is taken as it is; anything else is a ValueError naming `parameter` and the
    known prefixes. Every IRI input of the web layer and the API goes through here.

    >>> expand_iri("region:saxony", "region")
    'https://w3id.org/eocic/id/region/saxony'
    >>> expand_iri("regoin:saxony", "region")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: parameter 'region': 'regoin:saxony' is not an absolute IRI, and regoin: is ...
    """
    from pyoxigraph import NamedNode

    match = _SCHEME.match(value)
    name = match.group(1) if match else ""
    if name in PREFIXES:
        local = value[len(name) + 1 :]
        if is_local_name(local):
            return PREFIXES[name] + local
        problem = (
            f"{value!r} is not an absolute IRI, nor a prefixed name (a local name holds no "
            "spaces, '/' or ':')"
        )
    elif match and (match.group(2) or name.lower() in OPAQUE_SCHEMES):
        try:
            return NamedNode(value).value
        except ValueError as e:
            problem = f"{value!r} is not an absolute IRI ({repr(str(e))[1:-1]})"
    elif match:
        close = difflib.get_close_matches(name, list(PREFIXES), n=1, cutoff=0.75)
        guess = f" (did you mean {close[0]}:?)" if close else ""
        problem = f"{value!r} is not an absolute IRI, and {name}: is not a known prefix{guess}"
    else:
        problem = f"{value!r} is not an absolute IRI nor a prefixed name"
    raise ValueError(
        f"parameter {parameter!r}: {problem}. Give an absolute IRI (https://..., urn:...) or a "
        f"prefixed name such as region:saxony; the known prefixes are {known_prefixes()}"
    )


#: Each predeclared prefix as a query writes it (`name:`), its name and namespace.
_NEEDLES = tuple((f"{name}:", name, iri) for name, iri in PREFIXES.items())


def query_prefixes(query: str) -> dict[str, str]:
    """The predeclared prefixes whose `name:` occurs in `query` (a superset of those it uses).

    Handing the engine only these saves converting the whole table on every query.

    >>> query_prefixes("SELECT * { region:saxony rdfs:label ?l }")  # doctest: +NORMALIZE_WHITESPACE
    {'rdfs': 'http://www.w3.org/2000/01/rdf-schema#',
     'region': 'https://w3id.org/eocic/id/region/'}
    """
    return {name: iri for needle, name, iri in _NEEDLES if needle in query}


def prefix_lines(names: Iterable[str] | None = None) -> str:
    """PREFIX lines declaring `names` (default: every predeclared prefix), one per line."""
    chosen = PREFIXES if names is None else {n: PREFIXES[n] for n in names}
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in chosen.items())


def declare_prefixes(graph: Graph, subject: Node) -> None:
    """State the predeclared prefixes on `subject` (a SPARQL service) as SHACL prefix
    declarations (``sh:declare [ sh:prefix "region" ; sh:namespace "..."^^xsd:anyURI ]``), the
    form service descriptions use to tell clients which prefixes a query may leave out."""
    from rdflib import BNode, Literal, Namespace
    from rdflib.namespace import XSD

    sh = Namespace("http://www.w3.org/ns/shacl#")
    graph.bind("sh", sh)
    for name, namespace in PREFIXES.items():
        declaration = BNode()
        graph.add((subject, sh.declare, declaration))
        graph.add((declaration, sh.prefix, Literal(name)))
        graph.add((declaration, sh.namespace, Literal(namespace, datatype=XSD.anyURI)))
