"""Probes for orchestrators: `/health` (the process answers) and `/ready` (it can serve data).

`/health` touches neither the store nor any lock, so it stays fast while queries run. `/ready`
answers 200 only when an executor has just answered a real query (never the result cache)
showing each of the release's graphs loaded and non-empty, and the pages can read the release
(the derived view they all start from); otherwise 503 (also while a writable store is still
opening, replaying its log), so a load balancer sends no traffic to a server that cannot
answer, has nothing to serve or whose pages would fail.
"""

from __future__ import annotations

import functools
import json

from flask import Blueprint, Response, jsonify

from eocic_kg.catalogue import internal
from eocic_kg.errors import QueryError, StoreBusyError
from eocic_kg.namespaces import RELEASE_GRAPHS
from eocic_kg.store_api import QueryRequest
from eocic_kg.web.backend import backend
from eocic_kg.web.pool import ExecutorFailed, Unavailable
from eocic_kg.web.release_view import release

health = Blueprint("health", __name__)


@functools.cache
def _probe() -> str:
    """The readiness query: does each release graph hold a triple (filled in once)."""
    return internal("ready-probe").filled(g=RELEASE_GRAPHS).text


@health.get("/health")
def liveness() -> Response:
    """Liveness: 200 as long as the process handles requests."""
    return jsonify(status="ok")


@health.get("/ready")
def readiness() -> tuple[Response, int]:
    """Readiness: an executor answers now, and every release graph holds triples."""
    b = backend()
    try:
        result = b.pool.query(QueryRequest(_probe()), cached=False)
    except (Unavailable, ExecutorFailed, QueryError, StoreBusyError) as e:
        return jsonify(status="unavailable", reason=str(e)), 503
    rows = json.loads(result.body)["results"]["bindings"]
    # Virtuoso writes the boolean of EXISTS as the integer 1
    filled = {row["g"]["value"] for row in rows if row["filled"]["value"] in ("true", "1")}
    empty = [str(g) for g in RELEASE_GRAPHS if str(g) not in filled]
    if empty:
        return jsonify(status="unavailable", reason="empty or missing graphs", graphs=empty), 503
    try:
        release()
    except Exception as e:  # whatever stops the pages stops the readiness
        reason = f"the pages cannot read the release: {type(e).__name__}: {e}"
        return jsonify(status="unavailable", reason=reason), 503
    return jsonify(status="ready", writable=b.settings.writable), 200
