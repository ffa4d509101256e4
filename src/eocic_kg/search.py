"""Search the report's words: a full-text index (SQLite FTS5) beside the graph.

The index holds the labels, alternative labels, definitions, descriptions and quotes of every
resource, each tied to the resource and to the report parts it is derived from
(`prov:wasDerivedFrom`). It is built from any store by the internal query
``queries/internal/search-literals.rq``: the release (``eocic-kg build`` writes
``dist/eocic-search.sqlite`` next to ``dist/eocic.nq``), an on-disk store or a remote engine.

Words are stemmed (Porter, English), accents are folded and punctuation separates words, so
"hauts de france" finds Hauts-de-France. A search is written in a small language of its own,
never passed to FTS5 as it is: words (all must match), "quoted phrases" and a trailing * for a
prefix. Anything else that FTS5 would read as syntax is refused with a `SearchError`:

>>> parse('"brain drain" talent*').expression()
'"brain drain" AND "talent"*'
>>> parse("a NEAR b")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
SearchError: NEAR is an operator of other search engines; here every word must match: ...
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eocic_kg.atomic import write_atomically
from eocic_kg.catalogue import internal
from eocic_kg.namespaces import EOCIC
from eocic_kg.results import plain_rows
from eocic_kg.store_api import QueryRequest, StoreAPI

#: The index file `eocic-kg build` writes next to the release.
INDEX_NAME = "eocic-search.sqlite"
#: Columns of the index, the properties indexed in each, and its weight in the ranking (bm25).
FIELDS: dict[str, tuple[tuple[str, ...], float]] = {
    "label": (
        (
            "http://www.w3.org/2000/01/rdf-schema#label",
            "http://www.w3.org/2004/02/skos/core#prefLabel",
            "http://purl.org/dc/terms/title",
        ),
        8.0,
    ),
    "altLabel": (
        (
            "http://www.w3.org/2004/02/skos/core#altLabel",
            str(EOCIC.shortName),
            str(EOCIC.nameInStandard),
        ),
        6.0,
    ),
    "definition": (
        (
            "http://www.w3.org/2004/02/skos/core#definition",
            "http://www.w3.org/2000/01/rdf-schema#comment",
        ),
        1.5,
    ),
    "description": (("http://purl.org/dc/terms/description",), 1.5),
    "quote": ((str(EOCIC.quote),), 1.0),
}
_FIELD_OF = {prop: name for name, (props, _) in FIELDS.items() for prop in props}
TOKENIZER = "porter unicode61 remove_diacritics 2"
RAW_TOKENIZER = "unicode61 remove_diacritics 2"
#: Bounds of a search text: characters, and words or phrases.
MAX_CHARS = 500
MAX_TERMS = 16
#: Resources a search shows unless told (the same on every surface: CLI, page, API).
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
#: Marks around the matched words of a snippet (control characters: never in the text).
_OPEN, _CLOSE = "\x02", "\x03"
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
_WORD = re.compile(r"[^\W_]+")
#: A possessive ending a word ("cluster's", or with U+2019): the index splits off its "s".
_POSSESSIVE = re.compile(r"(?<=[^\W_])['\u2019]s(?![^\W_])", re.IGNORECASE)
#: A part of a search text: a quoted phrase, an unclosed quote, or a run of other characters.
_PART = re.compile(r'"([^"]*)"|(")|([^"\s]+)')


class SearchError(ValueError):
    """A search text this engine does not take; the message says how to write it."""


@dataclass(frozen=True)
class Term:
    """One word or phrase of a search; `prefix`: the last word may be the start of a word."""

    words: tuple[str, ...]
    prefix: bool = False

    def fts(self) -> str:
        """The term in FTS5 syntax: a quoted string of plain words (quotes cannot occur)."""
        return f'"{" ".join(self.words)}"' + ("*" if self.prefix else "")


@dataclass(frozen=True)
class Query:
    """A parsed search: every term must match."""

    terms: tuple[Term, ...]

    def expression(self, prefix: bool | None = None) -> str:
        """The FTS5 MATCH expression of the terms (all, or those with or without a trailing
        *), built from the terms' words only."""
        chosen = [t for t in self.terms if prefix is None or t.prefix == prefix]
        return " AND ".join(term.fts() for term in chosen)


