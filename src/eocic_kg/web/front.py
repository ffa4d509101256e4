"""The event-driven front: Granian reads requests, a thin ASGI adapter runs the Flask app.

A threaded WSGI server reads each request with a blocking socket in one of a few threads, so a
handful of clients that send a request one byte at a time hold every thread (slowloris). Here
no Python thread waits on a client: Granian (Rust) reads the request line and headers under a
time limit, and `Front` reads the body on the event loop under an idle limit and the app's
size limit (413 before the rest arrives). Only a whole request reaches the app: a SPARQL or
named query that an idle executor can take now is answered on the event loop
(`HotRoutes.now`), anything else by the hot routes or the Flask app in a bounded thread pool
with an ordinary WSGI environ.

While the request runs, `Front` listens for the client's hang-up (the ASGI `http.disconnect`)
and then completes the future the loop's query awaits, and makes the descriptor
`environ["eocic.hang_up_fd"]` readable: the query pool polls it from a thread. Either way the
query of a client that has gone is stopped (`eocic_kg.web.pool`).

`serve` forks Granian's workers from a process where the app, its store and its warmed views
already live, so they are shared copy-on-write, as under gunicorn's `preload_app`.
"""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing
import os
import resource
import select
import socket
import sys
import time
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from signal import SIGKILL
from typing import Any
from urllib.parse import unquote_to_bytes

from granian.constants import Interfaces, Loops
from granian.http import HTTP1Settings
from granian.server import Server

from eocic_kg.sandbox import die_with_parent
from eocic_kg.web.access_log import AccessLog, target
from eocic_kg.web.exchange import Reply
from eocic_kg.web.hot import HotRoutes

#: Seconds a client may take to send the request line and headers, and between two parts of
#: its body.
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
#: Seconds a client may take to take each piece of an answer (as nginx's `send_timeout`): a
#: client that stops reading a streamed result lets go of the executor sending it.
SEND_TIMEOUT = 10.0
#: Paths whose bodies are queries or forms holding one.
QUERY_PATHS = frozenset({"/sparql", "/api/standalone"})
#: Connections one worker may hold open (slow clients cost a few KiB each, no thread), and
#: descriptors kept for everything else.
MAX_CONNECTIONS = 65536
_RESERVED_FDS = 256
#: Seconds a request runs before the front watches for its client's hang-up.
WATCH_AFTER = 0.25
#: Bytes of a response read from the app per hand-over to the event loop.
_CHUNK = 64 * 1024

log = logging.getLogger(__name__)
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Started = tuple[int, list[tuple[bytes, bytes]], bytes, Any]


