"""`--jobs N`: a JSON Lines scan judged by N processes, with the report of one.

The files are cut into chunks at line ends; each worker (forked, so it has the compiled
policies already) reads, normalizes and judges one chunk at a time, and sends back its
counts, findings and problems. The parent takes them in chunk order, which is the order
one process reads them: the store's stable sort then puts findings in the same order,
problems keep theirs, and every report is byte-identical to `--jobs 1`.

Only what splits cleanly goes in parallel: regular .jsonl/.ndjson files. Stdin, JSON
documents, a walk with notes, waivers and baselines (both keep per-record state in the
parent) take the one-process path, as do inputs too small to repay the start-up.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smscan.models import Finding, Problem, Record, Status
from smscan.record.normalize import NormalizeStats
from smscan.sources.files import FileSource
from smscan.sources.json_records import JsonRecords, read_lines

if TYPE_CHECKING:
    from smscan.engine import Engine
    from smscan.scan import Tally

CHUNK_BYTES = 4 * 1024 * 1024
MIN_PARALLEL_BYTES = 2 * CHUNK_BYTES  # below this, forking costs more than it saves
_LINES_SUFFIXES = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class Chunk:
    path: str
    start: int  # byte offset of its first line
    end: int
    first_line: int


@dataclass
class ChunkResult:
    counts: dict[str, Counter[Status]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # input and record problems, in order
    records: int = 0
    stats_records: int = 0
    unknown_keys: Counter[str] = field(default_factory=Counter)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def plan(source: FileSource, jobs: int) -> list[Chunk] | None:
    """The chunks of `source`'s files in reading order, or None for the one-process path."""
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    files: list[str] = []
    for _, expanded in source.walks():
        if expanded is None or expanded.problems or not expanded.files:
            return None
        files.extend(expanded.files)
    if not all(f.lower().endswith(_LINES_SUFFIXES) and os.path.isfile(f) for f in files):
        return None
    try:
        if sum(os.path.getsize(f) for f in files) < MIN_PARALLEL_BYTES:
            return None
        return [c for f in files for c in _chunks(f, max(source.options.max_file_bytes, 1))]
    except OSError:
        return None  # the one-process path reports the unreadable file as it always does


def _chunks(path: str, max_line: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    start, line = 0, 1
    with open(path, "rb") as handle:
        while True:
            handle.seek(start)
            block = handle.read(CHUNK_BYTES)
            if not block:
                return chunks
            end = start + len(block)
            if len(block) == CHUNK_BYTES:  # extend to the end of the line it stops in
                rest = handle.readline()
                end += len(rest)
                newlines = block.count(b"\n") + rest.count(b"\n")
            else:
                newlines = block.count(b"\n")
            chunks.append(Chunk(path, start, end, line))
            start, line = end, line + newlines


_WORKER: tuple[Engine, JsonRecords] | None = None


def _judge_chunk(chunk: Chunk) -> ChunkResult:
    assert _WORKER is not None
    engine, reader = _WORKER
    reader.stats = NormalizeStats()
    out = ChunkResult()
    with open(chunk.path, "rb") as handle:
        handle.seek(chunk.start)
        data = io.BytesIO(handle.read(chunk.end - chunk.start))
    lines = read_lines(data, reader.max_file_bytes, chunk.first_line)
    for item in reader.read_lines(chunk.path, lines):
        if isinstance(item, Problem):
            out.problems.append(item)
            continue
        out.records += 1
        _judge(engine, item, out)
    out.stats_records = reader.stats.records
    out.unknown_keys = reader.stats.unknown_keys
    return out


def _judge(engine: Engine, record: Record, out: ChunkResult) -> None:
    for policy, status, finding in engine.judge(record):
        out.counts.setdefault(policy.id, Counter())[status] += 1
        if finding is not None:
            out.findings.append(finding)


def evaluate(
    source: FileSource,
    chunks: list[Chunk],
    engine: Engine,
    tally: Tally,
    jobs: int,
    on_record: Callable[[int], None] | None = None,
) -> None:
    """Judge every chunk in `jobs` processes; merge into `tally` in reading order."""
    global _WORKER
    options = source.options
    _WORKER = (engine, JsonRecords(options.max_file_bytes, options.max_depth, NormalizeStats(), options.read))
    records = problems = 0
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(min(jobs, len(chunks))) as pool:
            for result in pool.imap(_judge_chunk, chunks):
                for policy_id, counter in result.counts.items():
                    counts = tally.counts.setdefault(policy_id, {s: 0 for s in Status})
                    for status, n in counter.items():
                        counts[status] += n
                for finding in result.findings:
                    tally.findings.add(finding)
                tally.errors.extend(result.problems)
                problems += sum(1 for p in result.problems if p.kind != "note")
                records += result.records
                tally.records += result.records
                source.stats.records += result.stats_records
                source.stats.unknown_keys.update(result.unknown_keys)
                if on_record is not None:
                    on_record(tally.records)
    finally:
        _WORKER = None
    tally.errors.extend(source.closing_items(records, problems))
