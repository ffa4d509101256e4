"""Every SPARQL text the code runs, read from ``queries/``: the named queries of ``queries/*.rq``.

A query file starts with comment lines ``#+ key: value`` (``summary``, ``description``, ``tags``,
``defaults``, ``classes``, ``takes``) that keep it valid SPARQL. Its parameters are the
variables named ``?_name_type`` (required) or ``?__name_type`` (optional), with ``type`` one of
``iri``, ``string``, ``integer``, ``decimal``; values are bound as RDF terms by the engine,
never spliced into the text. ``#+ classes: challenge=eocic:ChallengeTheme`` says of which class
an IRI parameter takes its resources: an argument of another kind is refused, not answered with
rows that mean nothing (`Mention`). ``#+ takes: part=report-part`` says the same of a sort of
resource no one class gathers, judged by the ASK query ``queries/internal/takes-report-part.rq``.

>>> query = load_catalogue()["regions-by-challenge"]
>>> [(p.name, p.kind, p.required) for p in query.parameters]
[('challenge', 'iri', True)]
>>> query.bindings({"challenge": "https://w3id.org/eocic/id/challenge/funding"})
{'_challenge_iri': rdflib.term.URIRef('https://w3id.org/eocic/id/challenge/funding')}

The queries the code itself runs (chart data, page neighbourhoods, probes, VoID counts) are in
``queries/internal/*.rq``, read by `internal`; they are not named queries of the API. A
placeholder ``VALUES ?name {}`` in their text takes a list of IRIs (`NamedQuery.filled`):

>>> internal("property-values").filled(x=["https://w3id.org/eocic/id/region/saxony"]).text
... # doctest: +ELLIPSIS
'...VALUES ?x { <https://w3id.org/eocic/id/region/saxony> }...'
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from rdflib import XSD, Literal, URIRef
from rdflib.term import Node

from eocic_kg.prefixes import KINDS, expand_iri, kind_of, prefixed_name
from eocic_kg.resources import QUERIES_DIR
from eocic_kg.sparql_lexer import Analysis

_HEADER = re.compile(r"^#\+\s*(\w+)\s*:\s*(.*)$")
_PARAMETER = re.compile(r"\?(__?)([A-Za-z][A-Za-z0-9]*)_(iri|string|integer|decimal)\b")
#: The lexical space of xsd:decimal (ASCII digits, a sign, at most one point); at most 40 digits.
_DECIMAL = re.compile(r"[+-]?(?=\.?[0-9])[0-9]{0,40}(\.[0-9]{0,40})?")
_IRI = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*")  # matched whole
NAME = re.compile(r"[\w-]+")
#: The queries the code runs itself, apart from the named queries of the API.
INTERNAL_DIR = QUERIES_DIR / "internal"
#: The queries offered on the query page when the catalogue is empty.
EXAMPLES_DIR = QUERIES_DIR / "examples"


class ParameterError(ValueError):
    """A parameter value is missing, unknown or not of the declared type."""


class Mention(NamedTuple):
    """An IRI argument of a named query, as the store checks it before running the query
    (`eocic_kg.store_api.require_mentioned`): the dataset must mention it and, when the
    parameter declares what it takes, the internal ASK query `test` must hold of it."""

    parameter: str
    iri: str
    #: The internal ASK query (of ``?__node_iri``) that says whether the argument is of the sort
    #: the parameter takes: ``instance-of`` for a class of ``#+ classes:``, ``takes-NAME`` for
    #: ``#+ takes: parameter=NAME``; "" if the parameter declares neither.
    test: str = ""
    #: The class the parameter takes its resources from (``#+ classes:``), or "".
    kind_class: str = ""
    #: The `/id/{kind}` listing of the resources the parameter takes, or "".
    kind: str = ""

    @property
    def takes(self) -> str:
        """What the parameter takes, as one key: the IRI of its class, else the name of its
        `test` (``takes-report-part``); "" if it declares neither."""
        return self.kind_class or self.test

    def test_arguments(self) -> dict[str, str]:
        """The values `test` is asked with besides the node: the class, if one is declared."""
        return {"class": self.kind_class} if self.kind_class else {}

    def sort(self) -> str:
        """What the parameter takes, in words, with where its valid values are listed."""
        if not self.kind_class:
            return internal(self.test).description
        name = prefixed_name(self.kind_class) or f"<{self.kind_class}>"
        where = f" (the {self.kind} resources are listed at /id/{self.kind})" if self.kind else ""
        return f"a resource of the class {name}{where}"


@dataclass(frozen=True)
class Parameter:
    """A query parameter declared by a variable name."""

    name: str
    kind: str
    required: bool
    variable: str

    def term(self, raw: str) -> Node:
        """The RDF term for the raw string `raw`, checked against the declared type."""
        if self.kind == "iri":
            try:
                return URIRef(expand_iri(raw, self.name))
            except ValueError as e:
                raise ParameterError(str(e)) from None
        if self.kind == "integer":
            if not re.fullmatch(r"[+-]?\d{1,18}", raw):
                raise ParameterError(f"parameter {self.name!r}: not an integer: {raw!r}")
            return Literal(int(raw), datatype=XSD.integer)
        if self.kind == "decimal":
            # the lexical form of xsd:decimal only: Python's Decimal also reads "NaN",
            # "Infinity" (no xsd:decimal: the query answered no rows) and exponents ("1e900000000"
            # is written out as 900 MB of digits in the worker)
            if not _DECIMAL.fullmatch(raw.strip()):
                raise ParameterError(
                    f"parameter {self.name!r}: not a decimal: {raw!r} (write digits with an "
                    "optional sign and decimal point, such as 50 or 12.5, at most 40 each side "
                    "of the point: no exponent, NaN or infinity)"
                )
            return Literal(Decimal(raw.strip()), datatype=XSD.decimal)
        # the data's text is NFC: "po\u0302les" (o and a combining circumflex, as macOS and
        # text copied from a PDF may send) is the "p\u00f4les" of a label, and found as it
        return Literal(unicodedata.normalize("NFC", raw))


@dataclass(frozen=True)
class NamedQuery:
    """One query file: its text, header fields and parameters."""

    name: str
    text: str
    summary: str
    description: str = ""
    tags: tuple[str, ...] = ()
    defaults: Mapping[str, str] = field(default_factory=dict)
    parameters: tuple[Parameter, ...] = ()
    #: Parameter name -> the IRI of the class its resources belong to (``#+ classes:``).
    classes: Mapping[str, str] = field(default_factory=dict)
    #: Parameter name -> the sort of resource it takes (``#+ takes:``), judged by the internal
    #: query ``takes-SORT``.
    takes: Mapping[str, str] = field(default_factory=dict)

    def bindings(self, values: Mapping[str, str]) -> dict[str, Node]:
        """Variable name -> term for the given parameter values (defaults filled in)."""
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(values) - set(known))
        if unknown:
            accepted = ", ".join(f"{p.name} ({p.kind})" for p in self.parameters)
            raise ParameterError(
                f"unknown parameter(s) {', '.join(unknown)} for the query {self.name}; "
                + (f"its parameters are {accepted}" if accepted else "it takes no parameters")
            )
        bound: dict[str, Node] = {}
        for parameter in self.parameters:
            raw = values.get(parameter.name, self.defaults.get(parameter.name))
            if raw is None or not raw.strip():
                # blank is missing: text=%20 matched every label holding a space
                if parameter.required:
                    blank = " (it is given blank)" if raw else ""
                    raise ParameterError(f"missing required parameter {parameter.name!r}{blank}")
                continue
            bound[parameter.variable] = parameter.term(raw)
        return bound

    def mentioned(self, bound: Mapping[str, Node]) -> tuple[Mention, ...]:
        """A `Mention` of each IRI argument of `bound` (as `bindings` made it), for
        `QueryRequest.mentioned`."""
        return tuple(
            self.mention(p.name, str(bound[p.variable]))
            for p in self.parameters
            if p.kind == "iri" and p.variable in bound
        )

    def mention(self, name: str, iri: str = "") -> Mention:
        """The `Mention` of `iri` as an argument of the IRI parameter `name` ("": of none, for
        what the parameter takes)."""
        return Mention(
            name, iri, self.test_of(name), self.classes.get(name, ""), self.kind_listed(name)
        )

    def test_of(self, name: str) -> str:
        """The internal ASK query that judges an argument of the parameter `name` (`Mention`)."""
        if name in self.classes:
            return "instance-of"
        return f"takes-{self.takes[name]}" if name in self.takes else ""

    def kind_listed(self, name: str) -> str:
        """The kind of resource (``/id/{kind}``) the parameter `name` takes: that of its
        default, else the parameter's name if it is a kind; "" if neither."""
        kind = kind_of(self.defaults.get(name, "")) or name
        return kind if kind in KINDS else ""

    def selecting(self, name: str) -> NamedQuery:
        """This ASK query as the SELECT of the distinct values (as ``?name``) of its optional
        parameter `name`, left unbound, for which it holds: the nodes a test of `Mention` holds
        of, by its own text. Its other parameters are projected too (Oxigraph binds only
        projected variables)."""
        variable = next(p.variable for p in self.parameters if p.name == name and not p.required)
        others = "".join(f" ?{p.variable}" for p in self.parameters if p.name != name)
        analysis = Analysis(self.text)
        if analysis.form != "ASK":
            raise ValueError(f"{self.name}: not an ASK query")
        ask = analysis.tokens[analysis.body]
        select = f"SELECT DISTINCT (?{variable} AS ?{name}){others} WHERE"
        return replace(self, text=f"{self.text[: ask.start]}{select}{self.text[ask.end :]}")

    def filled(self, **values: Iterable[str]) -> NamedQuery:
        """This query with each placeholder ``VALUES ?name {}`` listing the IRIs `values[name]`
        (each checked as an absolute IRI, so nothing but IRIs enters the text)."""
        text = self.text
        for name, iris in values.items():
            bad = [iri for iri in iris if not _IRI.fullmatch(iri)]
            if bad:
                raise ParameterError(f"{self.name}: not an absolute IRI: {bad[0]!r}")
            listed = " ".join(URIRef(iri).n3() for iri in iris)
            placeholder = re.compile(rf"VALUES\s+\?{re.escape(name)}\s*\{{\s*\}}")
            found = list(placeholder.finditer(text))
            if len(found) != 1:
                raise ParameterError(f"{self.name}: no one placeholder VALUES ?{name} {{}}")
            start, end = found[0].span()
            text = f"{text[:start]}VALUES ?{name} {{ {listed} }}{text[end:]}"
        return replace(self, text=text)


