"""A small headless-Chromium driver over the DevTools protocol (``--remote-debugging-pipe``).

Opens a page, collects every console message, uncaught exception and browser log entry
(failed loads, Content-Security-Policy violations), evaluates JavaScript in the page and takes
full-page screenshots. Only the standard library: the protocol runs over two pipes (the browser
reads commands on fd 3 and writes replies and events on fd 4, each message JSON ended by NUL).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The path of a Chromium binary, or ``None``."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Page:
    """What a page did while it loaded."""

    url: str
    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, and browser log errors."""
        found = [
            f"console.{m['type']}: {m['text']}"
            for m in self.console
            if m["type"] in ("error", "warning", "assert")
        ]
        found += [f"exception: {e}" for e in self.exceptions]
        found += [
            f"log {e.get('level')}: {e.get('text')} ({e.get('url', '')})"
            for e in self.log
            if e.get("level") in ("error", "warning")
        ]
        return found


class Chromium:
    """A headless Chromium driven over the DevTools protocol. Use as a context manager."""

    def __init__(self, binary: str, *, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="aluna-chromium-")
        self._log = open(os.path.join(self._profile, "stderr.log"), "wb")  # noqa: SIM115
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()
        # Lift the browser's ends above 9, so that moving them to fds 3 and 4 cannot clobber
        # one with the other.
        lifted = [
            fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (commands_read, replies_write)
        ]
        for fd in (commands_read, replies_write):
            os.close(fd)
        commands_read, replies_write = lifted
        args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--hide-scrollbars",
            "--remote-debugging-pipe",
            f"--user-data-dir={self._profile}",
            "about:blank",
        ]
        # The browser expects the pipes as fds 3 and 4: let the shell move them there.
        script = (
            f'exec "$0" "$@" 3<&{commands_read} 4>&{replies_write} '
            f"{commands_read}<&- {replies_write}>&-"
        )
        # bash, because dash reads only one-digit fds in redirections.
        shell = shutil.which("bash") or "sh"
        self._process = subprocess.Popen(
            [shell, "-c", script, binary, *args],
            pass_fds=(commands_read, replies_write),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        os.close(commands_read)
        os.close(replies_write)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ protocol

    def _send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._replies], [], [], left)
            if ready:
                chunk = os.read(self._replies, 1 << 20)
                if not chunk:
                    raise RuntimeError(
                        f"Chromium closed the DevTools pipe; its last words:\n{self.stderr()}"
                    )
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """Send a command and wait for its reply (events seen meanwhile are kept)."""
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def wait_for(self, method: str, session: str, seconds: float) -> None:
        """Wait until the event ``method`` arrives for ``session``."""
        deadline = time.monotonic() + seconds
        for i, event in enumerate(self._events):
            if event.get("method") == method and event.get("sessionId") == session:
                del self._events[i]
                return
        while True:
            message = self._read(deadline)
            if message.get("method") == method and message.get("sessionId") == session:
                return
            self._events.append(message)

    # ------------------------------------------------------------------ pages

    def open(self, url: str, *, width: int = 1280, height: int = 900) -> tuple[str, Page]:
        """Open ``url`` in a new tab, wait for it to load; returns (session, page)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for method in ("Runtime.enable", "Log.enable", "Page.enable"):
            self.call(method, session=session)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session, self.timeout)
        return session, Page(url)

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=session,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluating {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def collect(self, session: str, page: Page) -> Page:
        """Move the console, exception and log events seen so far into ``page``."""
        self.call("Runtime.evaluate", {"expression": "0"}, session=session)  # flush events
        kept = []
        for event in self._events:
            if event.get("sessionId") != session:
                kept.append(event)
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                text = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params.get("args", [])
                )
                page.console.append({"type": params.get("type"), "text": text})
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                page.exceptions.append(
                    details.get("exception", {}).get("description") or details.get("text", "")
                )
            elif method == "Log.entryAdded":
                page.log.append(params.get("entry", {}))
        self._events = kept
        return page

    def screenshot(self, session: str, path: Path, *, max_height: int = 16000) -> Path:
        """A full-page PNG screenshot (cut at ``max_height`` pixels)."""
        metrics = self.call("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        clip = {
            "x": 0,
            "y": 0,
            "width": float(size["width"]),
            "height": float(min(size["height"], max_height)),
            "scale": 1,
        }
        shot = self.call(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": clip},
            session=session,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    # ------------------------------------------------------------------ lifetime

    def stderr(self, lines: int = 20) -> str:
        """The end of the browser's own log (for error messages)."""
        self._log.flush()
        path = os.path.join(self._profile, "stderr.log")
        text = Path(path).read_text(errors="replace") if os.path.exists(path) else ""
        return "\n".join(text.splitlines()[-lines:])

    def close(self) -> None:
        try:
            if self._process.poll() is None:
                with contextlib.suppress(RuntimeError, TimeoutError, OSError):
                    self.call("Browser.close")
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
        finally:
            for fd in (self._commands, self._replies):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._log.close()
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
