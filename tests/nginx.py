"""Replicas behind nginx on loopback, as `deploy/` runs them: `eocic-kg serve` replicas and an
nginx (Debian's, as the current user) running `deploy/nginx/eocic-kg.conf` with its paths and
ports moved into a directory of its own. Used by `tests/test_deploy_nginx.py` and
`bench/bench_nginx.py`."""

from __future__ import annotations

import contextlib
import grp
import hashlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.procs import children, descendants, until

#: Debian's nginx (in /usr/sbin, which a user's PATH may lack); None when it is not installed.
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
SITE = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "eocic-kg.conf"
#: The ports of the two sets of replicas in `SITE`, in its order.
SITE_PORTS = {"blue": (8001, 8002), "green": (8011, 8012)}


def sha256(path: Path) -> str:
    """The SHA-256 of a file, as `deploy/eocic-deploy` names a release."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class Replica:
    """`eocic-kg serve` (read-only, `--behind-proxy`) on a loopback port; each start logs to a
    file of its own (`log`)."""

    def __init__(self, port: int, directory: Path, workers: int = 1) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.directory = directory
        self.workers = workers
        self.starts = 0
        self.process: subprocess.Popen | None = None
        self.log = directory / f"replica-{port}-0.log"

    def start(self, release: Path) -> None:
        """Serve `release`; returns once `/ready` answers 200."""
        self.starts += 1
        self.log = self.directory / f"replica-{self.port}-{self.starts}.log"
        command = [sys.executable, "-m", "eocic_kg.cli", "--release", str(release), "serve"]
        command += ["--port", str(self.port), "--workers", str(self.workers), "--behind-proxy"]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        if not until(self._ready, 90):
            self.kill()
            raise RuntimeError(f"replica {self.port} did not start:\n{self.log.read_text()}")

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            return True  # exited: `start` reports it
        try:
            return httpx.get(f"{self.url}/ready", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        """SIGTERM (Granian's graceful stop), and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL every process of the replica at once (server, workers, zygotes, executors)."""
        if self.process is None:
            return
        for pid in {self.process.pid} | descendants(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()

    def requests(self, marker: str) -> int:
        """Requests whose line in the current access log contains `marker`."""
        return sum(marker in line for line in self.log.read_text(errors="replace").splitlines())


class Nginx:
    """nginx in the foreground on `port`, running `SITE` rendered into `directory`, with the
    given replica ports in place of the site's blue and green sets."""

    def __init__(
        self, directory: Path, port: int, ports: dict[str, tuple[int, int]], workers: int = 1
    ) -> None:
        self.directory = directory
        self.url = f"http://127.0.0.1:{port}"
        self.live = directory / "eocic-kg-live.conf"
        self.error_log = directory / "error.log"
        site = SITE.read_text()
        replacements = {
            "/var/cache/nginx/eocic-kg": str(directory / "cache"),
            "/etc/nginx/eocic-kg-live.conf": str(self.live),
            "listen 80 default_server;": f"listen 127.0.0.1:{port};",
            "listen [::]:80 default_server;": "",
        }
        for colour, site_ports in SITE_PORTS.items():
            for old, new in zip(site_ports, ports[colour], strict=True):
                replacements[f"127.0.0.1:{old} "] = f"127.0.0.1:{new} "
        for old, new in replacements.items():
            if site.count(old) != 1:
                raise ValueError(f"{SITE} should hold {old!r} once")
            site = site.replace(old, new)
        (directory / "site.conf").write_text(site)
        temp = directory / "temp"
        temp.mkdir()
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        paths = "\n".join(
            f"    {kind}_temp_path {temp / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (directory / "nginx.conf").write_text(
            f"user {user} {group};  # ignored (with a notice) unless nginx runs as root\n"
            f"worker_processes {workers};\ndaemon off;\npid {directory / 'nginx.pid'};\n"
            f"error_log {self.error_log} notice;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\n    access_log {directory / 'access.log'};\n{paths}\n"
            f"    include {directory / 'site.conf'};\n}}\n"
        )
        self.process: subprocess.Popen | None = None

    def switch(self, colour: str, release: Path) -> None:
        """Write the live file as `deploy/eocic-deploy` does: `colour` serves `release` (its hash
        and the switch's time)."""
        live = f"{sha256(release)}-{time.time_ns()}"
        self.live.write_text(f"set $eocic_colour {colour};\nset $eocic_release {live};\n")

    def command(self) -> list[str]:
        """nginx on this directory's configuration."""
        assert NGINX is not None
        return [NGINX, "-p", str(self.directory), "-c", str(self.directory / "nginx.conf")]

    def start(self) -> None:
        """Start nginx; returns once it answers (the live file must exist)."""
        subprocess.run([*self.command(), "-t", "-q"], check=True)
        with (self.directory / "stderr.log").open("wb") as out:
            self.process = subprocess.Popen(self.command(), stdout=out, stderr=out)
        if not until(self._listening, 30):
            self.stop()
            raise RuntimeError(f"nginx did not start:\n{self.error_log.read_text()}")

    def _listening(self) -> bool:
        try:
            httpx.get(f"{self.url}/health", timeout=5)
            return True
        except httpx.TransportError:
            return False

    def reload(self) -> None:
        """Apply the configuration (SIGHUP, as `systemctl reload nginx`); returns once every
        worker that ran the old one has finished its requests and exited."""
        assert self.process is not None
        old = children(self.process.pid)
        self.process.send_signal(signal.SIGHUP)
        if not until(lambda: not old & children(self.process.pid), 60):  # type: ignore[union-attr]
            raise RuntimeError(f"nginx did not reload:\n{self.error_log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
