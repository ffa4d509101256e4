"""Network views of the release graph, for graph tools and the browser.

A view is a `networkx.MultiDiGraph`. Nodes are resources keyed by IRI with the attributes
`label`, `class` (the most specific class as a compact name, ranked by the ontology: see
`ClassRanking`; `external (prefix)` for an untyped outside resource), `classes` (every class of
the node, most specific first, as a list), `kind` (the `{kind}` of `/id/{kind}/...`, `ontology`
or `external`), `iri`, and one attribute per datatype property (compact predicate name): an
`int`, `float` or `bool` when every node has one value of that numeric, year (`xsd:gYear`) or
boolean datatype, else a string (dates, INF, NaN, integers beyond 2**53 and decimals no double holds
stay strings; several values are joined with " | ").
A language-tagged value keeps its language in the attribute's name: English and untagged values
under the compact name (`skos:altLabel`), each other language under `name_tag`
(`skos:altLabel_de`: GraphML's attribute names are XML name tokens, which allow no "@"), so no
value of one language is joined to a value of another.
Edges are object properties keyed by the compact predicate name, with `predicate` (IRI) and
`label`. How a view is drawn (`drawing`: a seeded layout computed once, sizes, the legend's
colours and shapes, short labels) is the same on the graph page and in every export.
Blank nodes are left out, and so are vocabulary terms in the resource views
(`schema_terms`: classes, properties, datatypes, RDF list machinery) and what only the
ontology's own statements point to (its licence, its versions).

Node attributes come from the whole release; edges and literal attributes from the graph given as
`edges` (the CLI passes the asserted graphs by default). An edge that only restates another one
is dropped: the inverse twin (`b q a` beside `a p b`, `p owl:inverseOf q`; the property that is
the object of `owl:inverseOf` is kept), the mirror of a symmetric property, and a super-property
edge beside its sub-property edge. So every degree counts each relation once.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal

import networkx as nx
import numpy as np
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, SKOS, XSD

from eocic_kg.export import STANDARD_PREFIXES, Names
from eocic_kg.namespaces import ID
from eocic_kg.prefixes import BASE_IRI

#: Views of `build_view`: name -> description.
VIEWS: dict[str, str] = {
    "regions": "regions, challenges, measures and clusters and the links between them",
    "full": "every resource of the release and the object properties between them",
    "classes": "the class hierarchy of the ontology (rdfs:subClassOf)",
    "model": "the class diagram: classes, subclass links and the object properties between "
    "classes by their domains and ranges",
}
REGION_VIEW_KINDS = ("region", "challenge", "measure", "cluster")
#: The program named as the creator of exported graph files.
CREATOR = "eocic-kg"
#: Okabe & Ito's colour-blind-safe palette (black replaced by grey, so labels stay readable).
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#F0E442",
    "#7F7F7F",
)
#: Node shapes (Cytoscape.js names) that, with the palette, tell classes apart.
SHAPES = (
    "ellipse",
    "round-rectangle",
    "diamond",
    "triangle",
    "hexagon",
    "star",
    "vee",
    "tag",
    "pentagon",
    "octagon",
    "rectangle",
    "barrel",
    "rhomboid",
    "heptagon",
    "concave-hexagon",
    "cut-rectangle",
)
SCHEMA = "https://schema.org/"
SCHEMA_HTTP = "http://schema.org/"
_NAMES = Names(STANDARD_PREFIXES)
_CLASS_TYPES = (OWL.Class, RDFS.Class)
_PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
_INTEGERS = {
    XSD.integer,
    XSD.int,
    XSD.long,
    XSD.short,
    XSD.byte,
    XSD.nonNegativeInteger,
    XSD.positiveInteger,
    XSD.negativeInteger,
    XSD.nonPositiveInteger,
    XSD.unsignedInt,
    XSD.unsignedLong,
    XSD.unsignedShort,
}
_DECIMALS = {XSD.decimal, XSD.double, XSD.float}
#: The largest integer every JSON reader reads exactly (JavaScript's Number.MAX_SAFE_INTEGER).
_SAFE_INTEGER = 2**53 - 1
_NOT_ATTRIBUTES = {RDFS.label}
#: The language of the graph's labels and texts: its values keep the bare attribute name.
DEFAULT_LANGUAGE = "en"


def label(graph: Graph, node: URIRef) -> str:
    """The English (else any) rdfs:label or skos:prefLabel of `node`, else its local name."""
    for predicate in (RDFS.label, SKOS.prefLabel):
        labels = sorted(
            (o for o in graph.objects(node, predicate) if isinstance(o, Literal)),
            key=lambda lit: (lit.language not in ("en", None), str(lit)),
        )
        if labels:
            return str(labels[0])
    iri = str(node)
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


def kind(node: URIRef) -> str:
    """`region` for `.../id/region/x`, `ontology` for ontology terms, else `external`."""
    iri = str(node)
    if iri.startswith(str(ID)):
        return iri[len(ID) :].split("/", 1)[0]
    if iri.startswith(STANDARD_PREFIXES["eocic"]) or iri == f"{BASE_IRI}ontology":
        return "ontology"
    return "external"


def _external_class(node: URIRef) -> str:
    compact = _NAMES.iri(str(node))
    if not compact.startswith("<"):
        return f"external ({compact.split(':', 1)[0]})"
    host = str(node).split("//", 1)[-1].split("/", 1)[0]
    return f"external ({host})"


class ClassRanking:
    """A node's classes, most specific first, as the ontology of `graph` ranks them.

    First the classes that are no superclass of another class of the node, then the deeper
    ones (more superclasses), then the ones whose properties the node uses most (the domains
    of its predicates, the ranges of the predicates pointing at it): so a member state that
    is a pilot region is a `PilotRegion` first, a `Country` second. Then eocic: first, by IRI.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._supers: dict[URIRef, set[URIRef]] = {}
        self._ends: dict[URIRef, tuple[list[URIRef], list[URIRef]]] = {}

    def supers(self, cls: URIRef) -> set[URIRef]:
        """The strict superclasses of `cls` (rdfs:subClassOf, transitively)."""
        if cls not in self._supers:
            found = self.graph.transitive_objects(cls, RDFS.subClassOf)
            self._supers[cls] = {s for s in found if isinstance(s, URIRef) and s != cls}
        return self._supers[cls]

    def _property_ends(self, prop: URIRef) -> tuple[list[URIRef], list[URIRef]]:
        if prop not in self._ends:
            self._ends[prop] = property_ends(self.graph, prop)
        return self._ends[prop]

    def classes(self, node: URIRef) -> list[URIRef]:
        """Every class of `node` (rdf:type), most specific first."""
        types = {t for t in self.graph.objects(node, RDF.type) if isinstance(t, URIRef)}
        above = {s for t in types for s in self.supers(t)}
        used: Counter[URIRef] = Counter()
        for prop in set(self.graph.predicates(node)):
            used.update(self._property_ends(prop)[0])  # type: ignore[arg-type]
        for prop in set(self.graph.predicates(None, node)):
            used.update(self._property_ends(prop)[1])  # type: ignore[arg-type]
        return sorted(
            types,
            key=lambda t: (
                t in above,
                -len(self.supers(t)),
                -used[t],
                kind(t) != "ontology",
                str(t),
            ),
        )


