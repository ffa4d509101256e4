"""HTML pages: rendered from Jinja templates under one Content-Security-Policy."""

from __future__ import annotations

from flask import Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

#: Content-Security-Policy of every response: nothing but this server's own assets, and no
#: page of another site may frame ours.
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def html_response(template: str, **context: object) -> Response:
    """A rendered page with the Content-Security-Policy."""
    response = Response(
        render_template(template, **context), content_type="text/html; charset=utf-8"
    )
    response.headers["Content-Security-Policy"] = CSP
    response.vary.add("Accept")
    return response


def not_found(error: HTTPException) -> Response:
    """A 404 as the client prefers it: a page with search and navigation for a browser, JSON
    for a client that asks for it, else one line of plain text."""
    kind = request.accept_mimetypes.best_match(["text/plain", "application/json", "text/html"])
    if kind == "text/html":
        response = html_response("not_found.html", message=error.description, path=request.path)
    elif kind == "application/json":
        response = jsonify(status=404, error=error.name, message=error.description)
    else:
        response = Response(
            f"404 {error.name}: {error.description}\n", content_type="text/plain; charset=utf-8"
        )
    response.status_code = 404
    response.vary.add("Accept")
    return response
