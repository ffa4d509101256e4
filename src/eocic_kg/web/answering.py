"""Answering a query over HTTP: run it in the pool under the server's limits, and turn the
engine's errors into statuses a person can act on. Shared by every route that runs a query."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from flask import Response, abort, request

from eocic_kg.errors import EngineError, NotAcceptableError, QueryError, StoreBusyError
from eocic_kg.store_api import QueryRequest
from eocic_kg.web.backend import Backend
from eocic_kg.web.pool import ClientGone, ExecutorFailed, Unavailable


def answer(b: Backend, query: QueryRequest) -> Response:
    """Run `query` in the pool, under the server's row limit, and make the HTTP response.

    Errors become 400 (bad query), 406 (no acceptable format), 503 (time limit, busy) or 500
    (the engine failed); a result cut at `max_rows` says so in its headers.
    """
    # stop the query if its client hangs up: the front's signal, or gunicorn's client socket
    client = request.environ.get("eocic.hang_up_fd", request.environ.get("gunicorn.socket"))
    with engine_errors("query"):
        result = b.pool.query(replace(query, max_rows=b.settings.max_rows), client=client)
    response = Response(result.body, content_type=with_charset(result.media_type))
    response.vary.add("Accept")
    if result.truncated:
        response.headers["X-EOCIC-Truncated"] = "true"
        response.headers["X-EOCIC-Max-Rows"] = str(b.settings.max_rows)
    return response


@contextmanager
def engine_errors(what: str) -> Iterator[None]:
    """Turn the errors of a store operation into HTTP errors that say what to do."""
    try:
        yield
    except StoreBusyError as e:
        abort(503, str(e))
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