def main_class(graph: Graph, node: URIRef, ranking: ClassRanking | None = None) -> str:
    """The most specific class of `node` (see `ClassRanking`), as a compact name."""
    classes = (ranking or ClassRanking(graph)).classes(node)
    if classes:
        return _NAMES.iri(str(classes[0]))
    return _external_class(node) if kind(node) == "external" else kind(node)


def _literal_value(literal: Literal) -> str | int | float | bool:
    if literal.datatype in _INTEGERS or literal.datatype == XSD.gYear:
        try:
            number = int(str(literal))
        except ValueError:
            return str(literal)
        # beyond 2**53 a JSON reader (JSON.parse: the graph page, Cytoscape.js) reads another
        # number, silently: such an integer stays its text
        return number if abs(number) <= _SAFE_INTEGER else str(literal)
    if literal.datatype in _DECIMALS:
        # INF, -INF and NaN are written as XSD writes them, as strings: JSON has no such number
        # (Python wrote `Infinity`, which JSON.parse and Cytoscape reject) and GraphML's
        # `double` is Java's, which reads no `inf` or `nan`
        try:
            real = float(str(literal))
        except ValueError:
            return str(literal)
        if math.isnan(real):
            return "NaN"
        if not math.isfinite(real):
            return "INF" if real > 0 else "-INF"
        # an xsd:decimal is exact: one that no double holds (more than 17 digits) stays its text
        if literal.datatype == XSD.decimal and Decimal(repr(real)) != Decimal(str(literal)):
            return str(literal)
        return real
    if literal.datatype == XSD.boolean and str(literal) in ("true", "false", "1", "0"):
        return str(literal) in ("true", "1")
    return str(literal)


