"""A findings store that moves to SQLite on disk once it holds more than a memory budget.

An unremediated fleet has about three findings a job, so a million jobs would need
gigabytes of Finding objects; renderers only iterate in sort order, count and take the
first N (smscan.findings), which SQLite does from a temporary file with a bounded page
cache. Below the budget nothing touches the disk, and the store behaves as MemoryFindings.

Order: SQLite compares BLOBs byte by byte, and UTF-8 bytes compare as code points do,
so `ORDER BY` the encoded `Finding.sort_key` (then the insertion number, as a stable
sort keeps equal keys) is exactly the order MemoryFindings gives. Findings are pickled:
the file is this process's own temporary file, deleted on close, never read from elsewhere.

Reads. An index on that order, built once on the first read, lets every read stream in
order without sorting the table again, and stop early: the first N (the HTML page, the
UNKNOWN section) cost N rows, not a sort of millions. Facets are counted as findings are
added; distinct jobs per policy, account and region come from one query sorted by job,
which holds one job's rows at a time (smscan.findings.count_jobs).
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

from smscan.findings import Facets, FacetTally, JobCounts, MemoryFindings, count_jobs, job_of
from smscan.models import Evidence, Finding, Location, Origin, Resource, Severity, Status, Waiver

DEFAULT_BUDGET = 50_000  # findings kept in memory (about 75 MB of Findings) before the store spills
_BATCH = 2_000
_SCHEMA = (
    "CREATE TABLE finding (rank INTEGER, policy BLOB, arn BLOB, origin BLOB, status BLOB,"
    " seq INTEGER, job BLOB, account BLOB, region BLOB, body BLOB)"
)
_INDEX = "CREATE INDEX finding_order ON finding (rank, policy, arn, origin, status, seq)"
_ORDER = "ORDER BY rank, policy, arn, origin, status, seq"
_Row = tuple[int, bytes, bytes, bytes, bytes, int, bytes, bytes, bytes, bytes]


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate still sorts by code point


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")


def _status_filter(statuses: Collection[Status] | None) -> tuple[str, list[bytes]]:
    if statuses is None:
        return "", []
    values = [_utf8(s.value) for s in statuses]
    return f"WHERE status IN ({', '.join('?' * len(values))})", values


def _flat(f: Finding) -> tuple[Any, ...]:
    """`f` as a tuple of plain values: unpickling dataclasses and enums costs 3x more."""
    r, loc, w = f.resource, f.location, f.waiver
    return (
        f.policy_id, f.severity.value, f.status.value,
        (r.arn, r.name, r.account_id, r.region, r.status, r.origin.source, r.origin.line, r.origin.pointer),
        f.message,
        tuple((e.path, e.operator, e.expected, e.actual, e.satisfied, e.note) for e in f.evidence),
        None if loc is None else (loc.path, loc.line, loc.column),
        None if w is None else (w.reason, w.owner, w.expires, w.source),
        f.baseline,
    )


def _finding(t: tuple[Any, ...]) -> Finding:
    policy_id, severity, status, r, message, evidence, loc, waiver, baseline = t
    return Finding(
        policy_id=policy_id,
        severity=_SEVERITIES[severity],
        status=_STATUSES[status],
        resource=Resource(r[0], r[1], r[2], r[3], r[4], Origin(r[5], r[6], r[7])),
        message=message,
        evidence=tuple(Evidence(*e) for e in evidence),
        location=None if loc is None else Location(*loc),
        waiver=None if waiver is None else Waiver(*waiver),
        baseline=baseline,
    )


_SEVERITIES = {s.value: s for s in Severity}
_STATUSES = {s.value: s for s in Status}


class SpillingFindings:
    """MemoryFindings up to `budget` findings, then every finding in a SQLite file."""

    def __init__(self, findings: Iterable[Finding] = (), *, budget: int = DEFAULT_BUDGET, directory: str | None = None) -> None:
        self._budget = budget
        self._directory = directory
        self._memory: MemoryFindings | None = MemoryFindings()
        self._db: sqlite3.Connection | None = None
        self._pending: list[_Row] = []
        self._counts: Counter[tuple[Status, Severity]] = Counter()
        self._facets = FacetTally()
        self._indexed = False
        self._size = 0
        self._flushed = 0
        for f in findings:
            self.add(f)

    @property
    def on_disk(self) -> bool:
        return self._db is not None

    def add(self, finding: Finding) -> None:
        self._counts[(finding.status, finding.severity)] += 1
        self._facets.add(finding)
        self._size += 1
        if self._memory is not None:
            self._memory.add(finding)
            if self._size > self._budget:
                self._spill()
            return
        self._queue(finding)

    def _spill(self) -> None:
        fd, path = tempfile.mkstemp(prefix="smscan-findings-", suffix=".sqlite", dir=self._directory)
        os.close(fd)
        db = sqlite3.connect(path)
        os.unlink(path)  # the open connection keeps the file; nothing is left behind on exit
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-16000")  # 16 MB of pages, whatever the store's size
        db.execute("PRAGMA temp_store=FILE")  # the index build and the job query sort on disk
        db.execute(_SCHEMA)
        self._db = db
        assert self._memory is not None
        held, self._memory = self._memory, None
        for f in held.in_insertion_order():  # seq keeps a stable sort's ties
            self._queue(f)

    def _queue(self, f: Finding) -> None:
        rank, policy, arn, origin, status = f.sort_key
        seq = len(self._pending) + self._flushed
        body = pickle.dumps(_flat(f), protocol=pickle.HIGHEST_PROTOCOL)
        r = f.resource
        self._pending.append((
            rank, _utf8(policy), _utf8(arn), _utf8(origin), _utf8(status), seq,
            _utf8(job_of(f)), _utf8(r.account_id), _utf8(r.region), body,
        ))
        if len(self._pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._db is not None and self._pending:
            self._db.executemany("INSERT INTO finding VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._pending)
            self._flushed += len(self._pending)
            self._pending = []

    def _ready(self) -> sqlite3.Connection:
        """The connection, every queued finding written and the order index built."""
        assert self._db is not None
        self._flush()
        if not self._indexed:  # one sort, once; later adds keep the index up to date
            self._db.execute(_INDEX)
            self._indexed = True
        return self._db

    def _rows(self, statuses: Collection[Status] | None, limit: int = -1) -> Iterator[Finding]:
        if statuses is not None and not any(n for (status, _), n in self._counts.items() if status in statuses):
            return  # none to find: no walk of the whole index for them
        db = self._ready()
        where, values = _status_filter(statuses)
        cursor = db.execute(f"SELECT body FROM finding {where} {_ORDER} LIMIT ?", [*values, limit])
        for (body,) in cursor:
            yield _finding(pickle.loads(body))

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._memory) if self._memory is not None else self._rows(None)

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return self._size > 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (SpillingFindings, MemoryFindings, tuple, list)):
            return list(self) == (list(other) if not isinstance(other, (tuple, list)) else list(MemoryFindings(other)))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SpillingFindings({self._size} findings{', on disk' if self.on_disk else ''})"

    def counts(self) -> Mapping[tuple[Status, Severity], int]:
        return self._counts

    def where(self, statuses: Collection[Status]) -> Iterator[Finding]:
        if self._memory is not None:
            return self._memory.where(statuses)
        return self._rows(statuses)

    def first(self, n: int, statuses: Collection[Status]) -> list[Finding]:
        if self._memory is not None:
            return self._memory.first(n, statuses)
        return list(self._rows(statuses, max(n, 0)))

    def facets(self) -> Facets:
        return self._facets.facets()

    def jobs(self, statuses: Collection[Status]) -> JobCounts:
        if self._memory is not None:
            return self._memory.jobs(statuses)
        db = self._ready()
        where, values = _status_filter(statuses)
        cursor = db.execute(f"SELECT job, policy, account, region FROM finding {where} ORDER BY job", values)
        return count_jobs((job, _text(p), _text(a), _text(r)) for job, p, a, r in cursor)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
