"""Probes for orchestrators: `/health` (the process answers) and `/ready` (it can serve queries).

`/health` never touches the store, so it stays fast while queries run. `/ready` answers 200
only when the store is loaded and a query executor answers `ASK {}` within the time limit;
otherwise 503, so a load balancer sends no traffic to a server that cannot answer.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from eocic_kg.web.pool import QueryTimeout, ServerBusy

health = Blueprint("health", __name__)


@health.get("/health")
def liveness() -> Response:
    """Liveness: 200 as long as the process handles requests."""
    return jsonify(status="ok")


@health.get("/ready")
def readiness() -> tuple[Response, int]:
    """Readiness: the store is loaded and an executor answers a trivial query."""
    backend = current_app.extensions.get("eocic")
    if backend is None:
        return jsonify(status="starting", reason="no store loaded"), 503
    try:
        result = backend.pool.query(text="ASK {}", tabular="json", graph=None)
    except (QueryTimeout, ServerBusy, RuntimeError) as e:
        return jsonify(status="unavailable", reason=str(e)), 503
    if result.kind != "boolean":
        return jsonify(status="unavailable", reason="unexpected probe result"), 503
    with backend.pool.lock:
        quads = len(backend.store)
    return jsonify(status="ready", quads=quads, writable=backend.writable), 200