def parse_query_file(path: Path) -> NamedQuery:
    """Read one ``.rq`` file with its ``#+`` header."""
    return parse_query_text(path.read_text(encoding="utf-8"), path.stem)


def parse_query_text(text: str, query_name: str) -> NamedQuery:
    """The named query `query_name` of the text `text` (a ``#+`` header and ``?_name_type``
    parameters, as in a ``.rq`` file)."""
    header: dict[str, str] = {}
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if match:
            header[match.group(1)] = match.group(2).strip()
        elif line.strip() and not line.lstrip().startswith("#"):
            break
    defaults = _pairs(header.get("defaults", ""))
    seen: dict[str, Parameter] = {}
    for match in _PARAMETER.finditer(text):
        underscores, name, kind = match.groups()
        variable = f"{underscores}{name}_{kind}"
        seen.setdefault(name, Parameter(name, kind, underscores == "_", variable))
    return NamedQuery(
        name=query_name,
        text=text,
        summary=header.get("summary", query_name),
        description=header.get("description", ""),
        tags=tuple(t.strip() for t in header.get("tags", "").split(",") if t.strip()),
        defaults=defaults,
        parameters=tuple(seen.values()),
        classes={
            name: expand_iri(value, f"classes: {name}")
            for name, value in _pairs(header.get("classes", "")).items()
        },
        takes=_sorts(_pairs(header.get("takes", "")), query_name),
    )


