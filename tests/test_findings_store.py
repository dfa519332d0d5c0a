"""The findings store: what renderers and the gate may ask of it, and nothing more."""

from __future__ import annotations

import random

from smscan.findings import FindingStore, MemoryFindings, as_store, count_of
from smscan.models import Severity, Status
from tests.factories import make_finding, make_result, mixed_findings

FINDINGS = mixed_findings()


def test_iterates_in_sort_order_whatever_the_order_of_adds() -> None:
    expected = sorted(FINDINGS, key=lambda f: f.sort_key)
    for seed in range(3):
        shuffled = FINDINGS[:]
        random.Random(seed).shuffle(shuffled)
        store = MemoryFindings()
        for f in shuffled:
            store.add(f)
        assert list(store) == expected and len(store) == 5


def test_counts_where_and_first_by_severity() -> None:
    store = MemoryFindings(FINDINGS)
    assert store.counts()[(Status.FAIL, Severity.HIGH)] == 1
    assert count_of(store, (Status.FAIL,)) == 3
    assert count_of(store, (Status.FAIL, Status.ERROR), at_least=Severity.HIGH) == 3
    assert [f.resource.name for f in store.first(2, (Status.FAIL,))] == ["c", "b"]
    assert [f.resource.name for f in store.where((Status.UNKNOWN, Status.ERROR))] == ["e", "d"]
    store.add(make_finding("network-isolation", "f", severity="critical"))
    assert count_of(store, (Status.FAIL,), at_least=Severity.CRITICAL) == 2  # counts follow adds


def test_a_result_keeps_any_iterable_of_findings_as_a_store() -> None:
    result = make_result(FINDINGS)
    assert isinstance(result.findings, FindingStore)
    assert as_store(result.findings) is result.findings
    assert result.findings == MemoryFindings(reversed(FINDINGS)) == tuple(FINDINGS)