def attribute_name(predicate: URIRef, literal: Literal) -> str:
    """The attribute that a value of `predicate` goes to: its compact name, followed by
    `_tag` when the value is in a language other than DEFAULT_LANGUAGE."""
    name = _NAMES.iri(str(predicate))
    language = literal.language
    return name if language in (None, DEFAULT_LANGUAGE) else f"{name}_{language}"


def _literal_attributes(graph: Graph, node: URIRef) -> dict[str, list[str | int | float | bool]]:
    values: dict[str, list[str | int | float | bool]] = defaultdict(list)
    for predicate, obj in graph.predicate_objects(node):
        if (
            isinstance(obj, Literal)
            and isinstance(predicate, URIRef)
            and predicate not in _NOT_ATTRIBUTES
        ):
            values[attribute_name(predicate, obj)].append(_literal_value(obj))
    return values


def _type_attributes(
    per_node: dict[str, dict[str, list[str | int | float | bool]]],
) -> dict[str, dict[str, str | int | float | bool]]:
    """One value per node and attribute, of one type per attribute across the view."""
    kinds: dict[str, set[type]] = defaultdict(set)
    for values in per_node.values():
        for name, found in values.items():
            kinds[name].update(type(v) for v in found)
            if len(found) > 1:
                kinds[name].add(str)
    typed: dict[str, dict[str, str | int | float | bool]] = {}
    for node, values in per_node.items():
        typed[node] = {}
        for name, found in sorted(values.items()):
            seen = kinds[name]
            if seen <= {int} or seen <= {bool}:
                typed[node][name] = found[0]
            elif seen <= {int, float}:
                typed[node][name] = float(found[0])
            else:
                text = sorted({str(v).lower() if isinstance(v, bool) else str(v) for v in found})
                typed[node][name] = " | ".join(text)
    return typed


def schema_terms(graph: Graph) -> set[URIRef]:
    """The IRIs of `graph` that are vocabulary, not things: classes (typed so, in a class
    axiom, or the object of rdf:type), properties (used as a predicate, typed so, or in a
    property axiom), datatypes (of a literal, or a property's domain or range), rdf:nil."""
    classes: set[object] = set(graph.objects(None, RDF.type))
    properties: set[object] = set(graph.predicates())
    for declared, found in (
        ((*_CLASS_TYPES, RDFS.Datatype), classes),
        ((RDF.Property, *_PROPERTY_TYPES), properties),
    ):
        for cls in declared:
            found.update(graph.subjects(RDF.type, cls))
    for axioms, found in (
        ((RDFS.subClassOf, OWL.equivalentClass, OWL.disjointWith), classes),
        ((RDFS.subPropertyOf, OWL.inverseOf), properties),
    ):
        for axiom in axioms:
            for pair in graph.subject_objects(axiom):
                found.update(pair)
    datatypes = {o.datatype for o in graph.objects() if isinstance(o, Literal)}
    ends = {
        end
        for prop in properties
        if isinstance(prop, URIRef)
        for side in property_ends(graph, prop)
        for end in side
    }
    terms = classes | properties | datatypes | ends | {RDF.nil}
    return {t for t in terms if isinstance(t, URIRef)}


