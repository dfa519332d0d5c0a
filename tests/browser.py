"""Headless Chromium for tests: dump a page's DOM, take a screenshot, or drive it over DevTools.

Uses Debian's chromium package. When it is missing a test is skipped locally, but fails in CI
(CI=true), where `.ci/run` installs it: a browser test that silently never runs proves nothing.

`DevTools` speaks the DevTools protocol over `--remote-debugging-pipe` (the browser reads
NUL-terminated JSON commands on fd 3 and writes replies and events on fd 4), so no websocket
library and no TCP port are needed.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
)
ARTIFACTS = Path(__file__).parent / "artifacts"


def find_chromium() -> str | None:
    for path in (*CANDIDATES, shutil.which("chromium")):
        if path and os.access(path, os.X_OK):
            return path
    return None


def require_chromium() -> str:
    path = find_chromium()
    if path is None:
        message = "headless Chromium not found (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": browser tests must run in CI")
        pytest.skip(message)
    return path


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="smscan-chromium-") as profile:
        proc = subprocess.Popen(
            [require_chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group we created: chromium and its helpers
            proc.communicate()
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def dump_dom(url: str, budget_ms: int = 5000, timeout: float = 60) -> str:
    """The DOM after the page's scripts ran (virtual time lets timers fire without waiting)."""
    done = _run([f"--virtual-time-budget={budget_ms}", "--dump-dom", url], timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(url: str, out: Path, width: int = 1280, height: int = 2000, timeout: float = 60) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    done = _run([f"--window-size={width},{height}", "--virtual-time-budget=3000", f"--screenshot={out}", url], timeout)
    assert done.returncode == 0 and out.exists(), done.stderr[-2000:]
    return out


class DevToolsError(AssertionError):
    pass


class DevTools:
    """One browser, one page; commands are synchronous, events are kept for inspection."""

    def __init__(self, proc: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self.proc, self._out, self._in = proc, to_browser, from_browser
        self._buf = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    # --- protocol ------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any] | None = None, *, page: bool = True, timeout: float = 30) -> dict[str, Any]:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if page and self.session:
            msg["sessionId"] = self.session
        os.write(self._out, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise DevToolsError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise DevToolsError("timed out waiting for Chromium")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise DevToolsError("Chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    # --- page helpers -------------------------------------------------------------
    def open(self, url: str, ready: str = "document.documentElement?.dataset.ready === 'true'", timeout: float = 30) -> None:
        """Open a blank page, listen to console/log/network, then navigate and wait for `ready`."""
        target = self.call("Target.createTarget", {"url": "about:blank"}, page=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True}, page=False)["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.call(f"{domain}.enable")
        self.call("Page.navigate", {"url": url})
        self.wait_for(ready, timeout)

    def evaluate(self, expression: str) -> Any:
        reply = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in reply:
            raise DevToolsError(f"{expression!r}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 10) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.evaluate(expression)
            except DevToolsError:  # e.g. mid-navigation, before the document exists
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise DevToolsError(f"still false after {timeout}s: {expression} (last value {value!r})")
            time.sleep(0.05)

    def console_errors(self) -> list[str]:
        """Uncaught exceptions, console.error calls and error-level log entries (CSP, loads)."""
        found = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params.get("exceptionDetails", {}))[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(json.dumps(params.get("args", []))[:500])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(params["entry"].get("text", "")[:500])
        return found

    def requested_urls(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]


@contextmanager
def devtools(width: int = 1280, height: int = 1600) -> Iterator[DevTools]:
    binary = require_chromium()
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()

    def wire_pipes() -> None:  # in the child: the browser expects commands on fd 3, replies on 4
        a, b = os.dup(to_browser_r), os.dup(from_browser_w)
        os.dup2(a, 3)
        os.dup2(b, 4)

    with tempfile.TemporaryDirectory(prefix="smscan-chromium-") as profile:
        proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             f"--window-size={width},{height}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=wire_pipes, start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        tools = DevTools(proc, to_browser_w, from_browser_r)
        try:
            yield tools
        finally:
            with suppress(DevToolsError, OSError):
                tools.call("Browser.close", page=False, timeout=5)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # only the process group we started
                proc.wait()
            os.close(to_browser_w)
            os.close(from_browser_r)
