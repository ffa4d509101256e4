"""Queries run in process: `select` answers a named query (of `eocic_kg.catalogue`) or any
SPARQL text with plain Python rows.

It runs a named query, or any SPARQL text, in process on the release graph; like the
endpoint, it accepts the predeclared prefixes of `eocic_kg.prefixes` without PREFIX lines:

>>> rows = select("regions-by-challenge", challenge="https://w3id.org/eocic/id/challenge/funding")
>>> [row["regionLabel"] for row in rows][:2]
['East & North Finland', 'Lithuania']
>>> select("SELECT (COUNT(*) AS ?n) WHERE { ?m a eocic:Measure }")
[{'n': 18}]
>>> select("SELECT ?label WHERE { region:saxony rdfs:label ?label }")
[{'label': 'Saxony'}]

Values are plain: an IRI or a literal's lexical form as `str`, integers as `int`, decimals and
doubles as `float`, a blank node as `_:label` (its N-Triples form).
"""

from __future__ import annotations

import difflib
import functools
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from eocic_kg.catalogue import NAME, NamedQuery, ParameterError, load_catalogue
from eocic_kg.prefixes import BASE_IRI
from eocic_kg.resources import package_release_file
from eocic_kg.results import plain_rows
from eocic_kg.store import Store
from eocic_kg.store_api import QueryRequest, StoreAPI, from_graphs, missing_graph


@functools.cache
def _release_store(path: Path) -> Store:
    if not path.exists():
        from eocic_kg.build import build

        print(f"eocic-kg: no release at {path}; building it (about a minute)", file=sys.stderr)
        build(path)
    return Store.from_file(path)


def select(
    query: str | NamedQuery,
    *,
    store: StoreAPI | None = None,
    graphs: Sequence[str] = (),
    **values: str | int | float | Decimal,
) -> list[dict[str, Any]]:
    """Run `query` in process: a name of the catalogue, a `NamedQuery` or SPARQL text.

    `values` are the named query's parameters (defaults filled in), as text or numbers; for a
    query named by its name, an IRI value that nothing in the graph mentions raises
    UnknownResourceError (as the API's 400) rather than giving no rows. The store is the release
    graph unless `store` is given: `eocic_kg.resources.package_release_file()`, found from the
    package, not the working directory (built there, saying so on stderr, when missing).
    `graphs`, if any, are the named graphs whose union is the default graph. Rows are dicts
    of plain values: IRIs and strings as str, integers and decimals as numbers; an unbound
    variable is absent from its row. Predeclared prefixes (``eocic:``, ``region:``...) need
    no PREFIX line; a bad query raises `eocic_kg.store.QueryError` with a readable message.
    """
    named = query if isinstance(query, NamedQuery) else None
    if named is None and NAME.fullmatch(str(query)):
        # a bare name is never SPARQL text: an unknown one was run as a query (a syntax
        # error naming the name), or refused its parameters as "only for named queries"
        catalogue = load_catalogue()
        named = catalogue.get(str(query))
        if named is None:
            close = difflib.get_close_matches(str(query), list(catalogue), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError(f"no named query {str(query)!r}{hint}")
    given = {name: _as_text(name, value) for name, value in values.items()}
    text, bindings = (named.text, named.bindings(given)) if named else (str(query), {})
    if values and not named:
        raise ParameterError("parameters are only for named queries")
    target: StoreAPI = _release_store(package_release_file()) if store is None else store
    # a NamedQuery passed in (the pages' internal queries, over every release graph) runs as
    # it is; asked for by name or as text, a query is checked as the API checks it: a graph of
    # the release's own that the store lacks, or an IRI argument that nothing mentions, is an
    # error, not no rows
    internal = isinstance(query, NamedQuery)
    asked = () if internal else (*graphs, *from_graphs(text))
    if missing := missing_graph(target, asked, BASE_IRI):
        raise ParameterError(f"{missing}: graphs= and FROM name graphs by their full IRIs")
    mentioned = named.mentioned(bindings) if named and not internal else ()
    request = QueryRequest(
        text, default_graphs=tuple(graphs), substitutions=bindings, mentioned=mentioned
    )
    result = target.query(request)
    return plain_rows(result)


def _as_text(name: str, value: object) -> str:
    """A parameter value as the API receives it: text as it is, a number as its digits
    (`threshold=70` is `threshold=70` in a URL); anything else is a ParameterError."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    raise ParameterError(f"{name}={value!r}: a parameter's value is text or a number")