def _view_nodes(graph: Graph, view: str) -> set[URIRef]:
    """The view's nodes. The full view holds the things the data is about: every subject that
    is no ontology or vocabulary term (`schema_terms`) and what these link to; the ontology's
    own statements (its licence, versions, axioms) belong to the class views."""
    classes = {c for t in _CLASS_TYPES for c in graph.subjects(RDF.type, t)}
    if view in ("classes", "model"):
        for sub, sup in graph.subject_objects(RDFS.subClassOf):
            classes.update((sub, sup))
        return {c for c in classes if isinstance(c, URIRef) and c != OWL.Thing}
    schema = schema_terms(graph)
    things = {
        s for s in graph.subjects() if isinstance(s, URIRef) and kind(s) != "ontology"
    } - schema
    if view == "regions":
        return {r for r in things if kind(r) in REGION_VIEW_KINDS}
    linked = {
        o
        for s, p, o in graph
        if s in things and p != RDF.type and isinstance(o, URIRef) and kind(o) != "ontology"
    }
    return things | (linked - schema)


def _main_inverse(graph: Graph) -> dict[URIRef, URIRef]:
    """Property -> the inverse property whose edges are kept in its place."""
    replaced: dict[URIRef, URIRef] = {}
    pairs = sorted(
        (s, o)
        for s, o in graph.subject_objects(OWL.inverseOf)
        if isinstance(s, URIRef) and isinstance(o, URIRef)
    )
    for derived, main in pairs:
        if derived not in replaced and main not in replaced and derived != main:
            replaced[derived] = main
    return replaced


def _without_twins(graph: Graph, edges: set[tuple[URIRef, URIRef, URIRef]]) -> list:
    """`edges` less inverse twins, symmetric mirrors and super-property repeats."""
    replaced = _main_inverse(graph)
    symmetric = set(graph.subjects(RDF.type, OWL.SymmetricProperty))
    kept = set()
    for s, p, o in edges:
        if p in replaced and (o, replaced[p], s) in edges:
            continue
        if p in symmetric and (o, p, s) in edges and str(o) < str(s):
            continue
        kept.add((s, p, o))
    supers = {
        p: {q for q in graph.transitive_objects(p, RDFS.subPropertyOf) if isinstance(q, URIRef)}
        for p in {p for _, p, _ in kept}
    }
    # p repeats q when q is below p; of two equivalent properties (each below the other,
    # eocic:region and eocic:aboutRegion) the one with the smaller IRI stays
    subs: dict[URIRef, set[URIRef]] = defaultdict(set)
    for sub, above in supers.items():
        for sup in above - {sub}:
            if sub not in supers.get(sup, ()) or str(sub) < str(sup):
                subs[sup].add(sub)
    return sorted(
        (s, p, o) for s, p, o in kept if not any((s, q, o) in kept for q in subs.get(p, ()))
    )


def _members(graph: Graph, node: object) -> list[URIRef]:
    """`node` itself, or the classes of an owl:unionOf list."""
    if isinstance(node, URIRef):
        return [node]
    members: list[URIRef] = []
    for collection in graph.objects(node, OWL.unionOf):  # type: ignore[arg-type]
        members.extend(m for m in graph.items(collection) if isinstance(m, URIRef))
    return members


def property_ends(graph: Graph, prop: URIRef) -> tuple[list[URIRef], list[URIRef]]:
    """Domains and ranges of `prop`: rdfs:domain/range and schema:domainIncludes/rangeIncludes
    (unions of classes are taken apart)."""
    ends: tuple[list[URIRef], list[URIRef]] = ([], [])
    for index, names in enumerate((("domain", "domainIncludes"), ("range", "rangeIncludes"))):
        predicates = [RDFS[names[0]], URIRef(SCHEMA + names[1]), URIRef(SCHEMA_HTTP + names[1])]
        found = {m for p in predicates for o in graph.objects(prop, p) for m in _members(graph, o)}
        ends[index].extend(sorted(found))
    return ends


