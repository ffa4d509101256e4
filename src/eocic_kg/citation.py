"""Citations of the report and of the part of it a fact comes from, as BibTeX and CSL-JSON.

Everything in a citation is read from the graph: the report's label, publisher and language;
the part's label (chapter, section, footnote, figure or table) and its page when the graph gives
one, found up the chain of parts (``dcterms:isPartOf``); the quote of the fact. A field the graph
does not hold (an author, a date, a DOI) stays out: nothing is invented. Zotero and other
reference managers read both formats.

>>> part = {"iri": "https://w3id.org/eocic/id/section/3", "label": "3. Joint challenges",
...         "report": {"iri": "https://w3id.org/eocic/id/report/r", "label": "A report",
...                    "publisher": "European Commission", "language": "en"}}
>>> print(bibtex(csl_item(part, quote="more than 60%")))
@report{eocic_section_3,
  title = {A report},
  institution = {European Commission},
  language = {en},
  chapter = {3. Joint challenges},
  note = {Quote: ``more than 60\\%''},
  url = {https://w3id.org/eocic/id/section/3},
}
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from eocic_kg.catalogue import internal
from eocic_kg.prefixes import ID_NAMESPACE
from eocic_kg.queries import select

if TYPE_CHECKING:
    from eocic_kg.store_api import StoreAPI


def report_parts(store: StoreAPI, iris: list[str]) -> dict[str, dict[str, Any]]:
    """What the graph holds about each report part of `iris` and its report (one query);
    IRIs that are no part of a report (nor a report) are left out."""
    if not iris:
        return {}
    rows = select(internal("report-parts").filled(part=iris), store=store)
    found = {}
    for row in rows:
        report = {
            "iri": row["report"],
            "label": row.get("reportLabel"),
            "publisher": row.get("publisher"),
            "language": row.get("language"),
        }
        part: dict[str, Any] = {
            "iri": row["part"],
            "report": {k: v for k, v in report.items() if v},
        }
        if row.get("isReport") not in ("true", "1"):
            part["label"] = row.get("label")
            part["page"] = row.get("page")
        found[row["part"]] = {k: v for k, v in part.items() if v}
    return found


def sources_of(store: StoreAPI, iris: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The report parts each of `iris` is derived from, each with a quote when the graph gives
    one (the resource's own quotes and those of its qualified statements); one query."""
    found: dict[str, list[dict[str, Any]]] = {iri: [] for iri in iris}
    if iris:
        for row in select(internal("sources-of").filled(node=iris), store=store):
            found[row.pop("node")].append({k: v for k, v in row.items() if v})
    return found


def csl_item(part: dict[str, Any], quote: str | None = None) -> dict[str, Any]:
    """A CSL-JSON item citing the report at `part` (from `report_parts`), with `quote`."""
    report = part["report"]
    item: dict[str, Any] = {"id": _key(part["iri"]), "type": "report"}
    if report.get("label"):
        item["title"] = report["label"]
    if report.get("publisher"):
        item["publisher"] = report["publisher"]
    if report.get("language"):
        item["language"] = report["language"]
    if part.get("label"):
        item["section"] = part["label"]
    if part.get("page"):
        item["page"] = str(part["page"])
    if quote:
        item["note"] = f"Quote: \u201c{quote}\u201d"
    item["URL"] = part["iri"]
    return item


def _key(iri: str) -> str:
    local = iri[len(ID_NAMESPACE) :] if iri.startswith(ID_NAMESPACE) else iri
    return "eocic_" + re.sub(r"[^A-Za-z0-9]+", "_", local).strip("_")


#: What each character special to TeX becomes in a BibTeX field: no control sequence of the
#: data (``\\input``, ``\\write18``) reaches TeX, and braces stay balanced for BibTeX, which
#: counts them even after a backslash.
_TEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    **{c: "\\" + c for c in "&%$#_"},
}
_TEX_SPECIAL = re.compile("[" + re.escape("".join(_TEX_ESCAPES)) + "]")


def _bibtex_text(text: str) -> str:
    """`text` as the literal content of a BibTeX field (every TeX special character escaped)."""
    return _TEX_SPECIAL.sub(lambda m: _TEX_ESCAPES[m.group()], text)


def bibtex(item: dict[str, Any]) -> str:
    """The CSL-JSON `item` as a BibTeX (biblatex ``@report``) entry."""
    fields = [
        ("title", item.get("title")),
        ("institution", item.get("publisher")),
        ("language", item.get("language")),
        ("chapter", item.get("section")),
        ("pages", item.get("page")),
    ]
    lines = [f"@report{{{item['id']},"]
    lines += [f"  {name} = {{{_bibtex_text(value)}}}," for name, value in fields if value]
    if item.get("note"):
        quote = item["note"].removeprefix("Quote: \u201c").removesuffix("\u201d")
        lines.append(f"  note = {{Quote: ``{_bibtex_text(quote)}''}},")
    lines.append(f"  url = {{{item['URL']}}},")
    lines.append("}")
    return "\n".join(lines)


def citations(store: StoreAPI, iri: str, limit: int = 5) -> list[dict[str, Any]]:
    """Citations of what the graph says about `iri`: one per report part (with a quote of
    that part when there is one), at most `limit`; each as {"part", "quote", "csl", "bibtex",
    "csl_json"}."""
    return citations_of(store, [iri], limit)[iri]


def citations_of(
    store: StoreAPI, iris: list[str], limit: int = 5
) -> dict[str, list[dict[str, Any]]]:
    """`citations` of each of `iris`, found with two queries whatever their number."""
    chosen: dict[str, list[tuple[str, str | None]]] = {}
    for iri, sources in sources_of(store, iris).items():
        seen: dict[str, str | None] = {}
        for source in sources:
            part = source["part"]
            if part not in seen or (seen[part] is None and source.get("quote")):
                seen[part] = source.get("quote")
        chosen[iri] = list(seen.items())[:limit]
    parts = report_parts(store, sorted({part for pairs in chosen.values() for part, _ in pairs}))
    return {
        iri: [_citation(parts[part], quote) for part, quote in pairs if part in parts]
        for iri, pairs in chosen.items()
    }


def _citation(part: dict[str, Any], quote: str | None) -> dict[str, Any]:
    item = csl_item(part, quote)
    csl_json = json.dumps([item], ensure_ascii=False, indent=2)
    return {
        "part": part["iri"],
        "quote": quote,
        "csl": item,
        "bibtex": bibtex(item),
        "csl_json": csl_json,
    }