def _sorts(takes: dict[str, str], query_name: str) -> dict[str, str]:
    """The ``#+ takes:`` pairs, each sort checked to have its internal query ``takes-SORT``."""
    for sort in takes.values():
        if not NAME.fullmatch(sort) or not (INTERNAL_DIR / f"takes-{sort}.rq").is_file():
            raise ValueError(f"{query_name}: takes: no internal query takes-{sort}.rq")
    return takes


def _pairs(value: str) -> dict[str, str]:
    """The ``name=value`` items of a header line."""
    return dict(item.split("=", 1) for item in value.split() if "=" in item)


def load_catalogue(directory: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    """All named queries of `directory` (not its subdirectories: checks, internal), by name."""
    return {path.stem: parse_query_file(path) for path in sorted(directory.glob("*.rq"))}


@functools.cache
def internal(name: str) -> NamedQuery:
    """The internal query ``queries/internal/NAME.rq`` (read once); KeyError if there is none."""
    path = INTERNAL_DIR / f"{name}.rq"
    if not NAME.fullmatch(name) or not path.is_file():
        raise KeyError(f"no internal query {name!r} in {INTERNAL_DIR}")
    return parse_query_file(path)


def examples() -> list[NamedQuery]:
    """The queries of ``queries/examples``, for a query page without named queries."""
    return list(load_catalogue(EXAMPLES_DIR).values())
