"""Parse errors a person can act on.

pyoxigraph reports a bad query as ``error at LINE:COLUMN: expected one of ...``: the furthest
point its parser reached and a list of alternatives that mixes keywords with Unicode character
ranges. `explain` turns that into a few lines: the position, the offending line with a caret,
what was found, what was expected in words ("a variable", "an IRI", keywords) and a hint for the
common mistakes. Mistakes that can be seen in the tokens themselves (an undeclared prefix, an
unknown word, an unclosed string or bracket, ``id:region/saxony``, a triple pattern without its
object or without the "." before the next one) are located exactly, because the parser's
furthest point can lie well after them. The tokens are those of the one tokenizer,
`eocic_kg.sparql_lexer`, read once per request (`Analysis`).

>>> print(explain("error at 1:19: expected ...", "SELECT * { ?s a foo:Bar }"))
line 1, column 17: the prefix foo: is not declared
  SELECT * { ?s a foo:Bar }
                  ^
hint: declare it (PREFIX foo: <...>) or use a predeclared prefix: eocic: rdf: rdfs: ...
"""

from __future__ import annotations

import difflib
import re
import textwrap
from dataclasses import dataclass

from eocic_kg.prefixes import KINDS, PREFIXES
from eocic_kg.sparql_lexer import Analysis, Token

#: Words of SPARQL 1.1 (and the extensions pyoxigraph parses) that may stand bare in a query.
FUNCTIONS = frozenset(
    str.split(
        """STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT
        STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH
        DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512
        COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR
        REPLACE EXISTS COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR TRIPLE SUBJECT PREDICATE
        OBJECT ISTRIPLE LANGDIR HASLANG HASLANGDIR STRLANGDIR ADJUST"""
    )
)
KEYWORDS = frozenset(
    str.split(
        """BASE PREFIX SELECT DISTINCT REDUCED CONSTRUCT DESCRIBE ASK FROM NAMED WHERE ORDER BY ASC
        DESC LIMIT OFFSET GROUP HAVING VALUES UNDEF OPTIONAL GRAPH SERVICE SILENT MINUS UNION
        FILTER BIND AS IN NOT A TRUE FALSE LATERAL INSERT DELETE DATA WITH USING DEFAULT ALL LOAD
        CLEAR DROP CREATE ADD MOVE COPY TO INTO"""
    )
)
#: Words the engine's parser may list as expected that this server does not take: SERVICE is
#: refused, LATERAL is an extension of the engine (not SPARQL 1.1, unknown to remote engines).
NOT_OFFERED = frozenset({"SERVICE", "LATERAL"})
_NOISE = {"{|", "|}", "~", "<<", ">>", "<<(", ")>>", "[_]"}
_OPERATORS = {"=", "!=", "<", ">", "<=", ">=", "&&", "||", "/", "-"}
_TERMS = ("var", "pname", "iri", "string", "number")
_CLOSING = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class Finding:
    """A located mistake: what it is, and optionally what was expected and a hint."""

    start: int
    what: str
    expected: str = ""
    hint: str = ""


def _prefix_hint(prefix: str) -> str:
    close = difflib.get_close_matches(prefix, list(PREFIXES), n=1, cutoff=0.75)
    if close:
        return f"did you mean {close[0]}: ({PREFIXES[close[0]]})?"
    vocabularies = " ".join(f"{name}:" for name in PREFIXES if name not in KINDS)
    return (
        f"declare it (PREFIX {prefix}: <...>) or use a predeclared prefix: {vocabularies} "
        "and one per kind of resource, such as region: challenge: measure: cluster:"
    )


def _slash_hint(name: Token, rest: Token) -> Finding:
    """`id:region/saxony`: a prefixed name cannot contain '/'."""
    prefix, local = name.text.split(":", 1)
    written = f"{name.text}/{rest.text}"
    namespace = PREFIXES.get(prefix)
    if namespace == PREFIXES["id"] and local in KINDS:
        better = f"{local}:{rest.text}"
        hint = (
            f"write {better}: every kind of resource has its own prefix ({local}: is predeclared)"
        )
    elif namespace:
        better = f"<{namespace}{local}/{rest.text}>"
        hint = f"write the full IRI {better}"
    else:
        hint = "write the full IRI in <...>"
    return Finding(name.start, f"{written} is not a prefixed name ('/' cannot be in one)", "", hint)


