"""Every surface that answers a query, as one adapter each, for the differential harness
(`tests/test_one_truth.py`).

An adapter's `rows(query, args)` takes a named query's name (with the arguments a person gives,
as the API takes them: `{"region": "region:saxony"}`) or SPARQL text, asks its surface the way a
user would, and returns the answer normalised as an `Answer`:

- rows are compared as a multiset, sorted by their normalised form: ORDER BY ties (and groups,
  which have no order) may come in any order. The order is compared where the query has one:
  the sequence of ORDER BY key values (one tuple per row, in the order given) must be the same,
  which ties cannot change. Only keys that are result columns (or `STR(?column)`, read as the
  column's string) can be read back from an answer: a query ordered by another expression or a
  column it does not return has its order unchecked (`order_columns` says None). The named
  queries order labels by `STR(?label)`: SPARQL leaves the relative order of language-tagged
  literals to the engine, and Virtuoso's differs (it seems to compare only a prefix of a long
  tagged string), while plain strings sort by codepoint on every engine;
- a column computed by GROUP_CONCAT (found in the query's algebra, per column, with its
  separator) has its parts split and sorted: the order of the parts is up to the engine; the
  parts themselves, their count and the literal's language or datatype are still compared;
- numeric literals compare by value (`"5"^^xsd:integer`, `"5.0"^^xsd:decimal` and the number 5
  are one number): engines write numbers in different forms (Virtuoso writes a whole decimal
  as an integer); a number is never equal to a string, nor an IRI to a literal;
- `xsd:string` literals are plain literals (RDF 1.1); language tags compare case-insensitively;
- blank node labels are left out (every blank node is `_:`): labels are local to one answer.

Nothing else is dropped. The notebook's `select()` gives plain Python values (its documented
contract: IRIs and strings as str, numbers as numbers), so it is compared with the baseline's
answer seen the same way (`Answer.plain`); a blank node is expected there as `_:label`.

Named queries have no arguments on the SPARQL protocol or on `eocic-kg query`: there the text
sent is the named query with its arguments written into it as a VALUES block at the start of its
WHERE group (a prefixed-name argument stays a prefixed name: the endpoint expands it).
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from rdflib import XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Variable
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from eocic_kg.catalogue import NamedQuery, load_catalogue
from eocic_kg.cli import main
from eocic_kg.prefixes import PREFIXES
from eocic_kg.queries import select
from eocic_kg.sparql_lexer import tokens
from eocic_kg.store import Store
from eocic_kg.store_api import QueryRequest

from .browser import Browser
from .query_page import QueryPage, QueryPageError

#: One normalised RDF term: (kind, value[, language or datatype]).
Term = tuple[str, ...]
#: One normalised row: (column, term) pairs by column; an unbound column is absent.
Row = tuple[tuple[str, Term], ...]
_NUMERIC = {
    str(XSD[t])
    for t in [
        *("integer", "decimal", "double", "float", "int", "long", "short", "byte"),
        *("nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger"),
        *("unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"),
    ]
}
_JSON = "application/sparql-results+json"


class SurfaceError(RuntimeError):
    """A surface did not answer with rows (an error status, an error message on the page)."""


def named(query: str) -> NamedQuery | None:
    """The named query called `query`, or None when `query` is SPARQL text."""
    return load_catalogue().get(query)


def text_of(query: str) -> str:
    """The SPARQL text of a named query or of the text itself."""
    found = named(query)
    return found.text if found else query


def expanded(query: str, args: Mapping[str, str]) -> dict[str, str]:
    """`args` with each prefixed-name argument of an IRI parameter written as its full IRI
    (by the table of predeclared prefixes): what the baseline is given."""
    found = named(query)
    kinds = {p.name: p.kind for p in found.parameters} if found else {}
    out = {}
    for name, value in args.items():
        prefix, _, local = value.partition(":")
        if kinds.get(name) == "iri" and prefix in PREFIXES and not local.startswith("//"):
            value = PREFIXES[prefix] + local
        out[name] = value
    return out


# --- normalisation -------------------------------------------------------------------------


def _nodes(node: Any) -> Iterator[Any]:
    """`node` and everything below it in an rdflib algebra tree."""
    yield node
    if isinstance(node, CompValue):
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _nodes(value)


def _group_concats(extend: CompValue) -> dict[Variable, str]:
    """The GROUP_CONCATs an Extend can read -> their separator: those of the AggregateJoin
    right below it (each subquery names its aggregates `__agg_1__`, ... anew)."""
    node = extend
    while node.name in ("Extend", "Filter"):  # the SELECT expressions, HAVING
        node = node["p"]
    if node.name != "AggregateJoin":
        return {}
    return {
        a["res"]: str(a.get("separator") or " ")
        for a in node["A"]
        if a.name == "Aggregate_GroupConcat"
    }


def concat_columns(text: str) -> dict[str, str]:
    """The result columns computed by GROUP_CONCAT -> their separator (from the algebra)."""
    algebra = prepareQuery(text, initNs=PREFIXES).algebra
    columns: dict[str, str] = {}
    for n in _nodes(algebra):
        if isinstance(n, CompValue) and n.name == "Extend":
            aggregates = _group_concats(n)
            used = [
                aggregates[v]
                for v in _nodes(n["expr"])
                if isinstance(v, Variable) and v in aggregates
            ]
            if used:
                columns[str(n["var"])] = used[0]
    if "GROUP_CONCAT" in text.upper() and not columns:
        raise ValueError(f"GROUP_CONCAT in the text but in no result column: {text}")
    return columns


def _order_key(key: Any, columns: list[str]) -> str | None:
    """The result column an ORDER BY key reads: `?column` or `STR(?column)`; None if another."""
    if isinstance(key, CompValue) and key.name == "Builtin_STR":
        key = key["arg"]
    return str(key) if isinstance(key, Variable) and str(key) in columns else None


def order_columns(text: str) -> tuple[str, ...] | None:
    """The result columns of the query's own ORDER BY, in order; () if it has none, None if
    one of its keys is not a result column (another expression, a column left out)."""
    node = prepareQuery(text, initNs=PREFIXES).algebra
    columns: list[str] = []
    while node.name in ("SelectQuery", "Slice", "Distinct", "Reduced", "Project"):
        if node.name == "Project":
            columns = [str(v) for v in node["PV"]]
        node = node["p"]
    if node.name != "OrderBy":
        return ()
    keys = [_order_key(getattr(c, "expr", c), columns) for c in node["expr"]]
    return None if None in keys else tuple(k for k in keys if k is not None)


def _number(value: str) -> str | None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return format(number.normalize(), "f") if number.is_finite() else str(number)


def term(json_term: Mapping[str, str], separator: str | None = None) -> Term:
    """A SPARQL JSON results term normalised (see the module's docstring)."""
    kind, value = json_term["type"], json_term["value"]
    if kind == "uri":
        return ("iri", value)
    if kind == "bnode":
        return ("bnode", "_:")
    if separator is not None:
        value = separator.join(sorted(value.split(separator)))
    if "xml:lang" in json_term:
        return ("literal", value, "@" + json_term["xml:lang"].lower())
    datatype = json_term.get("datatype", str(XSD.string))
    if datatype in _NUMERIC and (number := _number(value)) is not None:
        return ("number", number)
    return ("literal", value, "" if datatype == str(XSD.string) else datatype)


def _plain(t: Term) -> Term:
    """A term as the notebook's `select()` gives it: a number or a string."""
    return t if t[0] == "number" else ("plain", t[1])


@dataclass(frozen=True)
class Answer:
    """A normalised answer: sorted rows, or the boolean of an ASK."""

    rows: tuple[Row, ...] = ()
    columns: tuple[str, ...] | None = None  # SELECT's columns, where the surface tells them
    boolean: bool | None = None
    order: tuple[tuple[Term, ...], ...] = ()  # the ORDER BY key values, row by row

    @classmethod
    def of(cls, rows: list[Row], text: str, columns: tuple[str, ...] | None = None) -> Answer:
        """An answer of `rows` (in the order given) to the query `text`."""
        keys = order_columns(text) or ()
        order = tuple(tuple(dict(row).get(k, ("unbound",)) for k in keys) for row in rows)
        return cls(rows=tuple(sorted(rows)), columns=columns, order=order if keys else ())

    @classmethod
    def from_json(cls, document: Mapping[str, Any], text: str) -> Answer:
        """From a SPARQL 1.1 JSON results document answering `text`."""
        if "boolean" in document:
            return cls(boolean=bool(document["boolean"]))
        concat = concat_columns(text)
        rows = [
            tuple(sorted((c, term(t, concat.get(c))) for c, t in binding.items()))
            for binding in document["results"]["bindings"]
        ]
        return cls.of(rows, text, tuple(document["head"]["vars"]))

    @classmethod
    def from_plain(cls, rows: list[dict[str, Any]], text: str) -> Answer:
        """From the plain rows of `select()` answering `text`."""
        concat = concat_columns(text)
        if rows and set(rows[0]) == {"boolean"} and isinstance(rows[0]["boolean"], bool):
            return cls(boolean=rows[0]["boolean"])
        out = []
        for row in rows:
            cells = []
            for column, value in row.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    cells.append((column, ("number", _number(repr(value)) or repr(value))))
                else:
                    separator = concat.get(column)
                    if separator is not None:
                        value = separator.join(sorted(str(value).split(separator)))
                    shown = str(value)
                    cells.append((column, ("plain", "_:" if shown.startswith("_:") else shown)))
            out.append(tuple(sorted(cells)))
        return cls.of(out, text)

    def plain(self) -> Answer:
        """This answer as plain values (the notebook's view); no columns."""
        if self.boolean is not None:
            return self
        rows = (tuple((c, _plain(t)) for c, t in row) for row in self.rows)
        order = tuple(tuple(_plain(t) if len(t) > 1 else t for t in key) for key in self.order)
        return Answer(rows=tuple(sorted(rows)), order=order)

    def untagged(self, columns: Collection[str]) -> Answer:
        """This answer with the language tag of the literals in `columns` dropped."""

        def bare(column: str, t: Term) -> Term:
            tagged = t[0] == "literal" and t[2].startswith("@")
            return ("literal", t[1], "") if column in columns and tagged else t

        rows = (tuple((c, bare(c, t)) for c, t in row) for row in self.rows)
        return replace(self, rows=tuple(sorted(rows)))

    def __str__(self) -> str:
        if self.boolean is not None:
            return f"ASK: {self.boolean}"
        return f"{len(self.rows)} rows, columns {self.columns}"


def difference(expected: Answer, got: Answer, limit: int = 6) -> str:
    """What `got` has that `expected` has not and the other way round, readably ('' if none)."""
    lines = []
    if expected.boolean != got.boolean:
        lines.append(f"expected {expected}, got {got}")
    if got.columns is not None and expected.columns != got.columns:
        lines.append(f"columns: expected {expected.columns}, got {got.columns}")
    if expected.order != got.order and expected.rows == got.rows:
        first = next(
            i for i, (a, b) in enumerate(zip(expected.order, got.order, strict=True)) if a != b
        )
        lines.append(
            f"the same rows in another order: ORDER BY keys of row {first + 1}: "
            f"expected {expected.order[first]}, got {got.order[first]}"
        )
    want, have = Counter(expected.rows), Counter(got.rows)
    for label, rows in (("missing", want - have), ("extra", have - want)):
        if rows:
            lines.append(f"{sum(rows.values())} rows {label} (of {len(expected.rows)} expected):")
            lines += [f"  {dict(row)}" for row in list(rows.elements())[:limit]]
    return "\n".join(lines)


# --- binding arguments into text -------------------------------------------------------------


def bound_text(query: str, args: Mapping[str, str]) -> str:
    """The text a protocol client sends for `query` with `args`: a named query's arguments
    (defaults filled in) as VALUES at the start of its WHERE group; SPARQL text as it is."""
    found = named(query)
    if found is None:
        return query
    values = {**found.defaults, **args}
    blocks = []
    for parameter in found.parameters:
        raw = values.get(parameter.name)
        if raw is None:
            continue
        prefix = raw.partition(":")[0]
        written = raw if parameter.kind == "iri" and prefix in PREFIXES else None
        blocks.append(f"VALUES ?{parameter.variable} {{ {written or parameter.term(raw).n3()} }}")
    if not blocks:
        return found.text
    where = next(t for t in tokens(found.text) if t.text == "{" and t.depth == 0)
    cut = where.start + 1
    return f"{found.text[:cut]} {' '.join(blocks)}\n{found.text[cut:]}"


# --- the surfaces ----------------------------------------------------------------------------


class StoreSurface:
    """The store in process (`Store.query`, arguments bound as substitutions): the baseline."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def rows(self, query: str, args: Mapping[str, str]) -> Answer:
        found = named(query)
        bindings = found.bindings(args) if found else {}
        result = self.store.query(QueryRequest(text_of(query), substitutions=bindings))
        return Answer.from_json(json.loads(result.body), text_of(query))


class SparqlSurface:
    """A SPARQL endpoint queried with SPARQLWrapper (POST, JSON results)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def rows(self, query: str, args: Mapping[str, str]) -> Answer:
        wrapper = SPARQLWrapper(self.endpoint)
        wrapper.setMethod(POST)
        wrapper.setReturnFormat(JSON)
        wrapper.setTimeout(60)
        wrapper.setQuery(bound_text(query, args))
        try:
            document = wrapper.queryAndConvert()
        except Exception as e:  # SPARQLWrapper raises one class per status
            raise SurfaceError(f"{self.endpoint}: {e}") from e
        return Answer.from_json(document, text_of(query))


class ApiSurface:
    """`/api/queries/<name>?arg=...` of a server (named queries only)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def rows(self, query: str, args: Mapping[str, str]) -> Answer:
        url = f"{self.base}/api/queries/{quote(query)}"
        response = httpx.get(url, params=dict(args), headers={"Accept": _JSON}, timeout=60)
        if response.status_code != 200:
            raise SurfaceError(f"GET {response.url}: {response.status_code} {response.text}")
        return Answer.from_json(response.json(), text_of(query))


class FrontSurface:
    """A server as a whole: named queries through its API, SPARQL text through `/sparql`."""

    def __init__(self, base: str) -> None:
        self.api, self.sparql = ApiSurface(base), SparqlSurface(f"{base}/sparql")

    def rows(self, query: str, args: Mapping[str, str]) -> Answer:
        return (self.api if named(query) else self.sparql).rows(query, args)


class CliSurface:
    """`eocic-kg --release FILE query -o json TEXT`: the command's own entry point, run in this
    process (a fresh interpreter per case would cost two seconds each and test nothing more)."""

    def __init__(self, release: Path) -> None:
        self.release = release

    def rows(self, query: str, args: Mapping[str, str]) -> Answer:
        out, err = io.StringIO(), io.StringIO()
        argv = ["--release", str(self.release), "query", "-o", "json", bound_text(query, args)]
        sigpipe = signal.getsignal(signal.SIGPIPE)  # the command resets it for `| head`
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as e:
                status = e.code
            finally:
                signal.signal(signal.SIGPIPE, sigpipe)
        if status not in (0, None):
            raise SurfaceError(f"eocic-kg query exited {status}: {err.getvalue()}")
        return Answer.from_json(json.loads(out.getvalue()), text_of(query))


class NotebookSurface:
    """The notebook helper `select()` (plain values), on the release of $EOCIC_DIST."""

    def rows(self, query: str, args: Mapping[str, str]) -> Answer:
        return Answer.from_plain(select(query, **args), text_of(query))


def rows_from_query_page(
    browser: Browser, base_url: str, query: str, args: Mapping[str, str]
) -> Answer:
    """The query page as a person uses it (`tests/query_page.py`): a named query chosen among
    the examples, its parameters typed into its form and Run pressed; SPARQL text opened as a
    `/?query=` link, which runs it. The answer is read from what the page shows."""
    page = QueryPage(browser, base_url)
    try:
        if named(query) is None:
            page.open(f"/?query={quote(query, safe='')}")
            page.settle()
        else:
            page.open()
            page.pick(query)
            page.fill(query, args)
            page.run()
        document = page.document()
    except QueryPageError as e:
        raise SurfaceError(f"the query page: {e}") from e
    return Answer.from_json(document, text_of(query))


class PageSurface:
    """The query page in real Chromium (`rows_from_query_page`)."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.browser, self.base = browser, base

    def rows(self, query: str, args: Mapping[str, str]) -> Answer:
        return rows_from_query_page(self.browser, self.base, query, args)
