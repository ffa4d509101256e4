"""Query results serialised by the engine, with the row limit applied while serialising.

`bounded_solutions` has pyoxigraph write a SELECT result straight in the requested format into a
sink that counts a byte every solution writes (`{` in SPARQL JSON): a result whose count stays
within `max_rows` holds no more solutions, and most results take that one pass. A result past
that bound is evaluated again and written as TSV (one solution per line, terms in their
N-Triples form) into a sink that stops after `max_rows` lines, then converted natively to the
requested format. No per-row Python work either way, and a huge result is never serialised
whole. Truncation is never silent (`Result.truncated`, and in JSON top-level "truncated" and
"warning" members).
"""

from __future__ import annotations

import functools
import io
import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from eocic_kg.errors import NotAcceptableError
from eocic_kg.prefixes import PREFIXES, prefixed_name

#: Result formats of SELECT/ASK: short name -> (media type, pyoxigraph format).
TABULAR_FORMATS: dict[str, tuple[str, ox.QueryResultsFormat]] = {
    "json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    "csv": ("text/csv", ox.QueryResultsFormat.CSV),
    "tsv": ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
}
#: RDF formats of CONSTRUCT/DESCRIBE and graph downloads: short name -> (media type, format).
GRAPH_FORMATS: dict[str, tuple[str, ox.RdfFormat]] = {
    "turtle": ("text/turtle", ox.RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "rdfxml": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
}

#: What a 406 says a client asked for in vain, and what it may ask for instead.
NO_TABULAR_FORMAT = (
    f"SELECT/ASK results: they come as {', '.join(TABULAR_FORMATS)} (format= or Accept); "
    f"{', '.join(GRAPH_FORMATS)} are for CONSTRUCT/DESCRIBE"
)
NO_GRAPH_FORMAT = (
    f"CONSTRUCT/DESCRIBE results: they come as {', '.join(GRAPH_FORMATS)} (format= or "
    f"Accept); {', '.join(TABULAR_FORMATS)} are for SELECT/ASK"
)

#: What an engine answers a query with: solutions, a boolean or triples.
Answer = ox.QuerySolutions | ox.QueryBoolean | Iterable[ox.Triple]


@dataclass(frozen=True)
class Result:
    """A serialised query result."""

    kind: str  # "boolean", "bindings" or "graph"
    media_type: str
    body: bytes
    truncated: bool = False  # SELECT rows beyond `max_rows` were dropped


class _Enough(Exception):
    """Raised by `_Sink` to stop the serialiser once it has enough."""


class _Sink(io.RawIOBase):
    """A binary sink keeping what is written until the `measure` of it (its lines, its row
    marks) passes `limit`."""

    def __init__(self, limit: int, measure: Callable[[bytes], int]) -> None:
        self.parts: list[bytes] = []
        self.used = 0
        self.limit = limit
        self.measure = measure

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        chunk = bytes(data)
        self.parts.append(chunk)
        self.used += self.measure(chunk)
        if self.used > self.limit:
            raise _Enough
        return len(chunk)

    def filled(self, result: ox.QuerySolutions, fmt: ox.QueryResultsFormat) -> bool:
        """Have `result` written here in `fmt`: False if it ended, True if it passed the limit
        (and was stopped)."""
        try:
            result.serialize(self, format=fmt)  # type: ignore[arg-type]
        except Exception:  # the engine passes on the sink's _Enough, wrapped
            if self.used <= self.limit:
                raise
        return self.used > self.limit


#: For each format, a byte that every solution writes at least once, and how often the rest of
#: the document writes it at least (SPARQL JSON: `{` of the document, "head" and "results";
#: XML: `<` of <sparql>, <head> and <results>; CSV: the header's line end). Counted in what is
#: written, it bounds from above the solutions written so far.
_ROW_MARKS = {"json": (b"{", 3), "xml": (b"<", 3), "csv": (b"\n", 1)}
#: The least row limit worth a first pass: under a lower one most results pass the bound and
#: are evaluated twice.
_WORTH_A_TRY = 1000


def bounded_solutions(
    result: ox.QuerySolutions,
    fmt: str,
    max_rows: int,
    again: Callable[[], Answer] | None = None,
) -> tuple[bytes, bool]:
    """Serialise at most `max_rows` solutions of `result` in `fmt`; say if rows were dropped.

    With `again` (the same solutions, evaluated once more), `result` is first written in `fmt`
    straight away while the format's row mark is counted: a result whose marks stay within
    `max_rows` holds no more solutions, and takes that one pass (most do). A result past the
    bound is evaluated again, and its solutions are counted as TSV lines.
    """
    if again is not None and fmt in _ROW_MARKS and max_rows >= _WORTH_A_TRY:
        mark, frame = _ROW_MARKS[fmt]
        sink = _Sink(max_rows + frame, lambda chunk: chunk.count(mark))
        if not sink.filled(result, TABULAR_FORMATS[fmt][1]):
            return b"".join(sink.parts), False
        evaluated = again()
        assert isinstance(evaluated, ox.QuerySolutions)  # the same query
        result = evaluated
    lines = _Sink(max_rows + 1, lambda chunk: chunk.count(b"\n"))  # a header, max_rows rows
    truncated = lines.filled(result, ox.QueryResultsFormat.TSV)
    tsv = b"".join(lines.parts)
    if truncated:
        tsv = b"".join(line + b"\n" for line in tsv.split(b"\n")[: max_rows + 1])
    if fmt == "tsv":
        return tsv, truncated
    parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    body = parsed.serialize(format=TABULAR_FORMATS[fmt][1]) or b""
    if fmt == "json" and truncated:
        body = _said_cut(body, f"results truncated to the first {max_rows} rows")
    return body, truncated


def _said_cut(body: bytes, warning: str) -> bytes:
    """SPARQL JSON `body` with the top-level members "truncated": true and "warning" (which
    SPARQL JSON readers ignore)."""
    document = json.loads(body)
    document["truncated"] = True
    document["warning"] = warning
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


#: Datatypes that Turtle does not write ("text", "text"@en).
_WRITTEN_PLAIN = {
    "http://www.w3.org/2001/XMLSchema#string",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",
}


def used_prefixes(triples: Iterable[ox.Triple]) -> dict[str, str]:
    """The predeclared prefixes (`eocic_kg.prefixes`) that write an IRI of `triples`
    (the longest match of each IRI, as in the exports)."""
    subjects, predicates, objects = set(), set(), set()
    for subject, predicate, term in triples:  # each distinct term is looked at once below
        subjects.add(subject)
        predicates.add(predicate)
        objects.add(term)
    iris = {predicate.value for predicate in predicates}
    for term in subjects | objects:
        if isinstance(term, ox.NamedNode):
            iris.add(term.value)
        elif isinstance(term, ox.Literal):
            iris.add(term.datatype.value)
    names = {name for iri in iris - _WRITTEN_PLAIN if (name := _prefix_of(iri))}
    return {name: PREFIXES[name] for name in sorted(names)}


@functools.lru_cache(maxsize=2**14)
def _prefix_of(iri: str) -> str | None:
    """The name of the longest predeclared prefix that writes `iri`, or None (remembered: a
    DESCRIBE repeats the same IRIs, and each is matched against every prefix)."""
    name = prefixed_name(iri)
    return None if name is None else name.split(":", 1)[0]


def bounded_triples(
    triples: Iterable[ox.Triple], rdf_format: ox.RdfFormat, max_rows: int | None
) -> tuple[bytes, bool]:
    """Serialise at most `max_rows` triples (all when None); also say if triples were dropped.
    Turtle binds the project's prefixes that it uses."""
    kept = list(triples if max_rows is None else itertools.islice(triples, max_rows + 1))
    truncated = max_rows is not None and len(kept) > max_rows
    kept = kept[:max_rows]
    prefixes = used_prefixes(kept) if rdf_format == ox.RdfFormat.TURTLE else None
    return ox.serialize(kept, format=rdf_format, prefixes=prefixes) or b"", truncated


def serialise(
    result: Answer,
    *,
    tabular: str | None,
    graph: str | None,
    max_rows: int | None,
    cut: bool = False,
    again: Callable[[], Answer] | None = None,
) -> Result:
    """An engine's answer (solutions, a boolean or triples) in the format the client accepts
    (`tabular` for SELECT/ASK, `graph` for CONSTRUCT/DESCRIBE), cut at `max_rows`.

    `cut` says that the engine itself already dropped rows (a remote engine's row limit);
    `again` gives the solutions once more (see `bounded_solutions`).
    """
    if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        if tabular is None:
            raise NotAcceptableError(NO_TABULAR_FORMAT)
        media_type, results_format = TABULAR_FORMATS[tabular]
        if isinstance(result, ox.QuerySolutions):
            if max_rows is not None:
                body, truncated = bounded_solutions(result, tabular, max_rows, again)
            else:
                body, truncated = result.serialize(format=results_format) or b"", False
            if cut and not truncated and tabular == "json":
                body = _said_cut(body, "results cut at the SPARQL engine's own row limit")
            return Result("bindings", media_type, body, truncated or cut)
        return Result("boolean", media_type, result.serialize(format=results_format) or b"", cut)
    if graph is None:
        raise NotAcceptableError(NO_GRAPH_FORMAT)
    media_type, rdf_format = GRAPH_FORMATS[graph]
    body, truncated = bounded_triples(result, rdf_format, max_rows)
    return Result("graph", media_type, body, truncated or cut)


#: Datatypes whose values `plain_rows` gives as Python numbers.
_NUMBERS = {
    "http://www.w3.org/2001/XMLSchema#integer": int,
    "http://www.w3.org/2001/XMLSchema#decimal": float,
    "http://www.w3.org/2001/XMLSchema#double": float,
}


def plain_rows(result: Result) -> list[dict[str, Any]]:
    """A SELECT or ASK result (SPARQL JSON) as rows of plain values: an IRI or a literal's
    lexical form as `str`, integers as `int`, decimals and doubles as `float`, a blank node as
    `_:label`; an unbound variable is absent from its row; an ASK is `[{"boolean": ...}]`."""
    document = json.loads(result.body)
    if "boolean" in document:
        return [{"boolean": document["boolean"]}]
    rows = []
    for binding in document["results"]["bindings"]:
        row: dict[str, Any] = {}
        for name, term in binding.items():
            if term["type"] == "bnode":  # as N-Triples writes it, told apart from a string
                row[name] = f"_:{term['value']}"
                continue
            convert = _NUMBERS.get(term.get("datatype", ""), str)
            try:
                row[name] = convert(term["value"])
            except ValueError:
                row[name] = term["value"]
        rows.append(row)
    return rows
