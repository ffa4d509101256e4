"""OWL 2 reasoning with owlready2 and HermiT: consistency, and entailments brought back as RDF."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from pathlib import Path
from types import ModuleType

from rdflib import OWL, RDF, RDFS, BNode, Graph, URIRef

from eocic_kg.errors import BuildError
from eocic_kg.extras import need

_INFERENCES_IRI = "http://inferrences/"  # owlready2's name for the ontology holding entailments


def _owlready2() -> ModuleType:
    """owlready2, which runs HermiT (the `build` extra)."""
    return need("owlready2", "the HermiT reasoner (build, reason, validate)")


def _run_hermit(graph: Graph) -> Graph:
    """Load `graph` into a fresh owlready2 world, run HermiT, return what it stored as inferred."""
    owlready2 = _owlready2()
    world = owlready2.World()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "input.nt"
        graph.serialize(source, format="nt", encoding="utf-8")
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                world.get_ontology(source.as_uri()).load(format="ntriples")
                owlready2.sync_reasoner_hermit(
                    world,
                    infer_property_values=True,
                    ignore_unsupported_datatypes=True,
                    debug=0,
                )
        except owlready2.OwlReadyInconsistentOntologyError as err:
            raise BuildError(
                "reasoning: HermiT finds the ontology and data inconsistent "
                "(check disjoint classes and functional properties)"
            ) from err
        except owlready2.OwlReadyJavaError as err:
            raise BuildError(f"reasoning: HermiT failed: {err}") from err
        except ValueError as err:  # owlready2 cannot read some of HermiT's answers
            raise BuildError(
                "reasoning: owlready2 could not read HermiT's answer "
                f"({err}); owl:sameAs between resources is a known cause"
            ) from err
        inferred_file = Path(tmp) / "inferred.nt"
        world.get_ontology(_INFERENCES_IRI).save(str(inferred_file), format="ntriples")
        inferred = Graph().parse(inferred_file, format="nt")
        world.close()
    return inferred


def _inherited_types(graph: Graph) -> Graph:
    """Every named superclass type of every typed resource (RDFS rule rdfs9)."""
    closure = Graph()
    for resource, cls in graph.subject_objects(RDF.type):
        for superclass in graph.transitive_objects(cls, RDFS.subClassOf):
            if isinstance(superclass, URIRef) and superclass != cls:
                closure.add((resource, RDF.type, superclass))
    return closure


def _property_entailments(graph: Graph) -> Graph:
    """Values of inverse properties and of super-properties (OWL 2 RL rules prp-inv, prp-spo1).

    owlready2 does not store inverse property values (its Python API derives them on the fly),
    so they are computed here from the ontology's axioms.
    """
    entailed = Graph()
    for prop, inverse in graph.subject_objects(OWL.inverseOf):
        for subject, obj in graph.subject_objects(prop):
            entailed.add((obj, inverse, subject))
        for subject, obj in graph.subject_objects(inverse):
            entailed.add((obj, prop, subject))
    for prop in set(graph.subjects(RDFS.subPropertyOf)):
        for superprop in graph.transitive_objects(prop, RDFS.subPropertyOf):
            if superprop != prop and isinstance(superprop, URIRef):
                for subject, obj in graph.subject_objects(prop):
                    entailed.add((subject, superprop, obj))
    return entailed


def require_java() -> None:
    """Raise a one-line BuildError when owlready2 or the Java runtime HermiT needs is missing."""
    owlready2 = _owlready2()
    if shutil.which(owlready2.JAVA_EXE) is None:
        raise BuildError(
            "the HermiT reasoner (used by build, reason and validate, whose shapes check the "
            f"entailed graph) needs Java, and '{owlready2.JAVA_EXE}' is not on PATH: "
            "install a Java runtime (Debian: apt-get install default-jre-headless)"
        )


def infer(graph: Graph) -> Graph:
    """Check consistency and return the entailed triples that `graph` does not already assert.

    Kept: property values (property chains) and class assertions from HermiT, values of inverse
    and super-properties, and the inherited types of every resource; dropped: owl: types
    (owlready2's bookkeeping) and anything about blank nodes.
    """
    require_java()
    hermit = _run_hermit(graph)
    merged = graph + hermit
    merged += _property_entailments(merged)
    merged += _inherited_types(merged)
    entailed = Graph()
    for triple in merged:
        subject, predicate, obj = triple
        if isinstance(subject, BNode) or isinstance(obj, BNode) or triple in graph:
            continue
        if predicate == RDF.type and str(obj).startswith("http://www.w3.org/2002/07/owl#"):
            continue
        entailed.add(triple)
    return entailed
