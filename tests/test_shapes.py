"""The SHACL contract: shapes against fixtures, SHACL-SHACL, messages, and the real data.

Validation runs as the build does: `eocic_kg.validation.validate` (pySHACL without inference) on
the data merged with the ontology and its entailments. For the real data that is the built
release itself; for the fixtures it is `tests/as_built.py` (the entailments the build adds to
HermiT's, computed in-process: one HermiT run per fixture would cost about a minute), and the
slow test `test_fixtures_judged_alike_with_hermit` checks that HermiT's full entailments change
no verdict.

Invalid fixtures `tests/data/invalid/<ShapeLocalName>-NN.ttl` are validated together with all
valid fixtures (which conform on their own and together), so each holds only the triples that
break its shape; every result must then come from that one shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node

from eocic_kg.errors import BuildError
from eocic_kg.reasoning import infer
from eocic_kg.validation import validate

from .as_built import build_entailments, validate_as_built
from .release_cache import release_graph

ROOT = Path(__file__).resolve().parents[1]
SHAPES_FILES = sorted((ROOT / "ontology" / "shapes").glob("*.ttl"))
ONTOLOGY_FILE = ROOT / "ontology" / "eocic.ttl"
DATA_DIR = ROOT / "data"
VALID_DIR = Path(__file__).resolve().parent / "data" / "valid"
INVALID_DIR = Path(__file__).resolve().parent / "data" / "invalid"
SHACL_SHACL_FILE = Path(pyshacl.__file__).resolve().parent / "assets" / "shacl-shacl.ttl"

SHAPES = Namespace("https://w3id.org/eocic/shapes#")
EOCIC_IRI = "https://w3id.org/eocic/ontology#"

VALID_FILES = sorted(VALID_DIR.glob("*.ttl"))
INVALID_FILES = sorted(INVALID_DIR.glob("*.ttl"))

# Parameters of SHACL Core constraint components (sh:property is left out: it only nests).
CONSTRAINT_PARAMETERS = frozenset(
    SH[name]
    for name in [
        *("class", "datatype", "nodeKind", "minCount", "maxCount", "minExclusive"),
        *("minInclusive", "maxExclusive", "maxInclusive", "minLength", "maxLength", "pattern"),
        *("languageIn", "uniqueLang", "equals", "disjoint", "lessThan", "lessThanOrEquals"),
        *("not", "and", "or", "xone", "node", "qualifiedValueShape", "hasValue", "in", "closed"),
    ]
)
# Shapes used as operands of another constraint: only the enclosing shape's message is reported.
OPERAND_LINKS = (SH["or"], SH["and"], SH.xone)
OPERAND_OBJECTS = (SH["not"], SH.qualifiedValueShape)


def _graph(*files: Path) -> Graph:
    """Parse Turtle `files` into one graph."""
    graph = Graph()
    for file in files:
        graph.parse(file, format="turtle")
    return graph


@pytest.fixture(scope="module")
def shapes() -> Graph:
    """The shapes graph: all shapes files, one per topic, merged."""
    return _graph(*SHAPES_FILES)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    """The ontology graph (passed to pySHACL as ont_graph)."""
    return _graph(ONTOLOGY_FILE)


def _validate(
    data: Graph,
    shapes: Graph,
    ontology: Graph,
    *,
    allow_warnings: bool = False,
    entail: Callable[[Graph], Graph] = build_entailments,
) -> tuple[bool, Graph]:
    """Validate `data` as the build does; return (conforms, results graph).

    Without `allow_warnings` a warning breaks conformance too.
    """
    report = validate_as_built(data, ontology, shapes, entail)
    return (report.conforms if allow_warnings else not report.results), report.graph


def _top_results(results: Graph) -> list[Node]:
    """The results of the report itself (not the nested sh:detail ones)."""
    return list(results.objects(None, SH.result))


def _node_shape_of(shape: Node, shapes: Graph) -> Node:
    """Follow sh:property links from a (nested) property shape up to its node shape."""
    seen: set[Node] = set()
    while shape not in seen:
        seen.add(shape)
        parent = shapes.value(predicate=SH.property, object=shape)
        if parent is None:
            break
        shape = parent
    return shape


def _source_node_shapes(results: Graph, shapes: Graph) -> set[Node]:
    """The node shapes behind all top-level results."""
    return {
        _node_shape_of(results.value(result, SH.sourceShape), shapes)
        for result in _top_results(results)
    }


def _describe(results: Graph, result_nodes: Iterable[Node]) -> str:
    """One line per result: severity, focus node, message."""
    lines = []
    for result in result_nodes:
        severity = str(results.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        focus = results.value(result, SH.focusNode)
        message = results.value(result, SH.resultMessage)
        lines.append(f"{severity}: {focus}: {message}")
    return "\n".join(sorted(lines))


def _operand_shapes(shapes: Graph) -> set[Node]:
    """Shapes that are operands of sh:or / sh:and / sh:xone / sh:not / sh:qualifiedValueShape,
    with the property shapes nested in them."""
    todo: list[Node] = []
    for link in OPERAND_LINKS:
        for head in shapes.objects(None, link):
            todo.extend(Collection(shapes, head))
    for link in OPERAND_OBJECTS:
        todo.extend(shapes.objects(None, link))
    operands: set[Node] = set()
    while todo:
        shape = todo.pop()
        if shape not in operands:
            operands.add(shape)
            todo.extend(shapes.objects(shape, SH.property))
    return operands


def _constrained_shapes(shapes: Graph) -> set[Node]:
    """Every shape, other than an operand, that declares a SHACL Core constraint of its own."""
    constrained = {s for s, p in shapes.subject_predicates() if p in CONSTRAINT_PARAMETERS}
    return constrained - _operand_shapes(shapes)


def _english(values: Iterable[Node]) -> list[Literal]:
    """The English literals among `values`."""
    return [v for v in values if isinstance(v, Literal) and v.language == "en" and str(v).strip()]


# --------------------------------------------------------------------------- the shapes graph


def test_shapes_conform_to_shacl_shacl(shapes: Graph) -> None:
    """The shapes graph is valid SHACL (pySHACL's bundled SHACL-SHACL)."""
    assert SHACL_SHACL_FILE.is_file(), "pySHACL no longer bundles shacl-shacl.ttl"
    conforms, _, text = pyshacl.validate(shapes, shacl_graph=_graph(SHACL_SHACL_FILE))
    assert conforms, text


def test_meta_shacl_check_catches_a_broken_shape() -> None:
    """Sanity check: the same meta-SHACL check does reject an ill-formed shape."""
    broken = Graph()
    broken.add((SHAPES.BrokenShape, RDF.type, SH.NodeShape))
    broken.add((SHAPES.BrokenShape, SH.minCount, Literal("one")))
    conforms, _, _ = pyshacl.validate(broken, shacl_graph=_graph(SHACL_SHACL_FILE))
    assert not conforms


def test_every_constraint_has_an_english_message(shapes: Graph) -> None:
    """Each shape with its own constraints, and each SPARQL constraint, has an sh:message@en."""
    missing = [
        str(shape)
        for shape in _constrained_shapes(shapes) | set(shapes.objects(None, SH.sparql))
        if not _english(shapes.objects(shape, SH.message))
    ]
    assert not missing, f"{len(missing)} constraint(s) without an English sh:message"


def test_every_constraint_has_a_severity(shapes: Graph) -> None:
    """Each shape with its own constraints states sh:Violation or sh:Warning explicitly."""
    wrong = [
        str(shape)
        for shape in _constrained_shapes(shapes) | set(shapes.subjects(SH.sparql, None))
        if shapes.value(shape, SH.severity) not in (SH.Violation, SH.Warning)
    ]
    assert not wrong, f"constraint(s) without sh:severity Violation/Warning: {wrong}"


def test_node_shapes_are_named_after_their_target_class(shapes: Graph) -> None:
    """A shape targeting a single class is shapes:{ClassName}Shape."""
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        targets = list(shapes.objects(shape, SH.targetClass))
        if len(targets) == 1:
            local = str(targets[0]).rsplit("#", 1)[-1]
            assert shape == SHAPES[f"{local}Shape"], f"{shape} targets {targets[0]}"


def test_shapes_use_only_terms_the_ontology_defines(shapes: Graph, ontology: Graph) -> None:
    """No typo'd or invented eocic: term in the shapes."""
    defined = {s for s in ontology.subjects() if str(s).startswith(EOCIC_IRI)}
    used = {
        term
        for triple in shapes
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(EOCIC_IRI)
    }
    assert used - defined == set()


# --------------------------------------------------------------------------- the fixtures


def test_fixtures_exist() -> None:
    """There are 2-3 valid and at least 8 invalid fixtures."""
    assert 2 <= len(VALID_FILES) <= 3
    assert len(INVALID_FILES) >= 8


@pytest.mark.parametrize("fixture", VALID_FILES, ids=lambda p: p.name)
def test_valid_fixture_conforms(fixture: Path, shapes: Graph, ontology: Graph) -> None:
    """Each valid fixture conforms on its own, without even a warning."""
    conforms, results = _validate(_graph(fixture), shapes, ontology)
    assert conforms, _describe(results, _top_results(results))


def test_valid_fixtures_conform_together(shapes: Graph, ontology: Graph) -> None:
    """The valid fixtures merged (the base of the invalid fixtures) conform too."""
    conforms, results = _validate(_graph(*VALID_FILES), shapes, ontology)
    assert conforms, _describe(results, _top_results(results))


@pytest.mark.parametrize("fixture", INVALID_FILES, ids=lambda p: p.stem)
def test_invalid_fixture_breaks_exactly_its_shape(
    fixture: Path, shapes: Graph, ontology: Graph
) -> None:
    """The fixture does not conform, and every result comes from the shape it is named after."""
    expected = SHAPES[fixture.stem.rsplit("-", 1)[0]]
    assert (expected, RDF.type, SH.NodeShape) in shapes, f"no node shape {expected}"
    conforms, results = _validate(_graph(*VALID_FILES, fixture), shapes, ontology)
    assert not conforms
    described = _describe(results, _top_results(results))
    assert _source_node_shapes(results, shapes) == {expected}, described


# --------------------------------------------------------------------------- the real data


def _defining_file(node: Node, graphs: dict[str, Graph]) -> str:
    """The data file(s) in which `node` is a subject."""
    names = [name for name, graph in graphs.items() if (node, None, None) in graph]
    return ", ".join(names) or "?"


def test_real_data_has_no_violation(shapes: Graph) -> None:
    """The release (ontology, data and entailments), validated as the build validates it:
    warnings are allowed, violations are not."""
    files = sorted(DATA_DIR.glob("*.ttl"))
    if not files:
        pytest.skip("no data files yet")
    graphs = {file.name: _graph(file) for file in files}
    results = validate(release_graph(), shapes).graph
    violations = [
        result
        for result in _top_results(results)
        if results.value(result, SH.resultSeverity) == SH.Violation
    ]
    report = "\n".join(
        f"{_defining_file(results.value(r, SH.focusNode), graphs)}: {line}"
        for r in violations
        for line in [_describe(results, [r])]
    )
    assert not violations, f"{len(violations)} violation(s):\n{report}"


#: Fixtures on which owlready2 fails to read HermiT's answer: the build stops there with a
#: BuildError that says so.
OWLREADY_FAILS = {"StandardMappingShape-02"}


@pytest.mark.slow
@pytest.mark.parametrize(
    "fixture",
    VALID_FILES + INVALID_FILES,
    ids=lambda p: p.stem,
)
def test_fixtures_judged_alike_with_hermit(fixture: Path, shapes: Graph, ontology: Graph) -> None:
    """HermiT's full entailments (the build's `infer`) give each fixture the verdict and the
    source shapes that the in-process entailments give, or HermiT itself refuses an invalid
    fixture as inconsistent (the build stops before SHACL)."""
    data = _graph(fixture) if fixture in VALID_FILES else _graph(*VALID_FILES, fixture)
    if fixture.stem in OWLREADY_FAILS:
        with pytest.raises(BuildError, match="owlready2 could not read HermiT's answer"):
            infer(data + ontology)
        return
    conforms, results = _validate(data, shapes, ontology)
    try:
        with_hermit, hermit_results = _validate(
            data, shapes, ontology, entail=lambda graph: graph + infer(graph)
        )
    except BuildError as err:
        assert fixture in INVALID_FILES and "inconsistent" in str(err), err
        return
    assert with_hermit == conforms, _describe(hermit_results, _top_results(hermit_results))
    assert _source_node_shapes(hermit_results, shapes) == _source_node_shapes(results, shapes)