def _check_text(text: str) -> None:
    if len(text) > MAX_CHARS:
        raise SearchError(f"the search is {len(text)} characters long; give at most {MAX_CHARS}")
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs")), None)
    if bad is not None and bad not in "\t\n\r":
        raise SearchError(f"the search holds a control character (U+{ord(bad):04X}); remove it")
    if text.count('"') % 2:
        raise SearchError('a quote (") is not closed: put a phrase between two quotes')


def _bare_term(chunk: str) -> Term | None:
    """The term of a chunk outside quotes (a word, possibly hyphenated, with an optional *)."""
    operator = next((w for w in _WORD.findall(chunk) if w in _OPERATORS), None)
    if operator:
        raise SearchError(
            f"{operator} is an operator of other search engines; here every word must match: "
            "write it in lower case to search for the word"
        )
    if re.match(r"^[^\W_]+:", chunk) or chunk.startswith(("{", "^")):
        raise SearchError(
            f"{chunk!r}: field filters are not supported; search the words without the "
            "field name (every field is searched)"
        )
    # "cluster's" is the word cluster (a phrase "cluster s" found only the possessive itself)
    chunk = _POSSESSIVE.sub("", chunk)
    prefix = chunk.endswith("*")
    if "*" in chunk.rstrip("*") or chunk.endswith("**"):
        raise SearchError(f"{chunk!r}: * may only end a word, as in innovat*")
    words = tuple(w.lower() for w in _WORD.findall(chunk))
    if prefix and not words:
        raise SearchError("a lone * matches nothing: put it after the start of a word")
    if prefix and not re.search(r"[^\W_]\*$", chunk):
        raise SearchError(f"{chunk!r}: * must follow a letter or digit, as in innovat*")
    return Term(words, prefix) if words else None


def parse(text: str) -> Query:
    """Parse a search text: words, "quoted phrases", a trailing * for a prefix.

    Punctuation separates words (a hyphenated word is a phrase); raises `SearchError` on
    empty, over-long or unbalanced input and on the syntax of other engines (AND, OR, NOT,
    NEAR, field filters).
    """
    _check_text(text)
    # NFC, as the indexed text is: "po\u0302les" (a combining circumflex, as macOS and text
    # copied from a PDF may send) split into "po" and "les", and found nothing
    text = unicodedata.normalize("NFC", text)
    terms: list[Term] = []
    for match in _PART.finditer(text):
        phrase, _, chunk = match.groups()
        if phrase is not None:
            if "*" in phrase:
                raise SearchError("* is for a word outside quotes, as in innovat*")
            words = tuple(w.lower() for w in _WORD.findall(phrase))
            term = Term(words) if words else None
        else:
            term = _bare_term(chunk)
        if term is not None:
            terms.append(term)
    if not terms:
        raise SearchError("give at least one word to search for")
    if len(terms) > MAX_TERMS:
        raise SearchError(f"the search has {len(terms)} words or phrases; give at most {MAX_TERMS}")
    return Query(tuple(terms))


@dataclass(frozen=True)
class Part:
    """A report part (section, chapter, footnote, figure, table) a hit comes from."""

    iri: str
    label: str


@dataclass(frozen=True)
class Hit:
    """A resource found by a search: its best matching text, as a snippet."""

    resource: str
    title: str
    field: str
    #: The snippet as (text, matched) runs.
    snippet: tuple[tuple[str, bool], ...]
    parts: tuple[Part, ...]
    score: float

    def snippet_text(self) -> str:
        """The snippet as plain text."""
        return "".join(text for text, _ in self.snippet)

    def as_json(self) -> dict[str, Any]:
        """The hit as JSON: the snippet as text with the [start, end) offsets of the matches."""
        highlights, at = [], 0
        for text, matched in self.snippet:
            if matched:
                highlights.append([at, at + len(text)])
            at += len(text)
        return {
            "resource": self.resource,
            "label": self.title,
            "field": self.field,
            "snippet": self.snippet_text(),
            "highlights": highlights,
            "derivedFrom": [{"iri": p.iri, "label": p.label} for p in self.parts],
            "score": round(self.score, 4),
        }