def _lexical_findings(analysis: Analysis) -> list[Finding]:
    """Mistakes visible in the tokens: unclosed strings, brackets, unknown words and prefixes."""
    query, toks = analysis.text, analysis.tokens
    findings: list[Finding] = _pattern_findings(toks)
    declared = analysis.declared | set(PREFIXES)
    stack: list[Token] = []
    previous: list[Token] = []
    for token in toks:
        before = previous[-1] if previous else None
        if token.kind == "open_string":
            return [Finding(token.start, "this string is not closed on its line")]
        if token.kind == "bad_string":
            escapes = r"\t \n \r \b \f \" \' \\ and \uXXXX"
            what = "this string holds an escape SPARQL does not know"
            findings.append(Finding(token.start, what, "", f"the escapes are {escapes}"))
        if token.kind == "bad_iri":
            what = "this IRI contains a space"
            findings.append(Finding(token.start, what, "", "write %20 for a space in an IRI"))
        if token.text in (")", "}", ".", ",", ";") and before and before.text in _OPERATORS:
            what = f'found "{token.text}" after "{before.text}"'
            findings.append(Finding(token.start, what, "an expression (a variable or a value)"))
        after_limit = before is not None and before.word in ("LIMIT", "OFFSET")
        if after_limit and before and not token.text.isdigit():
            what = f"found {_describe(token)} after {before.word}"
            hint = f"{before.word} cannot be negative" if token.text in "+-" else ""
            findings.append(
                Finding(token.start, what, "a number (a whole number, 0 or more)", hint)
            )
        if token.kind == "open":
            stack.append(token)
        elif token.kind == "close":
            if not stack:
                findings.append(Finding(token.start, f'this "{token.text}" closes nothing'))
            elif _CLOSING[stack[-1].text] != token.text:
                opened = stack.pop()
                where = _line_col(query, opened.start)
                findings.append(
                    Finding(
                        token.start,
                        f'"{token.text}" does not match the "{opened.text}" of {where}',
                        f'"{_CLOSING[opened.text]}"',
                    )
                )
            else:
                stack.pop()
        elif token.kind == "keyword" and not after_limit and _is_unknown_word(token, previous):
            if (
                len(previous) >= 2
                and previous[-1].text == "/"
                and previous[-2].kind == "pname"
                and previous[-2].end == previous[-1].start
                and previous[-1].end == token.start
            ):
                findings.append(_slash_hint(previous[-2], token))
            else:
                words = (KEYWORDS | FUNCTIONS) - NOT_OFFERED
                close = difflib.get_close_matches(token.text.upper(), words, n=1, cutoff=0.75)
                hint = (
                    f"did you mean {close[0]}?"
                    if close
                    else (
                        f"a variable starts with ? (?{token.text}); a name needs a prefix"
                        f" (eocic:{token.text}) or angle brackets (<...>)"
                    )
                )
                what = f"unknown word {token.text}"
                findings.append(Finding(token.start, what, "a keyword", hint))
        elif token.kind == "pname":
            prefix = token.text.split(":", 1)[0]
            if prefix not in declared and not (before and before.word == "PREFIX"):
                what = f"the prefix {prefix}: is not declared"
                findings.append(Finding(token.start, what, "", _prefix_hint(prefix)))
        elif token.kind == "other" and token.text in "\u201c\u201d\u2018\u2019\u00ab\u00bb":
            what = f"the typographic quote {token.text} cannot start a string"
            findings.append(Finding(token.start, what, "", "use straight quotes: \"...\" or '...'"))
        elif before and before.text == "=" and token.text == "=":
            hint = "SPARQL compares with a single = (and != for 'not equal')"
            findings.append(Finding(before.start, 'found "=="', "", hint))
        elif before and before.word in ("ORDER", "GROUP") and token.word != "BY":
            what = f"{before.word} must be followed by BY"
            findings.append(Finding(token.start, f"found {_describe(token)}", "BY", what))
        elif token.text == "," and _in_select_clause(previous):
            findings.append(
                Finding(
                    token.start,
                    'found "," between the selected variables',
                    "a variable, an expression (... AS ?name) or WHERE",
                    "separate the variables with spaces, not commas",
                )
            )
        previous.append(token)
    for opened in stack:
        findings.append(
            Finding(
                opened.start, f'this "{opened.text}" is never closed', f'"{_CLOSING[opened.text]}"'
            )
        )
    return findings


