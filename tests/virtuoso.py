"""A private OpenLink Virtuoso on loopback, for the tests and `bench/bench_peers.py`.

Debian's `virtuoso-opensource` runs one system-wide server from
`/etc/virtuoso-opensource-7/virtuoso.ini`; we never touch it. `start_virtuoso(directory)`
writes an ini of its own into `directory` (database, transaction log and temp files there, SQL
and HTTP ports free loopback ports, both bound to 127.0.0.1) and starts `virtuoso-t -f -c
FILE`. A fresh database has the user `dba` with the password `dba`; its SPARQL endpoint is
`/sparql` (anonymous, read-only) and its authenticated Graph Store `/sparql-graph-crud-auth`
(HTTP digest).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

#: The server binary: $EOCIC_VIRTUOSO, else `virtuoso-t` on PATH (Debian's package).
VIRTUOSO = os.environ.get("EOCIC_VIRTUOSO") or shutil.which("virtuoso-t")
USER = "dba"
PASSWORD = "dba"  # a fresh database's; the server listens on loopback only


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Virtuoso:
    """A running private Virtuoso."""

    directory: Path
    http_port: int
    sql_port: int
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql(self) -> str:
        return f"{self.base}/sparql"

    @property
    def graph_store(self) -> str:
        return f"{self.base}/sparql-graph-crud-auth"

    @property
    def log(self) -> str:
        path = self.directory / "virtuoso.log"
        return path.read_text(errors="replace") if path.is_file() else ""

    def stop(self) -> None:
        """Stop the server (SIGTERM: Virtuoso checkpoints and exits), killing it if it hangs."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def write_ini(
    directory: Path,
    sql_port: int,
    http_port: int,
    *,
    max_rows: int = 10_000,
    max_seconds: int = 60,
    buffers: int = 10_000,
) -> Path:
    """A virtuoso.ini whose every file is in `directory` and which listens on loopback only.

    `max_rows` is `ResultSetMaxRows` (Debian's default 10,000), `max_seconds`
    `MaxQueryExecutionTime`, `buffers` `NumberOfBuffers` (8 KiB pages held in memory).
    """
    d = directory.resolve()
    ini = d / "virtuoso.ini"
    ini.write_text(
        f"""[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = ., {d}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {buffers * 3 // 4}
CheckpointInterval = 60

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
ServerThreads = 10
MaxClientConnections = 10
EnabledDavVSP = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = {max_seconds}
""",
        encoding="utf-8",
    )
    return ini


def start_virtuoso(directory: Path, *, timeout: float = 120, **settings: int) -> Virtuoso:
    """Start a private Virtuoso with its files in `directory`; wait until SPARQL answers.

    `settings` are `write_ini`'s. Raises RuntimeError (with the server's log) if it does not
    answer within `timeout` seconds.
    """
    if VIRTUOSO is None:
        raise RuntimeError("virtuoso-t is not installed (apt-get install virtuoso-opensource)")
    directory.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    ini = write_ini(directory, sql_port, http_port, **settings)
    with (directory / "stdout.log").open("ab") as out:
        process = subprocess.Popen(
            [VIRTUOSO, "-f", "-c", str(ini)],
            cwd=directory,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Virtuoso(directory, http_port, sql_port, process)
    ask = f"{server.sparql}?{urllib.parse.urlencode({'query': 'ASK {}'})}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {process.returncode}:\n{server.log}")
        try:
            with urllib.request.urlopen(ask, timeout=5) as response:
                response.read()
            return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"virtuoso-t did not answer within {timeout:.0f} s:\n{server.log}")
