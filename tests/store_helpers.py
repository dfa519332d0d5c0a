"""A RunFindings filled the way a `--jobs` scan fills it, for tests of the store and reports.

The findings are cut into chunks dealt round-robin to two writers (the workers of
smscan.parallel, run here in one process), each writing a run whenever it holds `budget`
findings and the rest at the end; the last findings are the parent's own adds. The store
must then read as MemoryFindings of the same list, in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence

from smscan.findings_runs import RunFindings
from smscan.models import Finding


def run_store(
    findings: Sequence[Finding], *, budget: int = 2, chunk: int = 3, own: int = 2, flats: bool = True
) -> RunFindings:
    """`findings` in a RunFindings: all but the last `own` judged by two writers in chunks.
    `flats` False: the findings are read back from their JSON texts (a JSON-only scan)."""
    store = RunFindings.for_workers(2, budget=budget, flats=flats)
    writers = [store.writer(0), store.writer(1)]
    judged = list(findings[: len(findings) - own]) if own else list(findings)
    chunks = [judged[i : i + chunk] for i in range(0, len(judged), chunk)]
    base = store.reserve(len(chunks))
    for number, part in enumerate(chunks):
        writer = writers[number % 2]
        for seq, f in enumerate(part):
            writer.add(f, base + number, seq)
        store.add_tally(writer.take_tally())
        if len(writer) >= budget:
            store.add_run(writer.write())
    for writer in writers:
        store.add_run(writer.write())
    for f in findings[len(judged) :]:
        store.add(f)
    return store
