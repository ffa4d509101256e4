"""A long fuzzing campaign against a real `eocic-kg serve` (gunicorn) on a loopback port.

    python bench/fuzz_campaign.py [--release dist/eocic.nq] [--examples 5000] [--read-only]

Uses the request strategies of tests/test_fuzz.py (hypothesis) and reports requests tried,
the count of each status, and every unexpected 5xx (the deliberate 503 of the time limit is
expected). Exit status 1 if any unexpected 5xx was seen.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from hypothesis import HealthCheck, Phase, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from eocic_kg import resources
from tests.test_fuzz import FuzzRequest, acceptable, fuzz_requests


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(release: Path, port: int, writable: bool) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "eocic_kg.cli", "--release", str(release), "serve"]
    command += ["--port", str(port), "--query-timeout", "2"]
    if writable:  # writes go to a fresh on-disk store
        command += ["--writable", "--store", tempfile.mkdtemp(prefix="eocic-fuzz-") + "/store"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


def main() -> int:
    """Run the campaign and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--release", type=Path, default=resources.release_file())
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--read-only", action="store_true")
    args = parser.parse_args()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = _start(args.release, port, writable=not args.read_only)
    statuses: collections.Counter[int] = collections.Counter()
    failures: list[str] = []
    client = httpx.Client(base_url=base, timeout=30)

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(request=fuzz_requests())
    def campaign(request: FuzzRequest) -> None:
        try:
            r = client.request(
                request.method,
                request.path,
                params=urlencode(request.params),
                headers=request.headers,
                content=request.body,
            )
        except httpx.TransportError as e:
            statuses[0] += 1
            failures.append(f"transport error {e!r} for {request}")
            return
        statuses[r.status_code] += 1
        if not acceptable(r.status_code, r.text):
            failures.append(f"{r.status_code} {r.text[:200]!r} for {request}")

    start = time.monotonic()
    try:
        campaign()
    finally:
        client.close()
        process.terminate()
        process.wait(30)
    seconds = time.monotonic() - start
    total = sum(statuses.values())
    print(f"requests tried: {total} in {seconds:.0f} s against {args.release}")
    print("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    print(f"unexpected 5xx or transport errors: {len(failures)}")
    for failure in failures[:20]:
        print("  " + failure)
    print(f"server exit status after SIGTERM: {process.returncode}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