def _runs(marked: str) -> tuple[tuple[str, bool], ...]:
    """A snippet marked by FTS5 as (text, matched) runs; matches apart only by punctuation or
    a space are one run ("Hauts-de-France")."""
    runs: list[tuple[str, bool]] = []
    for piece in re.split(f"({_OPEN}[^{_CLOSE}]*{_CLOSE})", marked):
        if piece.startswith(_OPEN):
            if len(runs) > 1 and runs[-2][1] and re.fullmatch(r"[\W_]{1,3}", runs[-1][0]):
                gap = runs.pop()[0]
                runs[-1] = (runs[-1][0] + gap + piece[1:-1], True)
            else:
                runs.append((piece[1:-1], True))
        elif piece:
            runs.append((piece, False))
    return tuple(runs)


@dataclass(frozen=True)
class Entry:
    """One text of one resource in the index."""

    resource: str
    title: str
    field: str
    text: str
    parts: tuple[Part, ...]


def entries(rows: Iterable[dict[str, Any]]) -> list[Entry]:
    """The index entries of the rows of ``search-literals``: one per resource and text (in the
    field ranked first), with all the report parts of the resource."""
    order = list(FIELDS)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        field = _FIELD_OF[row["property"]]
        entry = found.setdefault(
            (row["resource"], row["text"]),
            {"title": row.get("title") or row["text"], "field": field, "parts": {}},
        )
        if order.index(field) < order.index(entry["field"]):
            entry["field"] = field
        if "part" in row:
            entry["parts"][row["part"]] = row.get("partLabel", row["part"])
    return [
        Entry(
            resource,
            e["title"],
            e["field"],
            text,
            tuple(Part(*p) for p in sorted(e["parts"].items())),
        )
        for (resource, text), e in sorted(found.items())
    ]


