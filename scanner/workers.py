"""A small pool of forked worker processes that answer tasks in order (for smscan.parallel).

Why not multiprocessing.Pool: a worker that dies (the OOM killer, a signal) leaves
`Pool.imap` waiting forever; Pool runs three threads in the parent and forks replacements
from one of them; and its results pile up without bound when the parent merges slower than
the workers judge. Here each worker has its own pipe and one task at a time, the parent
sends at most two tasks per worker past the one it is waiting for, every wait has a bound,
and a worker that dies or stops answering is an error, never a hang.

Workers die with the parent. On Linux the kernel kills them when it dies (PR_SET_PDEATHSIG);
elsewhere, each keeps only its own end of its own pipe (the ends it inherited from earlier
workers are closed), so when the parent exits, however it exits, the worker's next read or
write ends it. SIGINT is ignored in a worker (from a terminal the parent gets
it too and decides); SIGTERM kills it, which is how the parent stops its workers on an
interrupt or an error. Both are blocked from before each fork until the worker has set its
own handlers, so no signal reaches a worker running the parent's.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Generic, TypeVar

from smscan.errors import ScannerError

T = TypeVar("T")
R = TypeVar("R")

TASK_TIMEOUT = 900.0  # seconds with no worker answering before the scan gives up
JOIN_TIMEOUT = 10.0  # seconds a stopped worker has to exit before it is killed
_STOPS = {signal.SIGINT, signal.SIGTERM}
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_END = object()  # the end of the items of map_in_order


class WorkerError(ScannerError):
    """A worker process died or stopped answering: the scan cannot be completed."""


@dataclass(frozen=True)
class _Failed:
    error: BaseException  # raised again in the parent, as one process would have raised it


class Workers(Generic[T, R]):
    """`count` forked processes, each running `start(index)` once, then `task(item)` per item."""

    def __init__(self, count: int, start: Callable[[int], None], task: Callable[[T], R]) -> None:
        self._count = count
        self._start = start
        self._task = task
        self._procs: list[BaseProcess] = []
        self._conns: list[Connection] = []

    def __enter__(self) -> Workers[T, R]:
        try:
            self._spawn()
        except BaseException:
            self._stop(abort=True)
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop(abort=exc_type is not None)

    def _spawn(self) -> None:
        context = multiprocessing.get_context("fork")
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
        # What the workers inherit is left out of their garbage collections, which would
        # otherwise touch (and so copy) every page of it.
        gc.freeze()
        try:
            for index in range(self._count):
                mine, theirs = context.Pipe()
                inherited = (*self._conns, mine)
                proc = context.Process(
                    target=_serve,
                    args=(theirs, inherited, os.getpid(), index, self._start, self._task),
                    daemon=True,
                )
                proc.start()
                theirs.close()  # the worker holds the only copy: its exit is our EOF
                self._procs.append(proc)
                self._conns.append(mine)
        finally:
            gc.unfreeze()
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def map_in_order(self, items: Iterable[T]) -> Iterator[tuple[T, R]]:
        """(item, task(item)) for every item, in the order of `items`, which are taken from
        the iterable only as workers become free (it may still be producing them)."""
        pending = iter(items)
        done: dict[int, R] = {}
        busy: dict[Connection, int] = {}
        sent_items: dict[int, T] = {}
        idle = list(self._conns)
        ahead = 2 * len(self._conns)
        sent = given = 0
        exhausted = False
        while not exhausted or given < sent:
            for conn in self._ready(list(busy)) if busy else ():
                done[busy.pop(conn)] = self._answer(conn)
                idle.append(conn)
            # Hand out the next items before the caller merges, so no worker waits on it.
            while idle and not exhausted and sent < given + ahead:
                item = next(pending, _END)
                if item is _END:
                    exhausted = True
                    break
                conn = idle.pop()
                conn.send(item)
                busy[conn] = sent
                sent_items[sent] = item  # type: ignore[assignment]
                sent += 1
            while given in done:
                yield sent_items.pop(given), done.pop(given)
                given += 1

    def each(self, item: T) -> list[R]:
        """task(item) in every worker once, the answers in worker order (call it between maps)."""
        self.send_each(item)
        return self.answers()

    def send_each(self, item: T) -> None:
        """Hand task(item) to every worker without waiting: `answers` collects what they give."""
        for conn in self._conns:
            conn.send(item)

    def answers(self) -> list[R]:
        """The answers to the last send_each, in worker order, once every worker has given one."""
        answers: dict[Connection, R] = {}
        while len(answers) < len(self._conns):
            for conn in self._ready([c for c in self._conns if c not in answers]):
                answers[conn] = self._answer(conn)
        return [answers[conn] for conn in self._conns]

    def _ready(self, conns: list[Connection]) -> list[Connection]:
        ready = [c for c in wait(conns, TASK_TIMEOUT) if isinstance(c, Connection)]
        if not ready:
            raise WorkerError(f"no worker process answered in {TASK_TIMEOUT:.0f} s; rerun with --jobs 1")
        return ready

    def _answer(self, conn: Connection) -> R:
        try:
            reply = conn.recv()
        except (EOFError, OSError) as err:
            proc = self._procs[self._conns.index(conn)]
            proc.join(JOIN_TIMEOUT)
            code = proc.exitcode
            how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited (code {code})"
            raise WorkerError(f"a worker process {how} mid-scan; rerun with --jobs 1") from err
        if isinstance(reply, _Failed):
            raise reply.error
        result: R = reply
        return result

    def _stop(self, abort: bool) -> None:
        for conn in self._conns:
            conn.close()  # an idle worker's read ends: it exits
        if abort:
            for proc in self._procs:
                if proc.exitcode is None:
                    proc.terminate()
        for proc in self._procs:
            proc.join(JOIN_TIMEOUT)
            if proc.exitcode is None:
                proc.kill()
                proc.join()
            proc.close()
        self._procs, self._conns = [], []


def _serve(
    conn: Connection,
    inherited: tuple[Connection, ...],
    parent: int,
    index: int,
    start: Callable[[int], None],
    task: Callable[[Any], Any],
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    _die_with(parent)
    for other in inherited:
        other.close()
    start(index)
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return  # the parent closed its end, or is gone
        try:
            reply = task(item)
        except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
            reply = _Failed(exc)
        if not _send(conn, reply):
            return


def _die_with(parent: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # no prctl: the closed pipe will do
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)  # the parent died before the line above took effect


def _send(conn: Connection, reply: object) -> bool:
    try:
        conn.send(reply)
    except OSError:
        return False  # the parent is gone
    except Exception as exc:  # noqa: BLE001 - the reply cannot be pickled: say so instead
        conn.send(_Failed(RuntimeError(f"a worker's answer could not be sent: {type(exc).__name__}: {exc}")))
    return True
