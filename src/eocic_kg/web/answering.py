"""Answering a query over HTTP: run it in the pool under the server's limits, and turn the
engine's errors into statuses a person can act on. Shared by every route that runs a query, and
by the hot routes (`eocic_kg.web.hot`): `answer` needs no Flask request, and `response` makes
its reply a Flask response."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response, abort

from eocic_kg.errors import (
    EngineError,
    NotAcceptableError,
    QueryError,
    StoreBusyError,
    UnknownResourceError,
)
from eocic_kg.results import Result
from eocic_kg.store_api import QueryRequest
from eocic_kg.web.backend import Backend
from eocic_kg.web.exchange import Reply
from eocic_kg.web.pool import ClientGone, ExecutorFailed, Streamed, Unavailable


def answer(b: Backend, query: QueryRequest, client: Any = None) -> Reply:
    """Run `query` (made under the server's row limit: `protocol.query_request`,
    `named_queries.request_of`) in the pool; the reply streams a large result.

    Errors become 400 (bad query), 406 (no acceptable format), 503 (time limit, busy, the
    client hung up), 502 (a remote engine failed) or 500 (the executor failed); a result cut
    at `max_rows` says so in its headers. `client` tells the pool when the client hangs up.
    """
    return answered(b, lambda: b.pool.stream(query, client=client))


def answered(b: Backend, run: Callable[[], Result | Streamed]) -> Reply:
    """The reply of the query that `run` runs in the pool (`answer` says how)."""
    with engine_errors("query"):
        result = run()
    body: bytes | Streamed
    if isinstance(result, Streamed):
        meta, size, body = result.result, result.size, result
    else:
        meta, size, body = result, len(result.body), result.body
    headers = [
        ("Content-Type", with_charset(meta.media_type)),
        ("Content-Length", str(size)),
        ("Vary", "Accept"),
    ]
    if meta.truncated:
        headers += [("X-EOCIC-Truncated", "true"), ("X-EOCIC-Max-Rows", str(b.settings.max_rows))]
    return Reply(200, headers, body)


@contextmanager
def engine_errors(what: str) -> Iterator[None]:
    """Turn the errors of a store operation into HTTP errors that say what to do."""
    try:
        yield
    except StoreBusyError as e:
        abort(503, str(e))
    except UnknownResourceError as e:  # the query is fine; an argument names nothing
        abort(400, str(e))
    except QueryError as e:
        abort(400, f"malformed or refused {what}: {e}")
    except EngineError as e:  # the remote engine's failure, not ours: a bad gateway
        abort(502, str(e))
    except NotAcceptableError as e:
        abort(406, f"no acceptable media type for {e}")
    except Unavailable as e:
        abort(503, str(e))
    except ExecutorFailed as e:
        abort(500, str(e))
    except ClientGone as e:  # nobody reads this answer; the access log shows it
        abort(503, str(e))


def with_charset(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def response(reply: Reply) -> Response:
    """The Flask response of `reply`."""
    return Response(reply.body, status=reply.status, headers=reply.headers)
