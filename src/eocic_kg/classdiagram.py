"""The ontology page's class diagram: the model view (`graphview.build_view(..., "model")`) as a
static SVG laid out by Graphviz `dot`, so no label overlaps another and every link is named.

Drawing rules, to keep 70-odd classes readable:
- a class with subclasses is a box (a Graphviz cluster) around them, titled with its name:
  nesting is `rdfs:subClassOf` (a class with several superclasses sits in the first; the others
  get a dashed hollow arrow);
- a property is a small dashed box with its name, arrows in from its domains and out to its
  ranges (Graphviz never overlaps boxes; edge labels it may); one box for the domains that share
  the same ranges.

Graphviz is not a Python package: a fresh `pip install` may lack it. The package therefore ships
the picture of its own ontology (`web/class-diagram.svg`, drawn by `python -m
eocic_kg.classdiagram`), tagged with the digest of the DOT it was drawn from; `svg()` serves it
while the ontology is unchanged, else draws one with `dot` when installed, else returns None.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import networkx as nx

from eocic_kg.graphview import colour_group, legend
from eocic_kg.namespaces import EOCIC_IRI

SHIPPED = Path(__file__).parent / "web" / "class-diagram.svg"
SUBCLASS = "rdfs:subClassOf"
_TAG = re.compile(r"<!-- eocic-kg class diagram: dot sha256 ([0-9a-f]{64}) -->")
#: Longest a `dot` run may take (the bundled ontology lays out in well under a second).
DOT_TIMEOUT = 30


_CLUSTER = 'labeljust=l; fontsize=10; fontcolor="#555555"; style=rounded; color="#999999";'
_PROPERTY = (
    'class="property", style="rounded,dashed,filled", fillcolor=white, fontsize=9, height=0.2, '
    'margin="0.04,0.02"'
)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _href(iri: str) -> str:
    """The node's link on the ontology page: its entry's anchor (eocic terms only)."""
    return "#" + iri[len(EOCIC_IRI) :] if iri.startswith(EOCIC_IRI) else ""


def _primary_supers(view: nx.MultiDiGraph) -> dict[str, str]:
    """Class -> the superclass box it is drawn in (the first by label)."""
    supers: dict[str, list[str]] = defaultdict(list)
    for source, target, key in view.edges(keys=True):
        if key == SUBCLASS and source != target:
            supers[source].append(target)
    primary: dict[str, str] = {}
    for cls, candidates in supers.items():
        for candidate in sorted(candidates, key=lambda c: str(view.nodes[c]["label"]).lower()):
            ancestor: str | None = candidate
            while ancestor is not None and ancestor != cls:  # no nesting cycle
                ancestor = primary.get(ancestor)
            if ancestor is None:
                primary[cls] = candidate
                break
    return primary


def _node(view: nx.MultiDiGraph, iri: str, colours: dict[str, str]) -> str:
    attributes = view.nodes[iri]
    href = _href(iri)
    parts = [
        f"label={_quoted(str(attributes['label']))}",
        'class="class"',
        f"tooltip={_quoted(iri)}",
        f"fillcolor={_quoted(colours[colour_group(attributes)] + '55')}",
    ]
    if href:
        parts.append(f"URL={_quoted(href)}")
    return f"{_quoted(iri)} [{', '.join(parts)}];"


def _clusters(view: nx.MultiDiGraph, primary: dict[str, str], colours: dict[str, str]) -> list[str]:
    children: dict[str | None, list[str]] = defaultdict(list)
    for cls in view.nodes:
        children[primary.get(cls)].append(cls)

    def by_label(classes: list[str]) -> list[str]:
        return sorted(classes, key=lambda c: str(view.nodes[c]["label"]).lower())

    def draw(cls: str, depth: int) -> list[str]:
        pad = "  " * depth
        if not children[cls]:
            return [pad + _node(view, cls, colours)]
        lines = [
            f"{pad}subgraph {_quoted('cluster ' + cls)} {{",
            f"{pad}  label={_quoted(str(view.nodes[cls]['label']))}; {_CLUSTER}",
            pad + "  " + _node(view, cls, colours),
        ]
        for child in by_label(children[cls]):
            lines.extend(draw(child, depth + 1))
        return [*lines, pad + "}"]

    return [line for top in by_label(children[None]) for line in draw(top, 1)]


def _ends(edge: tuple) -> tuple:
    return edge[:3]


def _first_range(group: tuple[frozenset[str], list[str]]) -> list[str]:
    return sorted(group[0])


def _links(view: nx.MultiDiGraph, primary: dict[str, str]) -> list[str]:
    """The further superclass arrows, and each property as a named box between its classes
    (one box per set of ranges that its domains share)."""
    lines = []
    ends: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for source, target, key, attributes in sorted(view.edges(keys=True, data=True), key=_ends):
        if key == SUBCLASS:
            if primary.get(source) != target:
                lines.append(
                    f"{_quoted(source)} -> {_quoted(target)} "
                    '[style=dashed, arrowhead=onormal, tooltip="subClassOf"];'
                )
            continue
        ends[(key, str(attributes["label"]))][source].add(target)
    for (key, name), by_domain in sorted(ends.items()):
        groups: dict[frozenset[str], list[str]] = defaultdict(list)
        for domain, targets in by_domain.items():
            groups[frozenset(targets)].append(domain)
        for number, (joined, domains) in enumerate(sorted(groups.items(), key=_first_range)):
            link = _quoted(f"{key} {number}")
            lines.append(f"{link} [label={_quoted(name)}, tooltip={_quoted(key)}, {_PROPERTY}];")
            lines.extend(f"{_quoted(d)} -> {link} [arrowhead=none];" for d in sorted(domains))
            lines.extend(f"{link} -> {_quoted(r)};" for r in sorted(joined))
    return lines


def diagram_dot(view: nx.MultiDiGraph) -> str:
    """The model view as Graphviz DOT for the ontology page."""
    colours = {str(row["name"]): str(row["colour"]) for row in legend(view)}
    primary = _primary_supers(view)
    return "\n".join(
        [
            "digraph classes {",
            '  graph [rankdir=LR, compound=true, fontname="Helvetica", ranksep=0.6, '
            "nodesep=0.15, newrank=true];",
            '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, '
            "height=0.3];",
            '  edge [fontname="Helvetica", fontsize=9, color="#666666", fontcolor="#333333"];',
            *_clusters(view, primary, colours),
            *("  " + line for line in _links(view, primary)),
            "}",
            "",
        ]
    )


def centre(view: nx.MultiDiGraph) -> str:
    """The link of the class with most links (the diagram opens centred on it), or ""."""
    classes = [c for c in view.nodes if _href(c)]
    return _href(max(classes, key=lambda c: (view.degree(c), c))) if classes else ""


def digest(dot: str) -> str:
    """The tag that ties an SVG to the DOT it was drawn from."""
    return hashlib.sha256(dot.encode("utf-8")).hexdigest()


def draw(dot: str) -> str | None:
    """The SVG `dot` draws from `dot`, tagged with its digest; None without Graphviz."""
    program = shutil.which("dot")
    if program is None:
        return None
    svg = subprocess.run(
        [program, "-Tsvg"],
        input=dot.encode("utf-8"),
        capture_output=True,
        check=True,
        timeout=DOT_TIMEOUT,
    ).stdout.decode("utf-8")
    start = svg.index("<svg")
    return f"<!-- eocic-kg class diagram: dot sha256 {digest(dot)} -->\n{svg[start:]}"


def shipped_digest(path: Path = SHIPPED) -> str | None:
    """The DOT digest the shipped SVG was drawn from (None if there is none)."""
    try:
        found = _TAG.match(path.read_text(encoding="utf-8"))
    except OSError:
        return None
    return found.group(1) if found else None


def svg(view: nx.MultiDiGraph) -> str | None:
    """The diagram of `view` as SVG markup to put inside a page (no XML prologue, no
    comments): the shipped picture if drawn from the same DOT, else one drawn now; None
    without Graphviz or when it fails."""
    dot = diagram_dot(view)
    try:
        text = SHIPPED.read_text(encoding="utf-8") if shipped_digest() == digest(dot) else draw(dot)
    except (OSError, subprocess.SubprocessError):  # Graphviz failed: the page keeps its table
        return None
    if text is None:
        return None
    return re.sub(r"<!--.*?-->\s*", "", text, flags=re.DOTALL)


def main() -> None:
    """Redraw the shipped SVG from the bundled release, built first if missing (`python -m
    eocic_kg.classdiagram`)."""
    from rdflib import Dataset, Graph

    from eocic_kg.build import ensure_release
    from eocic_kg.graphview import build_view
    from eocic_kg.namespaces import RELEASE_GRAPHS
    from eocic_kg.resources import package_release_file

    dataset = Dataset()
    dataset.parse(ensure_release(package_release_file()), format="nquads")
    union = Graph()
    for name in RELEASE_GRAPHS:
        for triple in dataset.graph(name):
            union.add(triple)
    drawn = draw(diagram_dot(build_view(union, "model")))
    if drawn is None:
        raise SystemExit("Graphviz `dot` is not installed")
    SHIPPED.write_text(drawn, encoding="utf-8")
    print(f"wrote {SHIPPED}")


if __name__ == "__main__":
    main()