class _Refused(Exception):
    """The request body cannot be read: answer `status` with `message` and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Front:
    """An ASGI app that reads whole requests, then runs `app` (WSGI) in `threads` threads.

    A body above `limit(path)` bytes gets 413; one that stalls for `body_timeout` seconds, 408.
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        threads: int,
        limit: Callable[[str], int],
        body_timeout: float = BODY_TIMEOUT,
        send_timeout: float = SEND_TIMEOUT,
        hot: HotRoutes | None = None,
    ) -> None:
        self._app = app
        self._send_timeout = send_timeout
        self._hot = hot
        self._threads = ThreadPoolExecutor(threads, thread_name_prefix="request")
        # Relaying a streamed answer lets go of its executor when done: it never waits behind
        # requests that wait for an executor (they would hold every request thread meanwhile).
        self._relays = ThreadPoolExecutor(threads, thread_name_prefix="relay")
        self._watchers = ThreadPoolExecutor(threads, thread_name_prefix="hang-up")
        self._limit = limit
        self._body_timeout = body_timeout
        self.access_log = AccessLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        started = time.monotonic()
        try:
            body = await self._body(scope, receive)
        except _Refused as e:
            status, sent = e.status, await _plain(send, e.status, str(e))
        else:
            status, sent = await self._answer(scope, body, receive, send)
        self.access_log.add(scope, status, sent, time.monotonic() - started)

    async def _answer(
        self, scope: Scope, body: bytes, receive: Receive, send: Send
    ) -> tuple[int, int]:
        """Run the app on the whole request; its status and the body bytes sent.

        A SPARQL or named query that an idle executor can take now is answered on the event
        loop (`HotRoutes.now`); the rest in a request thread. The hang-up signal lives until
        the whole answer is sent: a streamed result is relayed while the pool watches it (and
        stops the executor if the client leaves)."""
        loop = asyncio.get_running_loop()
        hang_up = _HangUp(loop)
        watcher: list[asyncio.Task[None]] = []  # from WATCH_AFTER s on: quick ones need none

        def watch() -> None:
            watcher.append(loop.create_task(self._signal_hang_up(scope, receive, hang_up)))

        timer = loop.call_later(WATCH_AFTER, watch)
        try:
            environ = _environ(scope, body)
            hot = self._hot
            reply = None if hot is None else await hot.now(environ, hang_up.gone, hang_up.fd)
            if reply is not None and isinstance(reply.body, bytes):
                status, headers, first, rest = _started(reply)
            elif reply is not None:  # a streamed result: its first piece may take a while
                status, headers, first, rest = await _made(self._relays.submit(_started, reply))
            else:
                environ["eocic.hang_up_fd"] = hang_up.fd()
                started = self._threads.submit(_start, self._app, environ, hot)
                status, headers, first, rest = await _made(started)
            return status, await self._respond(send, status, headers, first, rest)
        finally:
            timer.cancel()
            for task in watcher:
                task.cancel()
            hang_up.close()

    async def _signal_hang_up(self, scope: Scope, receive: Receive, hang_up: _HangUp) -> None:
        """Signal `hang_up` when the client hangs up (watched from `WATCH_AFTER` seconds into
        a request: the pool stops the query of a client that has gone).

        Granian says so (`http.disconnect`) when it sees the connection close, but it does not
        read a connection whose response is pending: after a pipelined byte it never sees the
        end. So the connection's socket is watched too, for the peer's close (a thread blocked
        in poll until the request ends).
        """
        loop = asyncio.get_running_loop()
        watches: list[asyncio.Future[Any]] = [loop.create_task(_disconnected(receive))]
        stop = -1
        try:
            if (sock := _connection(scope)) is not None:
                stop_r, stop = os.pipe()
                watches.append(loop.run_in_executor(self._watchers, _closed, sock, stop_r))
            done, _ = await asyncio.wait(watches, return_when=FIRST_COMPLETED)
            if any(task.result() is not False for task in done):  # False: stopped, not closed
                hang_up.signal()
        finally:
            watches[0].cancel()
            if stop != -1:
                os.close(stop)  # the watching thread wakes and closes its side

    async def _body(self, scope: Scope, receive: Receive) -> bytes:
        limit = self._limit(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is None and _header(scope, b"transfer-encoding") is None:
            return b""  # no body: nothing to wait for (the hang-up watcher reads past it)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _Refused(413, _too_large(limit))
        parts: list[bytes] = []
        size = 0
        while True:
            try:
                async with asyncio.timeout(self._body_timeout):
                    message = await receive()
            except TimeoutError:
                raise _Refused(
                    408, f"the request body stalled for {self._body_timeout:g} s"
                ) from None
            if message["type"] == "http.disconnect":  # Granian's word for bad framing too
                raise _Refused(400, "the request body is malformed or ended before it was whole")
            part = message.get("body", b"")
            size += len(part)
            if size > limit:
                raise _Refused(413, _too_large(limit))
            parts.append(part)
            if not message.get("more_body"):
                return b"".join(parts)

    async def _respond(
        self, send: Send, status: int, headers: list[tuple[bytes, bytes]], first: bytes, rest: Any
    ) -> int:
        """Send the answer, each piece within the send time limit; the body bytes sent.

        A client that takes no piece for `send_timeout` seconds is cut off (the connection
        closes with the answer unfinished), so the executor of a streamed result is let go.
        An answer of one piece needs no limit: Granian takes it whole at once (its `send`
        returns before the client reads any of it), and no executor waits for the client."""
        start = {"type": "http.response.start", "status": status, "headers": headers}
        if rest is None:
            await send(start)
            await send({"type": "http.response.body", "body": first})
            return len(first)
        loop = asyncio.get_running_loop()
        sent = 0
        try:
            # one timer for the whole answer (a timer costs more than a small send), re-armed
            # for each further piece and stopped while a piece is read from the executor
            async with asyncio.timeout(self._send_timeout) as limit:
                await send(start)
                await send({"type": "http.response.body", "body": first, "more_body": True})
                sent += len(first)
                while rest is not None:
                    limit.reschedule(None)
                    chunk = await loop.run_in_executor(self._relays, _read, rest)
                    done = rest.done
                    limit.reschedule(loop.time() + self._send_timeout)
                    await send({"type": "http.response.body", "body": chunk, "more_body": not done})
                    sent += len(chunk)
                    if done:
                        rest = None
        except TimeoutError:
            log.warning("cut off a client that took no answer for %g s", self._send_timeout)
        finally:
            if rest is not None:  # the client left, or was cut off, while the answer streamed
                await loop.run_in_executor(self._relays, _close, rest)
        return sent


class _HangUp:
    """A request's client hang-up, as the front learns it: `gone` is done, and the pipe that
    the pool polls from a thread (made when first asked for, `fd`) becomes readable."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.gone: asyncio.Future[None] = loop.create_future()
        self._pipe: tuple[int, int] | None = None

    def fd(self) -> int:
        """The descriptor that is readable once the client has hung up."""
        if self._pipe is None:
            self._pipe = os.pipe()
            if self.gone.done():
                os.write(self._pipe[1], b"x")
        return self._pipe[0]

    def signal(self) -> None:
        if not self.gone.done():
            self.gone.set_result(None)
            if self._pipe is not None:
                os.write(self._pipe[1], b"x")

    def close(self) -> None:
        if self._pipe is not None:
            for fd in self._pipe:
                os.close(fd)


async def _made(started: Future[Started]) -> Started:
    """The answer a thread makes; if the request is cancelled first, the answer, once made,
    lets go of its executor."""
    try:
        return await asyncio.wrap_future(started)
    except asyncio.CancelledError:
        started.add_done_callback(_close_started)
        raise


async def _disconnected(receive: Receive) -> None:
    """Return when Granian says the client disconnected."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _connection(scope: Scope) -> socket.socket | None:
    """A duplicate of this process's socket of the request's TCP connection, found by its two
    addresses (None: not found, e.g. a Unix socket, or already closed)."""
    client, server = scope.get("client"), scope.get("server")
    if not client or not server or not os.path.isdir("/proc/self/fd"):
        return None
    peer, own = (client[0], int(client[1])), (server[0], int(server[1]))  # Granian: str ports
    for name in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            sock = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue
        try:
            if (
                sock.type == socket.SOCK_STREAM
                and sock.getpeername()[:2] == peer
                and sock.getsockname()[:2] == own
            ):
                return sock
        except OSError:
            pass
        sock.close()
    return None


def _closed(sock: socket.socket, stop: int) -> bool:
    """Wait until the peer of `sock` closes it (True; even with unread bytes before the end)
    or `stop` becomes readable or hung up (False); close both."""
    poller = select.poll()
    poller.register(sock, select.POLLRDHUP)
    poller.register(stop, select.POLLIN)
    try:
        return any(fd == sock.fileno() for fd, _ in poller.poll())
    finally:
        sock.close()
        os.close(stop)


def _start(app: WSGIApp, environ: dict[str, Any], hot: HotRoutes | None = None) -> Started:
    """Answer with `hot` if it answers, else call `app`; the status, headers, first bytes, and
    the rest (None if all was read)."""
    reply = None if hot is None else hot(environ)
    if reply is not None:
        return _started(reply)
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return lambda data: None  # the legacy write() callable: our app never uses it

    body = _Body(app(environ, start_response))
    first = _read(body)
    status, headers = started
    return int(status.split(None, 1)[0]), _encoded(headers), first, None if body.done else body


def _started(reply: Reply) -> Started:
    """`_start`'s answer for `reply`: a streamed body's first bytes are read (they may wait)."""
    if isinstance(reply.body, bytes):
        return reply.status, _encoded(reply.headers), reply.body, None
    body = _Body(reply.body)
    first = _read(body)
    return reply.status, _encoded(reply.headers), first, None if body.done else body


def _encoded(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]


class _Body:
    """A WSGI response iterable, read in chunks of about `_CHUNK` bytes."""

    def __init__(self, result: Iterable[bytes]) -> None:
        self.result = result
        self.parts: Iterator[bytes] = iter(result)
        self.done = False


def _read(body: _Body) -> bytes:
    """The next bytes of `body`, about `_CHUNK`; at its end it is closed and marked done."""
    parts: list[bytes] = []
    size = 0
    while size < _CHUNK:
        part = next(body.parts, None)
        if part is None:
            body.done = True
            _close(body)
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _close(body: _Body) -> None:
    close = getattr(body.result, "close", None)
    if close is not None:
        close()


def _close_started(started: Future[Started]) -> None:
    """Close the unread rest of an answer that `_start` made for a request that was cancelled."""
    answered = not started.cancelled() and started.exception() is None
    if answered and (rest := started.result()[3]) is not None:
        _close(rest)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _too_large(limit: int) -> str:
    return f"the request body is larger than the limit of {limit} bytes"


async def _plain(send: Send, status: int, message: str) -> int:
    body = f"{message}\n".encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return len(body)


def _environ(scope: Scope, body: bytes, hang_up: int | None = None) -> dict[str, Any]:
    """The WSGI environ of the ASGI request `scope` with its whole `body` (and the descriptor
    that says the client hung up, if it is known yet)."""
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope["query_string"]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", ""),
        "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
        "QUERY_STRING": query.decode("latin-1"),
        "RAW_URI": target(scope),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if hang_up is not None:
        environ["eocic.hang_up_fd"] = hang_up
    for key, value in scope["headers"]:
        name = key.decode("latin-1").upper().replace("-", "_")
        if name in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):  # the body is whole: its length
            continue
        if name != "CONTENT_TYPE":
            name = f"HTTP_{name}"
        text = value.decode("latin-1")
        environ[name] = f"{environ[name]},{text}" if name in environ else text
    return environ


