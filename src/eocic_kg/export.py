"""RDF exports of the release: readable, deterministic Turtle/TriG, N-Triples, N-Quads, JSON-LD
and RDF/XML.

Determinism: blank nodes get canonical labels (`rdflib.compare` hashing, then numbered in hash
order), subjects, predicates and objects are written in a fixed order, and line-based formats are
sorted, so the same release gives the same bytes. Blank nodes stay blank nodes, so parsing an
export gives a graph isomorphic to the exported one.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import OWL, SKOS, XSD
from rdflib.term import Node

from eocic_kg.namespaces import DATA_GRAPH, ID, INFERRED_GRAPH, ONTOLOGY_GRAPH, RELEASE_GRAPHS
from eocic_kg.prefixes import KIND_PREFIXES, VOCABULARY_PREFIXES, is_local_name
from eocic_kg.store import ox_term

#: Formats of `export_rdf`: name -> (media type, file extension).
RDF_FORMATS: dict[str, tuple[str, str]] = {
    "ttl": ("text/turtle", "ttl"),
    "nt": ("application/n-triples", "nt"),
    "nq": ("application/n-quads", "nq"),
    "jsonld": ("application/ld+json", "jsonld"),
    "rdf": ("application/rdf+xml", "rdf"),
    "trig": ("application/trig", "trig"),
}
#: Selections of named graphs of `export_rdf`.
GRAPH_SELECTIONS: dict[str, tuple[URIRef, ...]] = {
    "all": RELEASE_GRAPHS,
    "asserted": (ONTOLOGY_GRAPH, DATA_GRAPH),
    "inferred": (INFERRED_GRAPH,),
    "ontology": (ONTOLOGY_GRAPH,),
    "data": (DATA_GRAPH,),
}
#: Prefixes bound in every export (used ones only are written): the table of `eocic_kg.prefixes`.
STANDARD_PREFIXES: dict[str, str] = VOCABULARY_PREFIXES
_FIRST_PREDICATES = (RDF.type, RDFS.label, SKOS.prefLabel)
_PREFIX_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
#: Characters XML 1.0 cannot hold, written or escaped: the C0 controls other than tab, newline
#: and carriage return, and U+FFFE, U+FFFF.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ONTOLOGY_TYPES: dict[Node, int] = {
    OWL.Ontology: 0,
    OWL.Class: 1,
    RDFS.Class: 1,
    OWL.ObjectProperty: 2,
    OWL.DatatypeProperty: 2,
    OWL.AnnotationProperty: 2,
    RDF.Property: 2,
}


def select_graphs(dataset: Dataset, graphs: str = "all") -> list[tuple[URIRef, Graph]]:
    """The named graphs of `dataset` chosen by `graphs` (a GRAPH_SELECTIONS key), in order."""
    if graphs not in GRAPH_SELECTIONS:
        raise ValueError(f"unknown graph selection {graphs!r}; one of {sorted(GRAPH_SELECTIONS)}")
    chosen = []
    for name in GRAPH_SELECTIONS[graphs]:
        graph = Graph(identifier=name)
        for triple in dataset.graph(name):
            graph.add(triple)
        chosen.append((name, graph))
    return chosen


def canonical(graph: Graph, prefix: str = "b") -> Graph:
    """A copy of `graph` whose blank nodes are labelled `{prefix}1, {prefix}2, ...` canonically."""
    result = Graph(identifier=graph.identifier)
    if not any(isinstance(n, BNode) for triple in graph for n in triple):
        for triple in graph:
            result.add(triple)
        return result
    hashed = list(to_canonical_graph(graph))
    labels = sorted({n for triple in hashed for n in triple if isinstance(n, BNode)})
    rename: dict[Node, Node] = {old: BNode(f"{prefix}{i}") for i, old in enumerate(labels, 1)}
    for s, p, o in hashed:
        result.add((rename.get(s, s), p, rename.get(o, o)))
    return result


_GRAPH_MARK = "urn:x-eocic-export-graph:"
#: The lexical forms rdflib writes for special xsd:double and xsd:float values (it reads "INF"
#: as the float inf and writes it back as "inf") -> XSD's own, the only ones a reader takes.
_SPECIAL_FLOATS = {"inf": "INF", "+inf": "INF", "-inf": "-INF", "nan": "NaN"}
_FLOAT_TYPES = (XSD.double, XSD.float)


def _xsd_float(node: Node) -> Node:
    """`node`, or an xsd:double/float literal spelt inf, -inf or nan spelt as XSD spells it."""
    if isinstance(node, Literal) and node.datatype in _FLOAT_TYPES:
        special = _SPECIAL_FLOATS.get(str(node).lower())
        if special is not None and special != str(node):
            return Literal(special, datatype=node.datatype, normalize=False)
    return node


def xsd_lexical(graph: Graph) -> Graph:
    """`graph`, or a copy whose special float literals (`_xsd_float`) have XSD lexical forms:
    "inf"^^xsd:double is ill-typed, so a reader that checks it (Jena, Oxigraph's SPARQL) has
    no number there where the store had infinity."""
    if not any(_xsd_float(o) is not o for o in graph.objects()):
        return graph
    result = Graph(identifier=graph.identifier)
    for s, p, o in graph:
        result.add((s, p, _xsd_float(o)))
    return result


def canonical_graphs(graphs: list[tuple[URIRef, Graph]]) -> list[tuple[URIRef, Graph]]:
    """`graphs` with canonical blank node labels: `g{i}b1, g{i}b2, ...` in the i-th graph
    (`canonical`) when no blank node is in two of them, else `b1, b2, ...` over all of them,
    so that a blank node of several graphs (one node in the N-Quads release: its labels are
    scoped to the file) stays one node in every export instead of one per graph."""
    seen: dict[Node, int] = {}
    shared = False
    for i, (_, graph) in enumerate(graphs):
        for triple in graph:
            for node in triple:
                if isinstance(node, BNode) and seen.setdefault(node, i) != i:
                    shared = True
    if not shared:
        return [(name, canonical(graph, f"g{i}b")) for i, (name, graph) in enumerate(graphs)]
    # one graph whose predicates carry the graph they come from, canonicalised as a whole
    marked = Graph()
    for i, (_, graph) in enumerate(graphs):
        for s, p, o in graph:
            marked.add((s, URIRef(f"{_GRAPH_MARK}{i}:{p}"), o))
    whole = canonical(marked)
    result = [(name, Graph(identifier=name)) for name, _ in graphs]
    for s, p, o in whole:
        index, predicate = str(p)[len(_GRAPH_MARK) :].split(":", 1)
        result[int(index)][1].add((s, URIRef(predicate), o))
    return result


def prefixes_for(graphs: Iterable[Graph]) -> dict[str, str]:
    """The prefixes used by `graphs`: the standard ones and one per id kind (`region:`...)."""
    iris = set()
    for graph in graphs:
        for triple in graph:
            for node in triple:
                if isinstance(node, URIRef):
                    iris.add(str(node))
                elif isinstance(node, Literal) and node.datatype is not None:
                    iris.add(str(node.datatype))
    candidates = {**STANDARD_PREFIXES, **KIND_PREFIXES}
    for iri in iris:
        rest = iri[len(ID) :] if iri.startswith(str(ID)) else ""
        kind = rest.split("/", 1)[0] if "/" in rest else ""
        if _PREFIX_NAME.fullmatch(kind) and kind not in candidates:
            candidates[kind] = f"{ID}{kind}/"
    used = [
        (name not in STANDARD_PREFIXES, name)
        for name, ns in candidates.items()
        if any(iri.startswith(ns) for iri in iris)
    ]
    return {name: candidates[name] for _, name in sorted(used)}


class Names:
    """Compact names of terms (Turtle syntax) with the longest matching prefix."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.by_length = sorted(prefixes.items(), key=lambda item: (-len(item[1]), item[0]))

    def iri(self, iri: str) -> str:
        """`iri` as a prefixed name, or in angle brackets."""
        for name, namespace in self.by_length:
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and is_local_name(local):
                return f"{name}:{local}"
        return URIRef(iri).n3()

    def term(self, node: Node) -> str:
        """Any RDF term in Turtle (rdf:type too: `a` is written for it as a predicate only)."""
        if isinstance(node, URIRef):
            return self.iri(str(node))
        if isinstance(node, Literal):
            if node.datatype is not None and node.language is None:
                lexical = Literal(str(node)).n3()
                return f"{lexical}^^{self.iri(str(node.datatype))}"
            return node.n3()
        return node.n3()


def _object_key(node: Node) -> tuple[int, str, str]:
    kind = 0 if isinstance(node, URIRef) else 2 if isinstance(node, Literal) else 1
    extra = ""
    if isinstance(node, Literal):
        extra = f"{node.language or ''}|{node.datatype or ''}"
    return kind, str(node), extra


def _predicate_key(predicate: Node) -> tuple[int, str]:
    if predicate in _FIRST_PREDICATES:
        return _FIRST_PREDICATES.index(predicate), ""  # type: ignore[arg-type]
    return len(_FIRST_PREDICATES), str(predicate)


def _subject_group(graph: Graph, subject: Node) -> tuple[int, str]:
    """Section of the document a subject belongs to: ontology parts first, then id kinds."""
    types = set(graph.objects(subject, RDF.type))
    ranks = [_ONTOLOGY_TYPES[t] for t in types if t in _ONTOLOGY_TYPES]
    if ranks:
        return min(ranks), ""
    iri = str(subject)
    if isinstance(subject, URIRef) and iri.startswith(str(ID)):
        return 4, iri[len(ID) :].split("/", 1)[0]
    return (3, "") if isinstance(subject, URIRef) else (5, "")


_GROUP_TITLES = {0: "ontology", 1: "classes", 2: "properties", 3: "other resources"}


class _TurtleBody:
    """The statements of one graph in Turtle, blank nodes used once written inline."""

    def __init__(self, graph: Graph, names: Names, labelled: set[Node] | None = None) -> None:
        """`labelled`: blank nodes written by label even if used once (in other graphs too)."""
        self.graph = graph
        self.names = names
        uses: dict[Node, int] = defaultdict(int)
        for _, _, obj in graph:
            if isinstance(obj, BNode):
                uses[obj] += 1
        subjects = set(graph.subjects())
        keep = labelled or set()
        self.inline = {b for b, n in uses.items() if n == 1 and b in subjects and b not in keep}
        self._drop_cycles()

    def _drop_cycles(self) -> None:
        """Keep out of `inline` any blank node that (indirectly) contains itself."""
        for start in sorted(self.inline, key=str):
            seen: set[Node] = set()
            todo = [start]
            while todo:
                node = todo.pop()
                for obj in self.graph.objects(node, None):
                    if obj == start:
                        self.inline.discard(start)
                    elif obj in self.inline and obj not in seen:
                        seen.add(obj)
                        todo.append(obj)

    def _collection(self, node: Node) -> list[Node] | None:
        """The members of the RDF list starting at `node` if it can be written as `( ... )`."""
        members = []
        while node != RDF.nil:
            if node not in self.inline or set(self.graph.predicates(node, None)) != {
                RDF.first,
                RDF.rest,
            }:
                return None
            firsts = list(self.graph.objects(node, RDF.first))
            rests = list(self.graph.objects(node, RDF.rest))
            if len(firsts) != 1 or len(rests) != 1:
                return None
            members.append(firsts[0])
            node = rests[0]
        return members

    def _object(self, node: Node, indent: str) -> str:
        if node in self.inline:
            members = self._collection(node)
            if members is not None:
                return "( " + " ".join(self._object(m, indent) for m in members) + " )"
            inner = indent + "    "
            body = self._properties(node, inner)
            return f"[\n{inner}{body}\n{indent}]"
        return self.names.term(node)

    def _properties(self, subject: Node, indent: str) -> str:
        by_predicate: dict[Node, list[Node]] = defaultdict(list)
        for predicate, obj in self.graph.predicate_objects(subject):
            by_predicate[predicate].append(obj)
        parts = []
        for predicate in sorted(by_predicate, key=_predicate_key):
            objects = sorted(by_predicate[predicate], key=_object_key)
            written = [self._object(o, indent + "    ") for o in objects]
            head = "a" if predicate == RDF.type else self.names.term(predicate)
            if len(written) == 1:
                parts.append(f"{head} {written[0]}")
            else:
                joined = f" ,\n{indent}    ".join(written)
                parts.append(f"{head}\n{indent}    {joined}")
        return f" ;\n{indent}".join(parts)

    def write(self, indent: str = "", first: Node | None = None) -> str:
        """The subjects' blocks by group; `first`'s block (a resource page's own) before all."""
        subjects = [s for s in set(self.graph.subjects()) if s not in self.inline]
        keyed = sorted(
            (
                (-1, "this resource") if s == first else _subject_group(self.graph, s),
                _object_key(s),
                s,
            )
            for s in subjects
        )
        blocks = []
        current: tuple[int, str] | None = None
        for group, _, subject in keyed:
            if group != current:
                title = group[1] or _GROUP_TITLES.get(group[0], "blank nodes")
                blocks.append(f"{indent}# {'-' * 20} {title}")
                current = group
            head = self.names.term(subject)
            body = self._properties(subject, indent + "    ")
            blocks.append(f"{indent}{head}\n{indent}    {body} .\n")
        return "\n".join(blocks)


def _prefix_lines(prefixes: dict[str, str]) -> str:
    width = max((len(name) for name in prefixes), default=0) + 2
    return "".join(
        f"@prefix {(name + ':').ljust(width)}<{ns}> .\n" for name, ns in prefixes.items()
    )


def _merged(graphs: list[tuple[URIRef, Graph]]) -> Graph:
    merged = Graph()
    for _, graph in graphs:
        for triple in graph:
            merged.add(triple)
    return merged


def turtle(
    graph: Graph, prefixes: dict[str, str] | None = None, *, first: Node | None = None
) -> bytes:
    """`graph` as readable Turtle (its blank nodes should already be canonical), the statements
    of `first` (if given) before the others."""
    prefixes = prefixes_for([graph]) if prefixes is None else prefixes
    body = _TurtleBody(graph, Names(prefixes)).write(first=first)
    return (_prefix_lines(prefixes) + "\n" + body).encode("utf-8")


def trig(graphs: list[tuple[URIRef, Graph]]) -> bytes:
    """Named graphs as readable TriG."""
    prefixes = prefixes_for(g for _, g in graphs)
    names = Names(prefixes)
    parts = [_prefix_lines(prefixes)]
    # a blank node of several graphs keeps its label in each (a label is one node in the
    # whole document); written inline as `[ ... ]` in one graph it became another node
    where: dict[Node, set[URIRef]] = defaultdict(set)
    for name, graph in graphs:
        for triple in graph:
            for node in triple:
                if isinstance(node, BNode):
                    where[node].add(name)
    shared = {node for node, names_ in where.items() if len(names_) > 1}
    for name, graph in graphs:
        body = _TurtleBody(graph, names, shared).write("    ")
        parts.append(f"{names.iri(str(name))} {{\n{body}}}\n")
    return "\n".join(parts).encode("utf-8")


def _sorted_lines(data: bytes) -> bytes:
    """The statements of N-Triples or N-Quads `data`, sorted, each once. Split on "\n" only:
    `str.splitlines` also splits at U+2028, U+0085, form feed and the like, which the
    serialiser writes unescaped inside a literal, so the statement came out cut in two."""
    lines = sorted({line for line in data.decode("utf-8").split("\n") if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8")


def _jsonld_term(node: Node, names: Names) -> object:
    if isinstance(node, Literal):
        value: dict[str, str] = {"@value": str(node)}
        if node.language:
            value["@language"] = node.language
        elif node.datatype is not None and node.datatype != XSD.string:
            value["@type"] = _jsonld_id(node.datatype, names)
        return value
    return {"@id": _jsonld_id(node, names)}


def _jsonld_id(node: Node, names: Names) -> str:
    if isinstance(node, BNode):
        return f"_:{node}"
    written = names.iri(str(node))
    return str(node) if written.startswith("<") else written


def _jsonld_context(graph: Graph, prefixes: dict[str, str]) -> dict[str, str]:
    """`prefixes` less those named like the scheme of an IRI of `graph`: JSON-LD reads any
    `skos:foo` as a compact IRI when `skos` is in the context, so the IRI <skos:foo>, written
    as it is, came back as <http://www.w3.org/2004/02/skos/core#foo>."""
    iris = {str(n) for triple in graph for n in triple if isinstance(n, URIRef)}
    iris |= {str(n.datatype) for n in graph.objects() if isinstance(n, Literal) and n.datatype}
    schemes = {iri.split(":", 1)[0] for iri in iris}
    return {name: namespace for name, namespace in prefixes.items() if name not in schemes}


def jsonld(graph: Graph, prefixes: dict[str, str]) -> bytes:
    """`graph` as flattened JSON-LD with a prefix context, nodes and values sorted."""
    prefixes = _jsonld_context(graph, prefixes)
    names = Names(prefixes)
    nodes = []
    for subject in sorted(set(graph.subjects()), key=_object_key):
        node: dict[str, object] = {"@id": _jsonld_id(subject, names)}
        # `@type` holds IRIs and blank nodes only: a literal there was read as an IRI
        types = sorted(graph.objects(subject, RDF.type), key=_object_key)
        if any(not isinstance(t, Literal) for t in types):
            node["@type"] = [_jsonld_id(t, names) for t in types if not isinstance(t, Literal)]
        for predicate in sorted(set(graph.predicates(subject, None)), key=_predicate_key):
            objects = sorted(graph.objects(subject, predicate), key=_object_key)
            if predicate == RDF.type:
                objects = [o for o in objects if isinstance(o, Literal)]
                if not objects:
                    continue
            node[_jsonld_id(predicate, names)] = [_jsonld_term(o, names) for o in objects]
        nodes.append(node)
    document = {"@context": prefixes, "@graph": nodes}
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


#: An XML name at the end of an IRI: what RDF/XML needs to write a predicate as an element
#: (the serialiser wrote `<oxprefix:>`, no XML, for one ending in "/", "#" or a digit).
_ENDS_IN_XML_NAME = re.compile(r"[^\W\d][\w.\-\u00b7]*\Z")


class NotInXml(ValueError):
    """A graph holds a literal that RDF/XML cannot carry (XML 1.0 holds no such character)."""


def rdfxml(graph: Graph, prefixes: dict[str, str]) -> bytes:
    """`graph` as RDF/XML, subjects and their statements in sorted order; NotInXml when a
    literal holds a character XML 1.0 cannot hold (the serialiser wrote it as it is, a
    document no XML parser reads) or a predicate's IRI ends in no XML name."""
    for subject, _, value in graph:
        found = NOT_IN_XML.search(value) if isinstance(value, Literal) else None
        if found:
            raise NotInXml(
                f"RDF/XML cannot carry a literal of {subject.n3()}: it holds "
                f"U+{ord(found.group()):04X}, which XML 1.0 cannot hold; "
                "Turtle, N-Triples and JSON-LD can"
            )
    for predicate in sorted({str(p) for p in graph.predicates()}):
        if not _ENDS_IN_XML_NAME.search(predicate):
            raise NotInXml(
                f"RDF/XML cannot carry the predicate <{predicate}>: its IRI does not end in "
                "an XML name (a letter or _, then letters, digits, _, - or .), so it cannot be "
                "written as an element name; Turtle, N-Triples and JSON-LD can"
            )
    triples = sorted(graph, key=lambda t: tuple(_object_key(n) for n in t))
    ox_triples = [
        ox.Triple(ox_term(s), ox.NamedNode(str(p)), ox_term(o))  # type: ignore[arg-type]
        for s, p, o in triples
    ]
    data = ox.serialize(ox_triples, format=ox.RdfFormat.RDF_XML, prefixes=prefixes)
    assert data is not None
    return data


def export_rdf(dataset: Dataset, fmt: str, graphs: str = "all") -> bytes:
    """The chosen named graphs of the release `dataset` in `fmt` (a RDF_FORMATS key).

    `graphs` is "all", "asserted" (ontology and data), "inferred", "ontology" or "data".
    Triple formats (ttl, nt, jsonld, rdf) merge the chosen graphs; nq and trig keep them apart.
    """
    if fmt not in RDF_FORMATS:
        raise ValueError(f"unknown RDF format {fmt!r}; one of {sorted(RDF_FORMATS)}")
    chosen = [
        (name, xsd_lexical(g)) for name, g in canonical_graphs(select_graphs(dataset, graphs))
    ]
    if fmt == "trig":
        return trig(chosen)
    if fmt == "nq":
        quads = Dataset()
        for name, graph in chosen:
            target = quads.graph(name)
            for triple in graph:
                target.add(triple)
        return _sorted_lines(quads.serialize(format="nquads", encoding="utf-8"))
    return _triples(_merged(chosen), fmt)


def _triples(graph: Graph, fmt: str, first: Node | None = None) -> bytes:
    """`graph` (blank nodes already canonical) in the triple format `fmt`: ttl, nt, jsonld or
    rdf; `first`'s statements first in Turtle."""
    if fmt == "nt":
        return _sorted_lines(graph.serialize(format="nt", encoding="utf-8"))
    prefixes = prefixes_for([graph])
    if fmt == "jsonld":
        return jsonld(graph, prefixes)
    if fmt == "rdf":
        return rdfxml(graph, prefixes)
    return turtle(graph, prefixes, first=first)


def _looks(graph: Graph, node: Node) -> tuple[tuple[str, ...], ...]:
    """What a blank node looks like one step away: its statements and those pointing to it,
    other blank nodes written as `[]`."""

    def term(n: Node) -> str:
        return "[]" if isinstance(n, BNode) else n.n3()

    out = sorted(f"{term(p)} {term(o)}" for p, o in graph.predicate_objects(node))
    into = sorted(f"{term(s)} {term(p)}" for s, p in graph.subject_predicates(node))
    return tuple(out), tuple(into)


def stable(graph: Graph, prefix: str = "b") -> Graph:
    """A copy of `graph` whose blank nodes are labelled `{prefix}1, {prefix}2, ...` in the order
    of what each looks like one step away (`_looks`), so the same statements read by another
    process (other labels) get the same ones. Cheap on any graph, unlike `canonical`, whose
    cost explodes on symmetric blank-node graphs: blank nodes that look alike from one step
    keep the order of their old labels. A graph without blank nodes is itself."""
    blanks = {n for triple in graph for n in triple if isinstance(n, BNode)}
    if not blanks:
        return graph
    order = sorted(blanks, key=lambda b: (_looks(graph, b), str(b)))
    rename: dict[Node, Node] = {old: BNode(f"{prefix}{i}") for i, old in enumerate(order, 1)}
    result = Graph(identifier=graph.identifier)
    for s, p, o in graph:
        result.add((rename.get(s, s), p, rename.get(o, o)))
    return result


def graph_document(graph: Graph, fmt: str, *, first: Node | None = None) -> bytes:
    """One graph in the triple format `fmt` (ttl, nt, jsonld or rdf) written as the dumps are:
    the same statements give the same bytes in every process (blank nodes labelled by `stable`,
    statements sorted), as a strong ETag promises; `first`'s statements first in Turtle."""
    if fmt not in RDF_FORMATS or fmt in ("nq", "trig"):
        raise ValueError(f"unknown triple format {fmt!r}; one of jsonld, nt, rdf, ttl")
    return _triples(xsd_lexical(stable(graph)), fmt, first)
