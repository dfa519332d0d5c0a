"""Several report files written side by side, one process each, after a `--jobs` scan.

The verdict is decided once, before any report is written; each renderer then only reads
the result. A forked process inherits the result as it is, so every report is the file
one process would have written: the same bytes, written the same atomic way
(smscan.cli.output.write_atomic). What a renderer raises (a report that cannot be
written) comes back through smscan.workers and is raised here, as one process raises it.

Only stores that can be read from a forked process: findings in memory, or the runs of a
`--jobs` scan (read with pread, so processes share no file offset). A one-process scan
that spilled to SQLite renders in this process: an SQLite connection must not cross a fork.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from types import FrameType

from smscan.cli.output import Target, Writer, emit
from smscan.findings import FindingStore, MemoryFindings
from smscan.findings_disk import SpillingFindings
from smscan.findings_runs import RunFindings

# Below this many findings every report takes milliseconds, less than starting a process.
MIN_FINDINGS = 2_000


def can_fork_with(store: FindingStore) -> bool:
    """Whether the reports of a result holding `store` are worth, and safe, writing side by side."""
    if len(store) < MIN_FINDINGS:
        return False
    if isinstance(store, SpillingFindings):
        return not store.on_disk
    return isinstance(store, (MemoryFindings, RunFindings))


def emit_all(targets: Sequence[Target], writer: Callable[[Target], Writer], jobs: int) -> list[str]:
    """Write every target (in order; files in up to `jobs` processes); where each went."""
    files = [t for t in targets if t.path is not None]
    if jobs < 2 or len(files) < 2:
        return [emit(target, writer(target)) for target in targets]
    from smscan.workers import Workers

    def task(target: Target) -> str:
        return emit(target, writer(target))

    written: dict[Target, str] = {}
    with Workers(min(jobs, len(files)), _stop_cleanly, task) as pool:
        for target, where in pool.map_in_order(files):
            written[target] = where
    # Standard output takes its report in this process, after the files, in its place.
    return [written[target] if target in written else emit(target, writer(target)) for target in targets]


def _stop_cleanly(index: int) -> None:
    """SIGTERM (the parent stopping its workers on Ctrl-C or an error) unwinds the renderer,
    so write_atomic removes its temporary file instead of leaving it beside the report."""
    signal.signal(signal.SIGTERM, _unwind)


def _unwind(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