def body_limit(app: Any) -> Callable[[str], int]:
    """The body limit of a path of the Flask `app`: a query's on the routes whose bodies are
    queries (as they enforce it, `eocic_kg.web.request_input`), else the upload limit."""
    upload = app.config["MAX_CONTENT_LENGTH"]
    query = min(app.extensions["eocic"].settings.max_query_bytes, upload)
    return lambda path: query if path in QUERY_PATHS else upload


def connections_per_worker() -> int:
    """How many connections a worker may hold: its descriptor limit (raised to the hard limit,
    at most `MAX_CONNECTIONS`) less a reserve for the store, executors and pipes."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_CONNECTIONS if hard == resource.RLIM_INFINITY else min(hard, MAX_CONNECTIONS)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return max(64, wanted - _RESERVED_FDS)


def serve(
    app: Any,
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    grace: float,
    header_timeout: float = HEADER_TIMEOUT,
) -> None:
    """Serve the Flask `app` with Granian's `workers`, forked from this process."""
    if multiprocessing.get_start_method() != "fork":
        raise RuntimeError("the granian front needs the 'fork' start method (Linux)")
    limit = body_limit(app)
    server = Server(
        "eocic_kg",  # never imported: the loader below hands over the app built here
        address=host.strip("[]"),
        port=port,
        interface=Interfaces.ASGINL,
        # asyncio's own loop, never "auto" (which takes uvloop or rloop when installed): under
        # uvloop a client that stopped reading a large streamed answer was not cut off and
        # got all of it (tests/test_front.py, slow readers, which runs with uvloop installed)
        loop=Loops.asyncio,
        workers=workers,
        backlog=2048,
        backpressure=connections_per_worker(),  # Granian's default, 1,024 in all, is too few
        http1_settings=HTTP1Settings(header_read_timeout=int(header_timeout * 1000)),
        workers_kill_timeout=int(grace),
    )

    master = os.getpid()

    def load(_target: str) -> Front:
        """In each worker, right after the fork: end when the master dies (a master killed
        outright left its workers serving), start the pool's zygote, serve.

        The end is SIGKILL, not a graceful SIGTERM: an orphaned Granian worker sometimes hangs
        for good in its SIGTERM handler (`WorkerSignal.set` waiting on a lock, seen on Python
        3.13), and no master is left to kill it after its grace period. Its zygote sees the
        control socket close and stops the executors (a writer cleanly)."""
        die_with_parent(master, SIGKILL)
        app.extensions["eocic"].pool.start()
        front = Front(app, threads=threads, limit=limit, hot=HotRoutes(app))
        front.access_log.flush_at_exit()
        return front

    server.serve(target_loader=load)