#: Tokens that are a whole term of a triple pattern.
_TERM_KINDS = frozenset({"var", "iri", "pname", "string", "number", "bnode", "anon"})
_TERM_WORDS = frozenset({"A", "TRUE", "FALSE"})
_TRIPLE_HINT = "a triple pattern has three parts: a subject, a predicate and an object"


def _pattern_findings(toks: tuple[Token, ...]) -> list[Finding]:
    """Triple patterns of plain terms with a part missing (`{ ?s ?p }`) or a "." missing
    (`?s ?p ?o ?x`). Only statements made of plain terms are judged (no paths, lists or
    object lists), in groups of patterns (not VALUES data): what is judged is certain. After
    a ";" the statement goes on with its subject (`kept`), which may then end it."""
    findings: list[Finding] = []
    patterns: list[bool] = []  # per open bracket: a group of patterns?
    run: list[Token] | None = []  # the plain terms of the statement so far; None: not judged
    values = attached = False
    kept = 0
    for token in toks:
        in_group = bool(patterns) and patterns[-1]
        if token.kind == "open":
            is_group = token.text == "{" and not values
            values = values and token.text != "{"
            patterns.append(is_group)
            run, kept = ([] if is_group else None), 0
        elif token.kind == "close":
            if patterns and patterns.pop() and run and kept < len(run) < 3:
                findings.append(_incomplete(run, token))
            run, kept = ([] if token.text == "}" and patterns and patterns[-1] else None), 0
        elif token.text == "." and in_group:
            if run and kept < len(run) < 3:
                findings.append(_incomplete(run, token))
            run, kept = [], 0
        elif run is None or not in_group:
            values = values or token.word == "VALUES"
        elif attached:  # the datatype after ^^
            attached = False
        elif token.kind == "langtag" or token.text == "^^":
            attached = token.text == "^^"
        elif token.text == ";" and len(run) == 3:
            run, kept = run[:1], 1
        elif token.kind in _TERM_KINDS or token.word in _TERM_WORDS:
            run.append(token)
            if len(run) == 4:
                complete = " ".join(t.text for t in run[:3])
                what = f"found {_describe(token)} after the complete triple pattern {complete}"
                hint = 'is a "." missing before it? Triple patterns are separated by "."'
                findings.append(Finding(token.start, what, "", hint))
                run = None
        else:
            values = values or token.word == "VALUES"
            run = None
    return findings


def _incomplete(run: list[Token], where: Token) -> Finding:
    pattern = " ".join(t.text for t in run)
    lacks, missing = (
        ("only a subject", "a predicate") if len(run) == 1 else ("no object", "an object")
    )
    what = f"found {_describe(where)}: the triple pattern {pattern} has {lacks}"
    return Finding(where.start, what, f"{missing} (a variable, an IRI or a literal)", _TRIPLE_HINT)


def _is_unknown_word(token: Token, previous: list[Token]) -> bool:
    word = token.text.upper()
    if word in KEYWORDS or word in FUNCTIONS:
        return False
    before = previous[-1].text if previous else ""
    return before not in ("^^", "@")


def _in_select_clause(previous: list[Token]) -> bool:
    for token in reversed(previous):
        if token.text in ("{", "}") or token.text.upper() in ("WHERE", "FROM"):
            return False
        if token.text.upper() == "SELECT":
            return True
    return False


