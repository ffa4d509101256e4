"""A tokenizer for SPARQL 1.1 text, following the grammar's terminals (SPARQL 1.1 Query, §19.8).

It is the one tokenizer of the project. It serves the text checks that give clear 400s (SERVICE
and LOAD refused, nesting depth), the few places that rewrite a request (USING clauses of the
protocol; VALUES, BASE and PREFIX lines for a remote engine) and the explanation of parse errors
(`eocic_kg.query_errors`). A request's text is read once, into an `Analysis` that the checks,
the rewrites and the explanation share. The lexer is *not* the wall that keeps the engine off
the network: the processes that evaluate queries have no network at all (`eocic_kg.sandbox`).

Terminals recognised: IRIREF (which may hold `#`), PNAME_NS / PNAME_LN (with PLX: `%xx` and
`\\`-escapes), BLANK_NODE_LABEL, VAR1 / VAR2, LANGTAG, numbers, the four string forms with their
ECHAR escapes, comments, NIL / ANON, keywords and punctuation. Three *recovery* terminals name
what no valid text holds, for the error messages: `bad_string` (a string with an escape the
grammar lacks), `open_string` (a quote that opens no string) and `bad_iri` (`<scheme://` with a
space before the `>`). Each matches only where the valid terminals give up, so a valid text
never holds one. Any other character the grammar has no token for is an `other` token, and the
engine's parser reports the error.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from eocic_kg.errors import RefusedError

_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_CHARS_U = _BASE + "_"
_CHARS = _CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_VARNAME = f"[{_CHARS_U}0-9][{_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PN_PREFIX = f"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_PN_LOCAL = f"(?:[{_CHARS_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"  # kept by pyoxigraph, decoded by the spec
_ECHAR = rf"\\[tbnrf\\\"']|{_UCHAR}"
_WS = "[ \t\r\n]"

#: Token kinds, tried in this order at each position (the first match wins); the recovery
#: terminals come last, where only what the valid ones leave reaches them.
_TERMINALS: list[tuple[str, str]] = [
    ("ws", f"{_WS}+"),
    ("comment", r"#[^\r\n]*"),
    ("iri", rf'<(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>'),
    ("string", f"'''(?:(?:'|'')?(?:[^'\\\\]|{_ECHAR}))*'''"),
    ("string", f'"""(?:(?:"|"")?(?:[^"\\\\]|{_ECHAR}))*"""'),
    ("string", f"'(?:[^'\\\\\\n\\r]|{_ECHAR})*'"),
    ("string", f'"(?:[^"\\\\\\n\\r]|{_ECHAR})*"'),
    ("var", f"[?$]{_VARNAME}"),
    ("bnode", f"_:[{_CHARS_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?"),
    ("langtag", r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*"),
    ("number", r"(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+|[0-9]*\.[0-9]+|[0-9]+"),
    ("pname", f"(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?"),
    ("keyword", "[A-Za-z][A-Za-z0-9_]*"),
    ("nil", rf"\({_WS}*\)"),
    ("anon", rf"\[{_WS}*\]"),
    ("open", r"[({\[]"),
    ("close", r"[)}\]]"),
    ("bad_iri", r"<[A-Za-z][A-Za-z0-9+.-]*://[^<>\s]*[ \t][^<>\n]*>"),
    ("punct", r"\^\^|\|\||&&|!=|<=|>=|[.,;*+\-/!=<>^|]"),
    ("bad_string", r"'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"),
    ("bad_string", r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'),
    ("bad_string", r"'(?:[^'\\\n\r]|\\.)*'"),
    ("bad_string", r'"(?:[^"\\\n\r]|\\.)*"'),
    ("open_string", r"'''|\"\"\"|'|\""),
    ("other", r"(?s:.)"),
]
_TOKEN = re.compile("|".join(f"(?P<t{i}>{rx})" for i, (_, rx) in enumerate(_TERMINALS)))
_KINDS = {f"t{i}": kind for i, (kind, _) in enumerate(_TERMINALS)}

#: The keywords the checks and rewrites look for (refused, or changing the default graph).
WATCHED = frozenset({"SERVICE", "LOAD", "FROM", "BASE"})
#: Deepest nesting of ( [ { accepted in a query or update. The engine's parser recurses once
#: per level; executors also run on a large stack, so this is the friendly limit, not the wall.
MAX_NESTING = 64


@dataclass(frozen=True)
class Token:
    """One terminal of the text: its kind, text, offset and the bracket depth it opens at."""

    kind: str
    text: str
    start: int
    depth: int  # nesting depth of ( [ { before this token

    @property
    def word(self) -> str:
        """The upper-cased keyword (empty for other kinds)."""
        return self.text.upper() if self.kind == "keyword" else ""

    @property
    def end(self) -> int:
        return self.start + len(self.text)


_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def decode_codepoints(text: str) -> str:
    """`text` with its `\\uXXXX` / `\\UXXXXXXXX` escapes replaced, as SPARQL 1.1 (§19.2) says
    to do before parsing: `\\u0053ERVICE` is then the keyword SERVICE."""

    def char(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group()

    return _CODEPOINT.sub(char, text) if "\\" in text else text


def tokens(text: str) -> Iterator[Token]:
    """The significant tokens of `text` (no white space, no comments), with their depth."""
    depth = 0
    for m in _TOKEN.finditer(text):
        kind = _KINDS[m.lastgroup or ""]
        if kind in ("ws", "comment"):
            continue
        if kind == "close":
            depth = max(depth - 1, 0)
        yield Token(kind, m.group(), m.start(), depth)
        if kind == "open":
            depth += 1


def keywords(text: str) -> set[str]:
    """The upper-cased keywords used in `text`."""
    return {t.word for t in tokens(text) if t.kind == "keyword"}


#: The query forms.
FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})


class Analysis:
    """A request's text read once: its tokens, and what the checks, the rewrites and the error
    messages ask of them, each computed when first asked and then kept.

    >>> a = Analysis("PREFIX ex: <http://x/> SELECT * { ex:a region:b ?c }")
    >>> a.form, sorted(a.declared), sorted(a.used), a.tokens[a.body].text
    ('SELECT', ['ex'], ['ex', 'region'], 'SELECT')
    """

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def tokens(self) -> tuple[Token, ...]:
        return tuple(tokens(self.text))

    @cached_property
    def body(self) -> int:
        """The index in `tokens` of the first token after the prologue (BASE and PREFIX)."""
        i, found = 0, self.tokens
        while i < len(found) and found[i].word in ("BASE", "PREFIX"):
            i += 3 if found[i].word == "PREFIX" else 2
        return min(i, len(found))

    @cached_property
    def form(self) -> str:
        """SELECT, CONSTRUCT, DESCRIBE or ASK; "" when the prologue is followed by none."""
        word = self.tokens[self.body].word if self.body < len(self.tokens) else ""
        return word if word in FORMS else ""

    @cached_property
    def declared(self) -> frozenset[str]:
        """The prefixes the text declares (PREFIX name: <...>)."""
        return frozenset(b.text.split(":", 1)[0] for a, b in self._pnames() if a == "PREFIX")

    @cached_property
    def used(self) -> frozenset[str]:
        """The prefixes of the prefixed names the text uses."""
        return frozenset(b.text.split(":", 1)[0] for a, b in self._pnames() if a != "PREFIX")

    def _pnames(self) -> Iterator[tuple[str, Token]]:
        """Each prefixed name with the keyword before it."""
        for before, token in itertools.pairwise((None, *self.tokens)):
            if token is not None and token.kind == "pname":
                yield (before.word if before else ""), token


def check_request(text: str | Analysis, *, update: bool) -> set[str]:
    """Refuse remote access and deep nesting with a clear message; return the keywords among
    `WATCHED` that the text uses.

    SERVICE is refused in queries and updates, LOAD in updates: this server never fetches.
    The text is read as written and, when it has codepoint escapes, also decoded (the spec
    decodes them before parsing; pyoxigraph does not): either reading is refused. A text that
    cannot hold a watched word or deep nesting (no such letters, few brackets, no escapes) is
    answered without tokenizing; an `Analysis` lends its tokens.
    """
    analysis = text if isinstance(text, Analysis) else None
    text = analysis.text if analysis else str(text)
    lowered = text.lower()
    if (
        "\\" not in text
        and not any(word.lower() in lowered for word in WATCHED)
        and sum(text.count(b) for b in "([{") <= MAX_NESTING
    ):
        return set()
    as_written = _keywords_within_depth(analysis.tokens if analysis else tokens(text))
    decoded = decode_codepoints(text)
    seen = as_written | (_keywords_within_depth(tokens(decoded)) if decoded != text else set())
    for forbidden in ("SERVICE", "LOAD") if update else ("SERVICE",):
        if forbidden in seen:
            raise RefusedError(
                f"{forbidden} is disabled on this server: it never fetches remote data"
            )
    return as_written & WATCHED


def _keywords_within_depth(found: Iterable[Token]) -> set[str]:
    words: set[str] = set()
    for t in found:
        if t.kind == "open" and t.depth >= MAX_NESTING:
            raise RefusedError(f"brackets nest deeper than {MAX_NESTING} levels")
        if t.kind == "keyword":
            words.add(t.word)
    return words
