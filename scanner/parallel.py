"""`--jobs N`: a JSON Lines scan judged by N processes, with the report of one.

The files are cut into chunks at line ends; each worker (forked, so it has the compiled
policies and the waivers already) reads, normalizes, judges and waives one chunk at a
time. Its findings stay with it: encoded, sorted and written as runs to a temporary file
of its own (smscan.findings_runs), so the parent never handles a finding while the scan
runs. What comes back is small: counts, problems, record keys, waiver usage, and where
each run was written. The parent merges those in chunk order, which is the order one
process reads them: every finding's key carries its chunk's group and its place in the
chunk, so the merged runs come out in the stable order of one process; problems keep
theirs, the per-file note of ignored keys comes after each file's last chunk, waiver hits
and tag notes add up in reading order, and every report is byte-identical to `--jobs 1`.

Only what splits cleanly goes in parallel: regular .jsonl/.ndjson files. Stdin, JSON
documents and a walk with notes take the one-process path, as do inputs too small to
repay the start-up. The pool itself is smscan.workers.
"""

from __future__ import annotations

import dataclasses
import gc
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smscan.chunks import Chunk, Plan
from smscan.findings import FacetTally
from smscan.findings_runs import RunFindings
from smscan.gate.baseline import record_key
from smscan.gate.waivers import WaiverSet, WaiverUsage
from smscan.models import STATUS_BY_ID, Problem, Status
from smscan.record.normalize import NormalizeStats
from smscan.run_writer import Run, RunWriter
from smscan.scan import WAIVABLE, waive
from smscan.sources.files import FileSource
from smscan.sources.json_records import JsonRecords, read_lines
from smscan.text_rows import TextRows
from smscan.workers import Workers

if TYPE_CHECKING:
    from smscan.engine import Engine
    from smscan.scan import Tally

@dataclass(frozen=True)
class Flush:
    """Sent to every worker once the chunks are judged: write what is still held."""


@dataclass
class ChunkResult:
    counts: dict[str, Counter[Status]] = field(default_factory=dict)
    tally: FacetTally = field(default_factory=FacetTally)  # the findings judged, counted
    runs: list[Run] = field(default_factory=list)  # written by the worker as it went
    problems: list[Problem] = field(default_factory=list)  # input and record problems, in order
    records: int = 0
    keys: list[str] = field(default_factory=list)  # record keys, when the parent keeps them
    stats_records: int = 0
    unknown_keys: Counter[str] = field(default_factory=Counter)
    waivers: WaiverUsage | None = None


@dataclass(frozen=True)
class Shared:
    """The per-record state of one-process scans that workers feed back to the parent."""

    waivers: WaiverSet | None = None  # matched in the workers; hits and notes merged here
    present: set[str] | None = None  # the record keys seen (baseline, history, sinks)
    on_record: Callable[[int], None] | None = None  # progress, called after each chunk
    budget: int = 50_000  # findings held in memory, shared out among the workers


@dataclass
class _Held:
    """A worker's own state, set when it starts (after the fork)."""

    writer: RunWriter | None = None
    rows: TextRows | None = None  # findings made straight into rows: see smscan.text_rows


