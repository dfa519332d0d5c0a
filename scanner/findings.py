"""Where a scan keeps its findings: a small interface, and the in-memory store behind it.

Renderers and the gate only iterate in sort order, count, and take the first N by
severity; they never index or slice the findings. So a store that keeps findings on
disk can replace `MemoryFindings` without any renderer changing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from itertools import islice
from typing import Protocol, runtime_checkable

from smscan.models import Finding, Severity, Status


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


class MemoryFindings:
    """A list sorted once, on first read after an add. Equal when the findings are."""

    __slots__ = ("_items", "_sorted", "_counts")

    def __init__(self, findings: Iterable[Finding] = ()) -> None:
        self._items = list(findings)
        self._sorted = False
        self._counts: Counter[tuple[Status, Severity]] | None = None

    def add(self, finding: Finding) -> None:
        self._items.append(finding)
        self._sorted = False
        self._counts = None

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
