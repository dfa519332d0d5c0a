"""Where a scan keeps its findings: a small interface, and the in-memory store behind it.

Renderers and the gate only iterate in sort order, count, take the first N by severity,
and ask for two summaries (`Facets`, kept as findings are added; `JobCounts`, distinct jobs
per policy, account and region); they never index or slice the findings. So a store that
keeps findings on disk can replace `MemoryFindings` without any renderer changing, and no
renderer needs a second pass over the findings (or a set of every job) to draw its charts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import groupby, islice
from typing import Any, Protocol, runtime_checkable

from smscan.models import SEVERITY_BY_ID, STATUS_BY_ID, Finding, Severity, Status


@runtime_checkable
class FindingStore(Protocol):
    def add(self, finding: Finding) -> None:
        """Keep one more finding; the store sorts, callers add in any order."""

    def __iter__(self) -> Iterator[Finding]:
        """Every finding in `Finding.sort_key` order: most severe first."""
        ...

    def __len__(self) -> int: ...

    def counts(self) -> Mapping[tuple[Status, Severity], int]:
        """How many findings of each (status, severity) the store holds."""
        ...

    def where(self, statuses: Collection[Status]) -> Iterator[Finding]:
        """The findings with one of `statuses`, in sort order."""
        ...

    def first(self, n: int, statuses: Collection[Status]) -> list[Finding]:
        """The first `n` findings with one of `statuses`, most severe first."""
        ...

    def facets(self) -> Facets:
        """Counts over every finding by policy, status, severity, account, region and baseline mark."""
        ...

    def jobs(self, statuses: Collection[Status]) -> JobCounts:
        """How many distinct jobs have a finding with one of `statuses`, per policy, account and region."""
        ...


@dataclass(frozen=True)
class Facets:
    """What reports summarise over all the findings, bounded by the number of policies,
    accounts and regions, never by the fleet's size."""

    by_policy: Mapping[tuple[str, Status, Severity], int]
    accounts: Mapping[str, int]  # account id (possibly "") -> findings
    regions: Mapping[str, int]
    baseline: Mapping[str, int]  # "new" | "unchanged" -> findings; unmarked findings are left out
    # (status, severity, baseline mark) -> findings: all the gate needs to decide, with no
    # finding read back (smscan.gate.verdict.gated_counts)
    marked: Mapping[tuple[Status, Severity, str | None], int] = field(default_factory=dict)

    def policy_severities(self, statuses: Collection[Status] | None = None) -> dict[str, tuple[Severity, Severity]]:
        """policy id -> (most, least) severe of its findings with one of `statuses` (any, if None)."""
        ranges: dict[str, tuple[Severity, Severity]] = {}
        for (policy_id, status, severity), n in self.by_policy.items():
            if n and (statuses is None or status in statuses):
                top, bottom = ranges.get(policy_id, (severity, severity))
                ranges[policy_id] = (max(top, severity, key=_rank), min(bottom, severity, key=_rank))
        return ranges


class FacetTally:
    """The running counts behind `Facets`: one `add` a finding, in any order.

    One counter over (policy, status, severity, account, region, baseline mark), split into
    the facets when they are asked for: an add is one increment, and what it holds is
    bounded by policies x accounts x regions, never by the fleet's size. The status and the
    severity are held as their enums' ids: an Enum hashes in Python, an int in C, and every
    finding of a scan is added (the enums are singletons, and a forked worker's are the
    parent's; a tally is pickled with their values)."""

    __slots__ = ("_rows",)

    def __init__(self, findings: Iterable[Finding] = ()) -> None:
        self._rows: dict[tuple[str, int, int, str, str, str | None], int] = {}
        for f in findings:
            self.add(f)

    def add(self, f: Finding) -> None:
        r = f.resource
        key = (f.policy_id, id(f.status), id(f.severity), r.account_id, r.region, f.baseline)
        rows = self._rows
        rows[key] = rows.get(key, 0) + 1

    def count(self, policy_id: str, status: Status, severity: Severity, account: str, region: str, n: int) -> None:
        """`n` more findings with these values and no baseline mark (what `add` counts of each)."""
        key = (policy_id, id(status), id(severity), account, region, None)
        self._rows[key] = self._rows.get(key, 0) + n

    def _items(self) -> Iterator[tuple[tuple[str, Status, Severity, str, str, str | None], int]]:
        for (policy_id, status, severity, account, region, mark), n in self._rows.items():
            yield (policy_id, STATUS_BY_ID[status], SEVERITY_BY_ID[severity], account, region, mark), n

    def update(self, other: FacetTally) -> None:
        """Add the counts of `other` (a worker process's tally) to these."""
        rows = self._rows
        for key, n in other._rows.items():
            rows[key] = rows.get(key, 0) + n

    def __getstate__(self) -> dict[Any, int]:  # slots: pickled for the pipe from a worker
        return dict(self._items())

    def __setstate__(self, state: dict[Any, int]) -> None:
        self._rows = {(p, id(status), id(severity), a, r, m): n for (p, status, severity, a, r, m), n in state.items()}

    def counts(self) -> Counter[tuple[Status, Severity]]:
        """Findings per (status, severity)."""
        out: Counter[tuple[Status, Severity]] = Counter()
        for (_, status, severity, *_rest), n in self._items():
            out[(status, severity)] += n
        return out

    def __len__(self) -> int:
        return sum(self._rows.values())

    def facets(self) -> Facets:
        policy: Counter[tuple[str, Status, Severity]] = Counter()
        accounts: Counter[str] = Counter()
        regions: Counter[str] = Counter()
        baseline: Counter[str] = Counter()
        marked: Counter[tuple[Status, Severity, str | None]] = Counter()
        for (policy_id, status, severity, account, region, mark), n in self._items():
            policy[(policy_id, status, severity)] += n
            accounts[account] += n
            regions[region] += n
            marked[(status, severity, mark)] += n
            if mark:
                baseline[mark] += n
        return Facets(policy, accounts, regions, baseline, marked)