def _model_edges(graph: Graph, nodes: set[URIRef]) -> Iterable[tuple[URIRef, URIRef, URIRef]]:
    for s, o in graph.subject_objects(RDFS.subClassOf):
        if isinstance(s, URIRef) and isinstance(o, URIRef):
            yield s, RDFS.subClassOf, o
    properties = {
        p for t in (OWL.ObjectProperty, RDF.Property) for p in graph.subjects(RDF.type, t)
    }
    for prop in sorted(p for p in properties if isinstance(p, URIRef)):
        domains, ranges = property_ends(graph, prop)
        for domain in domains:
            for range_ in ranges:
                if domain in nodes and range_ in nodes:
                    yield domain, prop, range_


def _datatype_slots(graph: Graph, cls: URIRef) -> str:
    """The datatype properties whose domain includes `cls`, as "name: type" lines."""
    slots = []
    for prop in sorted(graph.subjects(RDF.type, OWL.DatatypeProperty), key=str):
        if not isinstance(prop, URIRef):
            continue
        domains, ranges = property_ends(graph, prop)
        if cls in domains:
            types = ", ".join(_NAMES.iri(str(r)) for r in ranges) or "literal"
            slots.append(f"{_NAMES.iri(str(prop))}: {types}")
    return "\n".join(slots)


def _root(graph: Graph, cls: URIRef) -> str:
    """The top class above `cls` (below owl:Thing), as a compact name: the colour group."""
    supers = [s for s in graph.transitive_objects(cls, RDFS.subClassOf) if isinstance(s, URIRef)]
    tops = sorted(
        (s for s in supers if not set(graph.objects(s, RDFS.subClassOf)) - {OWL.Thing, s}),
        key=str,
    )
    return _NAMES.iri(str(tops[0] if tops else cls))