def _line_col(query: str, offset: int) -> str:
    line = query.count("\n", 0, offset) + 1
    column = offset - (query.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def _offset(query: str, line: int, column: int) -> int:
    lines = query.split("\n")
    line = max(1, min(line, len(lines)))
    before = sum(len(text) + 1 for text in lines[: line - 1])
    return min(before + max(column - 1, 0), len(query))


def _expected_items(text: str) -> list[str]:
    """The alternatives of pyoxigraph's ``expected one of a, b, [...]`` text."""
    item = re.compile(
        r"""\s*("(?:[^"\\]|\\.)*"|\[(?:'(?:\\.|[^'\\])*'|[^\]'])*\]|[^,]+?)\s*(?:,|$)""", re.S
    )
    text = text.removeprefix("one of ")
    return [m.group(1) for m in item.finditer(text) if m.group(1)]


def expected_words(text: str) -> str:
    """pyoxigraph's list of alternatives in words, without character ranges."""
    words: list[str] = []
    keywords: list[str] = []
    functions = 0
    for item in _expected_items(text):
        if item in _NOISE or item == '"[_]"':
            continue
        if item.startswith('"'):
            symbol = item[1:-1]
            if symbol in ("?", "$"):
                word = "a variable"
            elif symbol == "<":
                word = "an IRI"
            elif symbol == ":":
                word = "a prefixed name"
            elif symbol in _NOISE:
                continue
            elif symbol.startswith("\\"):
                word = "the end of the string"
            else:
                word = f'"{symbol}"'
            if word not in words:
                words.append(word)
        elif item.startswith("["):
            if "'A'" in item and "a prefixed name" not in words:
                words.append("a prefixed name")
            elif item.startswith("['0'") and "a number" not in words:
                words.append("a number")
        elif item == "IRI parsing failed":
            words.append("a valid IRI (no spaces in <...>)")
        elif item.upper() in FUNCTIONS:
            functions += 1
            keywords.append(item.upper())
        elif re.fullmatch(r"[A-Za-z_]+", item) and item.upper() not in NOT_OFFERED:
            keywords.append(item.upper())
    keywords = [k for k in keywords if k not in FUNCTIONS]  # alone, they are parser artefacts
    if functions >= 3:
        words.insert(0, "an expression (a variable, a value or a function call)")
    words.extend(keywords)
    return ", ".join(words[:8]) + (", ..." if len(words) > 8 else "")


def _describe(token: Token | None) -> str:
    if token is None:
        return "the end of the query"
    text = token.text if len(token.text) <= 40 else token.text[:37] + "..."
    return {
        "keyword": f"the word {text}",
        "var": f"the variable {text}",
        "iri": f"the IRI {text}",
        "pname": f"the name {text}",
        "string": f"the string {text}",
        "number": f"the number {text}",
    }.get(token.kind, f'"{text}"')


def _token_at(toks: tuple[Token, ...], offset: int, in_name: bool) -> Token | None:
    """The token the parser stumbled on: the one at `offset`, else the one ending there when
    the parser was still reading a name (`in_name`), else the next one."""
    for token in toks:
        if token.start <= offset < token.end:
            return token
    before = [t for t in toks if t.end == offset]
    if in_name and before and before[-1].kind in ("keyword", "pname", "var", "number"):
        return before[-1]
    after = [t for t in toks if t.start >= offset]
    return after[0] if after else None


def _render(query: str, offset: int, what: str, expected: str, hint: str) -> str:
    line_start = query.rfind("\n", 0, offset) + 1
    line_end = query.find("\n", offset)
    text = query[line_start : len(query) if line_end < 0 else line_end]
    column = offset - line_start
    if len(text) > 100:  # show a window around the column
        cut = max(0, column - 50)
        text, column = (
            ("..." if cut else "") + text[cut : cut + 100],
            column - cut + (3 if cut else 0),
        )
    lines = [f"{_line_col(query, offset)}: {what}", f"  {text}", "  " + " " * column + "^"]
    for label, text in (("expected", expected), ("hint", hint)):
        if text:
            lines.append(textwrap.fill(f"{label}: {text}", 100, subsequent_indent="  "))
    return "\n".join(lines)


def explain(message: str, query: str | Analysis) -> str:
    """A short message for pyoxigraph's parse error `message` about `query` (its text, or the
    request's analysis, whose tokens are then read again by no one)."""
    analysis = query if isinstance(query, Analysis) else Analysis(query)
    query, toks = analysis.text, analysis.tokens
    findings = _lexical_findings(analysis)
    if findings:
        first = min(findings, key=lambda f: f.start)
        return _render(query, first.start, first.what, first.expected, first.hint)
    match = re.match(r"error at (\d+):(\d+): expected (.*)", message, re.S)
    if match is None:
        return message.strip().splitlines()[0][:300] if message.strip() else "invalid query"
    offset = _offset(query, int(match.group(1)), int(match.group(2)))
    alternatives = match.group(3)
    in_name = any(s in alternatives for s in ("Prefix not found", "['%']", "[':']"))
    token = _token_at(toks, offset, in_name)
    expected = expected_words(alternatives)
    hint = ""
    if token is not None:
        if token.start < offset and not re.search(r'"|\[', alternatives):
            expected = ""  # keywords half-matched inside a name say nothing useful
        before = [t for t in toks if t.end <= token.start]
        if token.kind in _TERMS and before and before[-1].kind in _TERMS:
            hint = 'is a "." missing between two triple patterns?'
        offset = token.start
    return _render(query, offset, f"found {_describe(token)}", expected, hint)
