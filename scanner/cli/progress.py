"""Progress on stderr: a live line on a terminal, periodic plain lines otherwise, or nothing.

Sources call `update(scope, listed=..., described=..., failed=...)` with increments from
any thread; a scope is e.g. "aws:123456789012:us-east-1" or a file name. Running scopes
are shown with their own listed/described/failed counts. Output is
throttled (a terminal is redrawn at most 10 times a second, a log gets a line at most
every 5 seconds) so progress never costs more than the work it reports.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO


@dataclass
class ScopeCounts:
    listed: int = 0
    described: int = 0
    failed: int = 0
    done: bool = False


class Progress:
    def __init__(
        self,
        stream: TextIO | None,
        live: bool,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._live = live
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._scopes: dict[str, ScopeCounts] = {}
        self._last = clock()
        self._width = 0
        self._closed = False
        self._evaluated = 0

    @classmethod
    def create(cls, stream: TextIO | None = None, quiet: bool = False) -> Progress:
        stream = sys.stderr if stream is None else stream
        if quiet:
            return cls(None, live=False, interval=0.0)
        live = bool(getattr(stream, "isatty", lambda: False)())
        return cls(stream, live=live, interval=0.1 if live else 5.0)

    def update(self, scope: str, listed: int = 0, described: int = 0, failed: int = 0) -> None:
        with self._lock:
            counts = self._scopes.setdefault(scope, ScopeCounts())
            counts.listed += listed
            counts.described += described
            counts.failed += failed
            self._maybe_write()

    def evaluated(self, total: int) -> None:
        """The number of jobs evaluated so far (any source); cheap enough to call per record."""
        self._evaluated = total
        if self._stream is not None and self._clock() - self._last >= self._interval:
            with self._lock:
                self._maybe_write()

    def start(self, scope: str) -> None:
        """Announce a scope before anything is listed, so the total is known early."""
        self.update(scope)

    def finish(self, scope: str) -> None:
        with self._lock:
            self._scopes.setdefault(scope, ScopeCounts()).done = True
            self._maybe_write()

    def snapshot(self) -> dict[str, ScopeCounts]:
        with self._lock:
            return {k: ScopeCounts(**vars(v)) for k, v in self._scopes.items()}

    def close(self) -> None:
        with self._lock:
            if self._closed or self._stream is None or not (self._scopes or self._evaluated):
                self._closed = True
                return
            self._closed = True
            self._write(self._line(), final=True)

    def _maybe_write(self) -> None:
        if self._stream is None or self._closed:
            return
        now = self._clock()
        if now - self._last < self._interval:
            return
        self._last = now
        self._write(self._line(), final=False)

    def _line(self) -> str:
        evaluated = f"{self._evaluated} job{'' if self._evaluated == 1 else 's'} evaluated"
        if not self._scopes:
            return f"smscan: {evaluated}"
        return f"{self._scope_line()}; {evaluated}" if self._evaluated else self._scope_line()

    def _scope_line(self) -> str:
        scopes = self._scopes.values()
        done = sum(1 for s in scopes if s.done)
        listed = sum(s.listed for s in scopes)
        described = sum(s.described for s in scopes)
        failed = sum(s.failed for s in scopes)
        running = [(k, s) for k, s in self._scopes.items() if not s.done]
        line = (
            f"smscan: {done}/{len(self._scopes)} scopes done, {listed} listed, "
            f"{described} described, {failed} failed"
        )
        # Per running scope (account:region), so a stuck region is visible at a glance.
        shown = [f"{k} {s.listed}/{s.described}/{s.failed}" for k, s in running[:3]]
        if len(running) > 3:
            shown.append(f"+{len(running) - 3} more")
        return line + (f" (running: {', '.join(shown)})" if shown else "")

    def _write(self, line: str, final: bool) -> None:
        assert self._stream is not None
        try:
            if self._live:
                pad = " " * max(0, self._width - len(line))
                self._width = len(line)
                self._stream.write("\r" + line + pad + ("\n" if final else ""))
            else:
                self._stream.write(line + "\n")
            self._stream.flush()
        except (OSError, ValueError):
            self._stream = None  # a closed or broken stderr must not stop the scan