def build_view(graph: Graph, view: str = "full", edges: Graph | None = None) -> nx.MultiDiGraph:
    """The network view `view` (a VIEWS key) of the release `graph`.

    `edges` is the graph whose statements become edges and literal attributes (default:
    `graph` itself); labels, classes and the ontology's axioms are read from `graph`.
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; one of {sorted(VIEWS)}")
    source = graph if edges is None else edges
    nodes = _view_nodes(graph, view)
    found: set[tuple[URIRef, URIRef, URIRef]] = set()
    if view == "model":
        found.update(_model_edges(graph, nodes))
    else:
        for s, p, o in source.triples((None, RDFS.subClassOf if view == "classes" else None, None)):
            if p == RDF.type or isinstance(s, BNode) or isinstance(o, (BNode, Literal)):
                continue
            if s in nodes and o in nodes:
                found.add((s, p, o))  # type: ignore[arg-type]
    literals = (
        {}
        if view in ("classes", "model")
        else {str(n): _literal_attributes(source, n) for n in nodes}
    )
    typed = _type_attributes(literals)
    ranking = ClassRanking(graph)
    result = nx.MultiDiGraph(name=view)
    for node in sorted(nodes):
        attributes: dict[str, object] = {
            "label": label(graph, node),
            "class": main_class(graph, node, ranking),
            "classes": [_NAMES.iri(str(c)) for c in ranking.classes(node)],
            "kind": kind(node),
            "iri": str(node),
        }
        if view in ("classes", "model"):
            attributes["group"] = _root(graph, node)
        if view == "model":
            attributes["slots"] = _datatype_slots(graph, node)
        attributes.update(typed.get(str(node), {}))
        result.add_node(str(node), **attributes)
    for s, p, o in _without_twins(graph, found):
        result.add_edge(
            str(s), str(o), key=_NAMES.iri(str(p)), predicate=str(p), label=label(graph, p)
        )
    return result


def focus_view(full: nx.MultiDiGraph, iri: str, hops: int = 1) -> nx.MultiDiGraph:
    """The resources within `hops` links (either direction) of `iri` in the view `full`."""
    if iri not in full:
        raise KeyError(iri)
    around = nx.ego_graph(full.to_undirected(as_view=True), iri, radius=hops)
    result = nx.MultiDiGraph(full.subgraph(around.nodes))
    result.graph.pop("positions", None)  # the neighbourhood is laid out on its own
    result.graph.update(name=f"focus-{hops}", focus=iri, hops=hops)
    return result


#: The seed of the layout: a view is drawn the same way on every load and in every export.
LAYOUT_SEED = 7
#: Layout units: about this many pixels between linked nodes.
SPACING = 90.0
#: Room kept between two nodes beyond their sizes (pixels): a label's height and a margin.
LABEL_ROOM = 24.0
_ITERATIONS = 250


def _spring(adjacency: np.ndarray, fixed: int | None, iterations: int = _ITERATIONS) -> np.ndarray:
    """Fruchterman-Reingold positions (a seeded start, dense numpy arrays, no scipy), with a
    pull to the centre so that separate parts stay near; `fixed` stays at the origin."""
    count = len(adjacency)
    start = np.random.default_rng(LAYOUT_SEED).random((count, 2)) - 0.5
    pos = (start if fixed is None else start - start[fixed]).astype(np.float32)
    links = adjacency.astype(np.float32)
    k = np.float32(np.sqrt(1.0 / count))
    step = 0.1
    for _ in range(iterations):
        dx = pos[:, 0, None] - pos[None, :, 0]
        dy = pos[:, 1, None] - pos[None, :, 1]
        squared = np.maximum(dx * dx + dy * dy, np.float32(1e-4))
        force = k * k / squared - links * np.sqrt(squared) / k
        move = np.stack(((dx * force).sum(1), (dy * force).sum(1)), axis=1)
        move -= np.float32(0.3 * count) * k * pos
        length = np.maximum(np.linalg.norm(move, axis=1), np.float32(0.01))
        pos += move * (np.float32(step) / length)[:, None]
        if fixed is not None:
            pos[fixed] = 0.0
        step -= 0.1 / (iterations + 1)
    return pos.astype(np.float64) / float(k) * SPACING


def _spread(pos: np.ndarray, sizes: np.ndarray, fixed: int | None, rounds: int = 60) -> np.ndarray:
    """`pos` with overlapping nodes pushed apart until each keeps a label's height of room
    around its size (pixels)."""
    room = (sizes[:, None] + sizes[None, :]) / 2 + LABEL_ROOM
    np.fill_diagonal(room, 0.0)
    for _ in range(rounds):
        dx = pos[:, 0, None] - pos[None, :, 0]
        dy = pos[:, 1, None] - pos[None, :, 1]
        distance = np.maximum(np.sqrt(dx * dx + dy * dy), 0.01)
        push = np.maximum(room - distance, 0.0) / distance / 2
        if not push.any():
            break
        pos = pos + np.stack(((dx * push).sum(1), (dy * push).sum(1)), axis=1) / 2
        if fixed is not None:
            pos[fixed] = 0.0
    return pos


def node_sizes(view: nx.MultiDiGraph) -> dict[str, float]:
    """Each node's size in pixels: 16 to 60, growing with its number of links."""
    degree = dict(view.degree())
    most = max(degree.values(), default=0) or 1
    return {n: round(16 + 44 * float(np.sqrt(d / most)), 1) for n, d in degree.items()}


