"""The front's access log: one line per request, handed to the logger in batches.

A line written through `logging` on its own cost the worker ~15 us of CPU per request (a
record, a formatter, a lock, a write and a flush), about what reading the request costs. So
the front keeps its lines and hands them to Granian's access logger (`granian.access`, which
writes each message as it is to standard output) together: `FLUSH_AFTER` seconds after the
first one, as soon as `BATCH_BYTES` are kept, and when the worker exits (as nginx's
`access_log ... buffer= flush=`). A worker killed outright loses its last `FLUSH_AFTER` seconds
of lines at most.
"""

from __future__ import annotations

import asyncio
import logging
from multiprocessing.util import Finalize
from typing import Any

#: Seconds a line waits at most before it is written, and bytes that are written at once.
FLUSH_AFTER = 0.1
BATCH_BYTES = 32 * 1024

access = logging.getLogger("granian.access")


class AccessLog:
    """Lines of one worker's requests (`add` on its event loop), written in batches."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None

    def flush_at_exit(self) -> None:
        """Write what is kept when this process exits, after its event loop stopped (as a
        Granian worker does: multiprocessing runs its finalizers)."""
        Finalize(self, self.flush, exitpriority=10)

    def add(self, scope: dict[str, Any], status: int, sent: int, seconds: float) -> None:
        """Keep the line of a request: client, request line, status, body bytes, time (as
        `serve`'s gunicorn logger writes it)."""
        if not access.isEnabledFor(logging.INFO):
            return
        client = (scope.get("client") or ("-",))[0]
        line = (
            f'{client} "{scope["method"]} {target(scope)} HTTP/{scope.get("http_version", "1.1")}"'
            f" {status} {sent} {int(seconds * 1000)}ms"
        )
        self._lines.append(line)
        self._size += len(line)
        if self._size >= BATCH_BYTES:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_AFTER, self.flush)

    def flush(self) -> None:
        """Write the lines kept so far, as one message."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._lines:
            lines, self._lines, self._size = self._lines, [], 0
            access.info("%s", "\n".join(lines))


def target(scope: dict[str, Any]) -> str:
    """The request target as the client sent it: path and query string."""
    query = scope["query_string"]
    path = scope.get("raw_path") or scope["path"].encode()
    return (path + (b"?" + query if query else b"")).decode("latin-1")
