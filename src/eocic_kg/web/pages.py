"""HTML pages: rendered from Jinja templates under one Content-Security-Policy."""

from __future__ import annotations

from flask import Response, render_template

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