def positions(view: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Where each node of `view` is drawn (pixels, y down): a seeded spring layout, computed
    once per view and kept in `view.graph["positions"]`; a neighbourhood has its resource in
    the middle. The page, the picture files and the exports all use these positions."""
    if "positions" not in view.graph:
        nodes = list(view)
        if len(nodes) < 2:
            placed = {node: (0.0, 0.0) for node in nodes}
        else:
            adjacency = nx.to_numpy_array(nx.Graph(view), nodelist=nodes, weight=None)
            focus = view.graph.get("focus")
            fixed = nodes.index(focus) if focus in view else None
            xy = _spring(np.minimum(adjacency + adjacency.T, 1.0), fixed)
            sizes = node_sizes(view)
            xy = _spread(xy, np.array([sizes[n] for n in nodes]), fixed)
            placed = {
                n: (round(float(x), 1), round(float(y), 1))
                for n, (x, y) in zip(nodes, xy, strict=True)
            }
        view.graph["positions"] = placed
    return view.graph["positions"]


def short_label(text: str, width: int = 44) -> str:
    """`text` cut to about `width` characters at word ends, its start and end kept ("Saxony faces
    the … demographic change"), so that labels that begin alike stay apart."""
    if len(text) <= width:
        return text
    words = text.split()
    head: list[str] = []
    tail: list[str] = []
    while words and len(" ".join(head + words[:1])) <= width // 2:
        head.append(words.pop(0))
    while words and len(" ".join(words[-1:] + tail)) <= width - len(" ".join(head)) - 3:
        tail.insert(0, words.pop())
    if not head or not tail:
        return text[: width - 1].rstrip() + "\u2026"
    return f"{' '.join(head)} \u2026 {' '.join(tail)}"


def drawing(view: nx.MultiDiGraph) -> dict[str, dict[str, object]]:
    """How each node is drawn, the same on the page and in every export: `x`, `y`
    (`positions`), `size` (16 to 60 px, growing with its links), `colour` and `shape` (of its
    legend group), `group` (`colour_group`) and `short` (a label that tells it apart)."""
    looks = {str(row["name"]): row for row in legend(view)}
    sizes = node_sizes(view)
    shorts = {node: short_label(str(a["label"])) for node, a in view.nodes(data=True)}
    seen = Counter(shorts.values())
    placed = positions(view)
    drawn = {}
    for node, attributes in view.nodes(data=True):
        group = colour_group(attributes)
        short = shorts[node] if seen[shorts[node]] == 1 else str(attributes["label"])
        drawn[node] = {
            "x": placed[node][0],
            "y": placed[node][1],
            "size": sizes[node],
            "colour": looks[group]["colour"],
            "shape": looks[group]["shape"],
            "group": group,
            "short": short,
        }
    return drawn


def colour_group(attributes: dict) -> str:
    """What a node is coloured by: its top class in the class views, else its class."""
    return str(attributes.get("group") or attributes.get("class") or attributes.get("kind"))


def legend(view_graph: nx.MultiDiGraph) -> list[dict[str, object]]:
    """Colour groups of the view, most frequent first, each with a colour, shape and count.

    The first eight groups get distinct palette colours as circles; later ones reuse the
    colours with other shapes, so every group has its own colour-and-shape pair.
    """
    counts = Counter(colour_group(a) for _, a in view_graph.nodes(data=True))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        {
            "name": name,
            "count": count,
            "colour": PALETTE[i % len(PALETTE)],
            "shape": SHAPES[(i // len(PALETTE)) % len(SHAPES)],
        }
        for i, (name, count) in enumerate(ranked)
    ]


def cytoscape_json(view: nx.MultiDiGraph) -> dict:
    """The view as Cytoscape JSON (elements with `data` and `position`; networkx, Cytoscape.js
    and Cytoscape desktop read it). Node data carries the `drawing` too: `size`, `colour`,
    `shape`, `group` and `short`, which the style sheet (`cytoscape_style`) maps."""
    drawn = drawing(view)
    nodes = []
    for node, attributes in view.nodes(data=True):
        look = {k: v for k, v in drawn[node].items() if k not in ("x", "y")}
        data = {"id": node, "name": attributes["label"], "value": node, **attributes, **look}
        position = {"x": drawn[node]["x"], "y": drawn[node]["y"]}
        nodes.append({"data": data, "position": position})
    edges = []
    for i, (source, target, key, attributes) in enumerate(
        view.edges(keys=True, data=True), start=1
    ):
        data = {
            "id": f"e{i}",
            "source": source,
            "target": target,
            "key": key,
            "interaction": key,
            "name": f"{view.nodes[source]['label']} ({key}) {view.nodes[target]['label']}",
            **attributes,
        }
        edges.append({"data": data})
    return {
        "format_version": "1.0",
        "generated_by": CREATOR,
        "target_cytoscapejs_version": "~3.0",
        "data": {"name": f"eocic {view.graph.get('name', '')}".strip()},
        "directed": True,
        "multigraph": True,
        "elements": {"nodes": nodes, "edges": edges},
    }