@dataclass(frozen=True)
class _Work:
    """What every worker inherits at fork."""

    engine: Engine
    reader: JsonRecords
    waivers: WaiverSet | None
    keys: bool
    store: RunFindings
    budget: int  # findings a worker holds before it writes them as a run
    held: _Held = field(default_factory=_Held)

    def start(self, index: int) -> None:
        writer = self.held.writer = self.store.writer(index)
        # Waivers from files may match any finding; a job's waiver tag only its own (judge).
        no_files = self.waivers is None or not self.waivers.rules
        if writer.texts_only and no_files and not self.engine.explain_passed:
            self.held.rows = TextRows(self.engine, writer)
        if self.waivers is not None:
            self.waivers.take_usage()  # the parent's matches so far are the parent's
        # The findings a worker holds until it writes a run are many small objects that the
        # collector's automatic passes would walk again and again (about 7% of a worker's
        # time); one pass over the young objects after each chunk still frees any cycle a
        # chunk leaves behind, and what the worker inherited stays frozen (smscan.workers).
        gc.disable()

    def task(self, item: Chunk | Flush) -> ChunkResult:
        writer = self.held.writer
        assert writer is not None
        if isinstance(item, Flush):
            return ChunkResult(runs=[run] if (run := writer.write()) else [])
        out = self.judge(item, writer)
        out.tally = writer.take_tally()
        if len(writer) >= self.budget:
            out.runs = [run] if (run := writer.write()) else []
        gc.collect(1)
        return out

    def judge(self, chunk: Chunk, writer: RunWriter) -> ChunkResult:
        engine, reader, waivers = self.engine, self.reader, self.waivers
        reader.stats = NormalizeStats()
        out = ChunkResult()
        counts = out.counts
        judged: dict[tuple[int, int], int] = {}
        add, group, seq = writer.add, chunk.group, 0
        if chunk.error:
            out.problems.append(Problem(chunk.path, f"cannot read file: {chunk.error}"))
            return out
        try:
            with open(chunk.path, "rb") as handle:
                handle.seek(chunk.start)
                data = io.BytesIO(handle.read(chunk.end - chunk.start))
        except OSError as err:  # gone or unreadable since the plan
            out.problems.append(Problem(chunk.path, f"cannot read file: {err.strerror or 'I/O error'}"))
            return out
        lines = read_lines(data, reader.max_file_bytes, chunk.first_line)
        rows = self.held.rows
        if rows is not None:
            rows.start(group)
        for item in reader.read_lines(chunk.path, lines):
            if isinstance(item, Problem):
                out.problems.append(item)
                continue
            out.records += 1
            if self.keys:
                out.keys.append(record_key(item))
            if rows is not None and (waivers is None or not waivers.can_match(item)):
                seq = rows.judge(item, seq)  # nothing can waive its findings
                continue
            for policy, status, finding in engine.judge(item):
                if finding is not None:
                    if status in WAIVABLE and waivers is not None:
                        finding = waive(waivers, policy.id, item, finding)
                        status = finding.status
                    add(finding, group, seq)
                    seq += 1
                # By the objects' ids until the chunk is done: an Enum hashes in Python.
                key = (id(policy), id(status))
                judged[key] = judged.get(key, 0) + 1
        names = {id(p): p.id for p in engine.policies}
        for (policy_key, status_key), n in judged.items():
            counts.setdefault(names[policy_key], Counter())[STATUS_BY_ID[status_key]] += n
        if rows is not None:
            for policy_id, counter in rows.take_counts().items():
                counts.setdefault(policy_id, Counter()).update(counter)
        out.stats_records = reader.stats.records
        out.unknown_keys = reader.stats.unknown_keys
        out.waivers = waivers.take_usage() if waivers is not None else None
        return out


def evaluate(
    source: FileSource,
    planned: Plan,
    engine: Engine,
    tally: Tally,
    jobs: int,
    shared: Shared | None = None,
) -> None:
    """Judge every chunk in `jobs` processes; merge into `tally` in reading order.

    `tally.findings` must be a RunFindings with a file for each of the `jobs` workers."""
    shared = shared or Shared()
    store = tally.findings
    assert isinstance(store, RunFindings) and len(store.files) > jobs
    # Group numbers in reading order: nothing else takes one while this source is judged.
    chunks = (dataclasses.replace(c, group=store.reserve(1)) for c in planned.chunks())
    reader = source.reader()  # each worker gives it a NormalizeStats of its own per chunk
    count = planned.workers(jobs)
    work = _Work(engine, reader, shared.waivers, shared.present is not None, store, max(1, shared.budget // count))
    records = problems = 0
    before: set[str] = set()
    with Workers(count, work.start, work.task) as workers:
        for chunk, result in workers.map_in_order(chunks):
            assert isinstance(chunk, Chunk)  # the pool also takes a Flush, never in this map
            if chunk.start == 0:
                before = set(source.stats.unknown_keys)
            _merge(result, source, tally, shared)
            problems += sum(1 for p in result.problems if p.kind != "note")
            records += result.records
            if chunk.last:
                tally.errors.extend(source.ignored_keys_note(chunk.path, before))
            if shared.on_record is not None:
                shared.on_record(tally.records)
        for result in workers.each(Flush()):
            for run in result.runs:
                store.add_run(run)
    tally.errors.extend(source.closing_items(records, problems))


def _merge(result: ChunkResult, source: FileSource, tally: Tally, shared: Shared) -> None:
    for policy_id, counter in result.counts.items():
        counts = tally.counts.setdefault(policy_id, {s: 0 for s in Status})
        for status, n in counter.items():
            counts[status] += n
    store = tally.findings
    assert isinstance(store, RunFindings)
    store.add_tally(result.tally)
    for run in result.runs:
        store.add_run(run)
    tally.errors.extend(result.problems)
    tally.records += result.records
    source.stats.records += result.stats_records
    source.stats.unknown_keys.update(result.unknown_keys)
    if shared.present is not None:
        shared.present.update(result.keys)
    if shared.waivers is not None and result.waivers is not None:
        shared.waivers.add_usage(result.waivers)