@dataclass(frozen=True)
class JobCounts:
    """Distinct jobs (the ARN, or the origin of a job without one) per policy, account and region."""

    policy: Mapping[str, int]
    account: Mapping[str, int]
    region: Mapping[str, int]


def job_of(f: Finding) -> str:
    """The job a finding is about: its ARN, or where it was read for a request file without one."""
    return f.resource.arn or str(f.resource.origin)


def count_jobs(rows: Iterable[tuple[object, str, str, str]]) -> JobCounts:
    """JobCounts from (job, policy, account, region) rows that come grouped by job (sorted by it).

    Grouped rows need no set of every job: each job's few rows are looked at together, then
    forgotten, so a store on disk counts a million jobs in the memory of one."""
    by: tuple[Counter[str], Counter[str], Counter[str]] = (Counter(), Counter(), Counter())
    for _job, group in groupby(rows, key=lambda row: row[0]):
        labels: tuple[set[str], set[str], set[str]] = (set(), set(), set())
        for _, *values in group:
            for seen, value in zip(labels, values, strict=True):
                seen.add(value)
        for counter, seen in zip(by, labels, strict=True):
            counter.update(seen)
    return JobCounts(*by)


def jobs_in(findings: Iterable[Finding], statuses: Collection[Status]) -> JobCounts:
    """JobCounts of findings held in memory."""
    rows = [
        (job_of(f), f.policy_id, f.resource.account_id, f.resource.region) for f in findings if f.status in statuses
    ]
    rows.sort(key=lambda row: row[0])
    return count_jobs(rows)


def _rank(severity: Severity) -> int:
    return severity.rank


class MemoryFindings:
    """A list sorted once, on first read after an add. Equal when the findings are."""

    __slots__ = ("_items", "_sorted", "_counts", "_facets")

    def __init__(self, findings: Iterable[Finding] = ()) -> None:
        self._items = list(findings)
        self._sorted = False
        self._counts: Counter[tuple[Status, Severity]] | None = None
        self._facets: Facets | None = None

    def add(self, finding: Finding) -> None:
        self._items.append(finding)
        self._sorted = False
        self._counts = None
        self._facets = None

    def in_insertion_order(self) -> list[Finding]:
        """The findings as added (until the first read sorts them): what a spill copies."""
        return self._items

    def _ordered(self) -> list[Finding]:
        if not self._sorted:
            self._items.sort(key=_sort_key)
            self._sorted = True
        return self._items

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._ordered())

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MemoryFindings):
            return self._ordered() == other._ordered()
        if isinstance(other, (tuple, list)):
            return self._ordered() == sorted(other, key=_sort_key)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"MemoryFindings({len(self._items)} findings)"

    def counts(self) -> Mapping[tuple[Status, Severity], int]:
        if self._counts is None:
            self._counts = Counter((f.status, f.severity) for f in self._items)
        return self._counts

    def where(self, statuses: Collection[Status]) -> Iterator[Finding]:
        return (f for f in self._ordered() if f.status in statuses)

    def first(self, n: int, statuses: Collection[Status]) -> list[Finding]:
        return list(islice(self.where(statuses), n))

    def facets(self) -> Facets:
        if self._facets is None:
            self._facets = FacetTally(self._items).facets()
        return self._facets

    def jobs(self, statuses: Collection[Status]) -> JobCounts:
        return jobs_in(self._items, statuses)


def _sort_key(finding: Finding) -> tuple[int, str, str, str, str]:
    return finding.sort_key


def count_of(store: FindingStore, statuses: Collection[Status], at_least: Severity | None = None) -> int:
    """How many stored findings have one of `statuses` (and a severity at or above `at_least`)."""
    floor = -1 if at_least is None else at_least.rank
    return sum(n for (status, severity), n in store.counts().items() if status in statuses and severity.rank >= floor)


def as_store(findings: Iterable[Finding]) -> FindingStore:
    """`findings` as a store: a store is kept as it is, anything else is copied into memory."""
    if isinstance(findings, FindingStore):
        return findings
    return MemoryFindings(findings)