def _create(entries_: Iterable[Entry], source: str) -> sqlite3.Connection:
    """A new in-memory index of `entries_`; `source` names what it was built from.

    The texts are in `entry`, indexed twice: `text` stems words (Porter), `raw` keeps them
    as written for prefixes (a stem such as "innov" does not start with "innovat")."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    columns = ", ".join(FIELDS)
    conn.execute(f"CREATE TABLE entry (id INTEGER PRIMARY KEY, {columns}, resource, title, parts)")
    for table, tokenizer in (("text", TOKENIZER), ("raw", RAW_TOKENIZER)):
        conn.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5({columns}, content = entry, "
            f"content_rowid = id, tokenize = '{tokenizer}')"
        )
    conn.executescript(
        "CREATE TABLE part (iri TEXT PRIMARY KEY, label TEXT NOT NULL);"
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    )
    places = ", ".join("?" * (len(FIELDS) + 3))
    parts: dict[str, str] = {}
    for entry in entries_:
        values = [entry.text if name == entry.field else None for name in FIELDS]
        iris = " ".join(p.iri for p in entry.parts)
        conn.execute(
            f"INSERT INTO entry ({columns}, resource, title, parts) VALUES ({places})",
            [*values, entry.resource, entry.title, iris],
        )
        parts.update((p.iri, p.label) for p in entry.parts)
    for table in ("text", "raw"):
        conn.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
    conn.executemany("INSERT INTO part VALUES (?, ?)", sorted(parts.items()))
    conn.execute("INSERT INTO meta VALUES ('source', ?)", (source,))
    conn.commit()
    return conn


class SearchIndex:
    """A full-text index of the graph's words, searched by `search` (thread-safe)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._parts = dict(conn.execute("SELECT iri, label FROM part"))

    @classmethod
    def from_store(cls, store: StoreAPI, source: str = "") -> SearchIndex:
        """The index of the words of `store` (read by the internal query search-literals)."""
        rows = plain_rows(store.query(QueryRequest(internal("search-literals").text)))
        return cls(_create(entries(rows), source))

    @classmethod
    def open(cls, path: Path) -> SearchIndex:
        """The index written at `path` (loaded into memory)."""
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.deserialize(path.read_bytes())
        return cls(conn)

    @property
    def source(self) -> str:
        """What the index was built from (the release's digest for a written index)."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'source'").fetchone()
        return row[0] if row else ""

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM text").fetchone()[0])

    def data(self) -> bytes:
        """The index as the bytes of an SQLite database file."""
        with self._lock:
            return self._conn.serialize()

    def search(self, query: Query | str, limit: int = DEFAULT_LIMIT) -> list[Hit]:
        """The resources matching `query`, best first (bm25, labels weighing most), at most
        `limit`, each with the snippet of its best matching text."""
        parsed = parse(query) if isinstance(query, str) else query
        stemmed, prefixes = parsed.expression(prefix=False), parsed.expression(prefix=True)
        table = "text" if stemmed else "raw"
        weights = ", ".join(str(weight) for _, weight in FIELDS.values())
        matched = f"FROM {table}(:main) JOIN entry AS e ON e.id = {table}.rowid" + (
            " AND e.id IN (SELECT rowid FROM raw WHERE raw MATCH :prefixes)"
            if stemmed and prefixes
            else ""
        )
        ranking = f"SELECT e.id, e.resource, bm25({table}, {weights}) AS score {matched}"
        details = (
            f"SELECT e.id, e.title, {', '.join('e.' + name for name in FIELDS)}, e.parts, "
            f"snippet({table}, -1, '{_OPEN}', '{_CLOSE}', '…', 24) {matched} "
            "AND e.id IN (SELECT value FROM json_each(:ids))"
        )
        values = {"main": stemmed or prefixes, "prefixes": prefixes}
        best: dict[str, tuple[int, float]] = {}
        with self._lock:
            for rowid, resource, score in self._conn.execute(
                f"{ranking} ORDER BY score, e.resource", values
            ):
                best.setdefault(resource, (rowid, -score))
                if len(best) >= limit:
                    break
            ids = json.dumps([rowid for rowid, _ in best.values()])
            rows = {row[0]: row[1:] for row in self._conn.execute(details, {**values, "ids": ids})}
        hits = []
        for resource, (rowid, score) in best.items():
            title, *texts, parts, snippet = rows[rowid]
            field = next(name for name, text in zip(FIELDS, texts, strict=True) if text)
            hits.append(
                Hit(
                    resource,
                    title,
                    field,
                    _runs(snippet),
                    tuple(Part(iri, self._parts.get(iri, iri)) for iri in parts.split()),
                    score,
                )
            )
        return hits


def file_digest(path: Path) -> str:
    """The SHA-256 of a file, naming the release an index was built from."""
    with path.open("rb") as handle:
        return "sha256:" + hashlib.file_digest(handle, "sha256").hexdigest()


def index_file(release: Path) -> Path:
    """Where the index of `release` is written: beside it."""
    return release.with_name(INDEX_NAME)


def _index_of(release: Path) -> SearchIndex:
    from eocic_kg.store import Store

    return SearchIndex.from_store(Store.from_file(release), source=file_digest(release))


def build_index(release: Path) -> Path:
    """Build the index of the release file `release` and write it beside it, atomically (a
    failure leaves the previous index as it was)."""
    target = index_file(release)
    write_atomically(target, _index_of(release).data())
    return target


def release_index(release: Path) -> SearchIndex:
    """The index of the release file `release`: the one beside it when it was built from
    these bytes, else one built now (and written beside it, where that can be written)."""
    path = index_file(release)
    try:
        index = SearchIndex.open(path)
        if index.source == file_digest(release):
            return index
    except (OSError, sqlite3.DatabaseError):  # none yet, or not an index
        pass
    index = _index_of(release)
    with contextlib.suppress(OSError):  # the bundled release of a read-only install
        write_atomically(path, index.data())
    return index
