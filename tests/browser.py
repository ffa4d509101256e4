"""A headless Chromium driven over the DevTools protocol (`--remote-debugging-pipe`: JSON
messages ending in NUL on file descriptors 3 and 4, so no WebSocket library is needed).

Used by the browser tests to load pages, read the page's state with JavaScript, click with real
mouse events, emulate a phone's screen and collect console errors and CSP violations.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AVAILABLE = Path(CHROMIUM).exists()


class BrowserError(RuntimeError):
    """The browser answered a command with an error, or did not answer in time."""


class Browser:
    """One headless Chromium with one page (tab); use as a context manager."""

    def __init__(self, width: int = 1280, height: int = 800) -> None:
        self.profile = tempfile.mkdtemp(prefix="eocic-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire() -> None:
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-pipe",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            pass_fds=(3, 4),
            close_fds=True,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.command("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.command("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.resize(width, height)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the browser and remove its profile."""
        with contextlib.suppress(BrowserError, OSError):
            self.command("Browser.close", timeout=5)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("no answer from the browser in time")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 16)
                if not chunk:
                    raise BrowserError("the browser closed its pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def command(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        """Send a browser-level command; return its result."""
        return self._call(method, params, None, timeout)

    def send(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        """Send a command to the page; return its result."""
        return self._call(method, params, self.session, timeout)

    def _call(
        self, method: str, params: dict[str, Any], session: str | None, timeout: float
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode("utf-8") + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            if "method" in answer:
                self.events.append(answer)

    def resize(self, width: int, height: int, mobile: bool = False) -> None:
        """Emulate a screen of `width` x `height` CSS pixels (a phone's with `mobile`)."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )

    def evaluate(self, expression: str, timeout: float = 30) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        result = self.send(
            "Runtime.evaluate",
            timeout=timeout,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60) -> Any:
        """Poll `expression` until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # a page busy drawing may answer late: wait for it
            try:
                value = self.evaluate(expression, timeout=max(1.0, deadline - time.monotonic()))
            except BrowserError as e:  # the page navigated while asked: ask the new one
                if "navigated or closed" not in str(e) and "context was destroyed" not in str(e):
                    raise
                value = None
            if value:
                return value
            time.sleep(0.1)
        raise BrowserError(f"still false after {timeout} s: {expression}")

    def wait_for_event(self, method: str, since: int = 0, timeout: float = 60) -> dict:
        """The first event `method` at or after index `since` of `events` (waiting for it)."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events[since:]:
                if event.get("method") == method:
                    return event
            answer = self._read_message(deadline)
            if "method" in answer:
                self.events.append(answer)

    def open(self, url: str, ready: str = "document.readyState === 'complete'") -> None:
        """Load `url`, wait for its load event and then until `ready` holds."""
        since = len(self.events)
        self.send("Page.navigate", url=url)
        self.wait_for_event("Page.loadEventFired", since)
        self.wait_for(ready)

    def click(self, x: float, y: float) -> None:
        """A left mouse click at viewport position (x, y)."""
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type(self, text: str) -> None:
        """Type `text` with key events, as a person would."""
        for char in text:
            self.send("Input.dispatchKeyEvent", type="keyDown", text=char, key=char)
            self.send("Input.dispatchKeyEvent", type="keyUp", key=char)

    def screenshot(self, path: Path) -> None:
        """Save a PNG of the viewport."""
        import base64

        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def errors(self, since: int = 0) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors seen so far (from the
        event of index `since` of `events`)."""
        found = []
        for event in self.events[since:]:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params.get("exceptionDetails", {}))[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(json.dumps(params.get("args", []))[:500])
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                entry = params["entry"]
                found.append(f"{entry.get('text', '')[:500]} ({entry.get('url', '')})")
        return found
