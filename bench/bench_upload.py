"""Peak memory of a Graph Store upload against body size (issue 20, finding 3).

Starts `eocic-kg serve --writable` (default memory budget, a time limit long enough for the
largest body) on a new on-disk store, PUTs N-Triples bodies of the given sizes into new graphs,
and prints for each: the status, the seconds taken, and the executor's peak resident memory
(`VmHWM`) above its resident memory before the upload.

    python bench/bench_upload.py 32 256          # this checkout
    PYTHONPATH=OLD/src python bench/bench_upload.py 32 77   # another checkout's src

Run it on a quiet machine: the time is the engine's bulk loader and the disk.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def _ntriples(path: Path, mib: int) -> Path:
    """A file of just under `mib` MiB of N-Triples (ten triples per subject, a literal each)."""
    with path.open("w", encoding="utf-8") as out:
        size = i = 0
        while True:  # at most `mib` MiB: the upload limit is inclusive
            line = f'<http://x.example/s{i // 10}> <http://x.example/p{i % 10}> "value {i}" .\n'
            if size + len(line) > mib * 2**20:
                break
            out.write(line)
            size += len(line)
            i += 1
    return path


def _status(pid: int) -> dict[str, int]:
    """The kB fields of /proc/PID/status."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if value.strip().endswith("kB"):
            fields[name] = int(value.split()[0])
    return fields


def _children(pid: int) -> list[int]:
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="+", help="body sizes, MiB")
    parser.add_argument("--query-timeout", type=float, default=1800)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    release = work / "empty.nq"
    release.write_bytes(b"")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    cli = [sys.executable, "-m", "eocic_kg.cli", "--release", str(release)]
    # made by another process: an executor forked from one that opened the store would hang
    subprocess.run([*cli, "load", str(release), "--store", str(work / "store")], check=True)
    command = [*cli, "serve", "--writable", "--store", str(work / "store"), "--port", str(port)]
    command += ["--query-timeout", str(args.query_timeout)]
    server = subprocess.Popen(command, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        print("body MiB  status  seconds  executor's peak RSS above its start, MiB")
        for mib in args.sizes:
            body = _ntriples(work / f"body-{mib}.nt", mib)
            httpx.get(f"{url}/ready", timeout=60)  # an executor (a new one after a failure)
            (executor,) = [e for w in _children(server.pid) for e in _children(w)]
            start = _status(executor)["VmRSS"]
            began = time.monotonic()
            with body.open("rb") as content:
                r = httpx.put(
                    f"{url}/store",
                    params={"graph": f"http://x.example/g{mib}"},
                    content=content,
                    headers={"Content-Type": "application/n-triples"},
                    timeout=args.query_timeout + 60,
                )
            seconds = time.monotonic() - began
            try:
                used = f"{(_status(executor)['VmHWM'] - start) / 1024:.0f}"
            except FileNotFoundError:  # the executor died (past its budget)
                used = "(the executor died)"
            print(f"{mib:8d}  {r.status_code:6d}  {seconds:7.1f}  {used}", flush=True)
            body.unlink()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # graceful shutdown waits for the long time limit
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
