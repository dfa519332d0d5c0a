"""The store of a `--jobs` scan (runs written by the workers) reads as the store in memory.

Same order (ties kept in reading order across workers, chunks and the parent's own adds),
same counts, facets, distinct jobs, first N and filters, and the JSON text each worker
encodes is the one the JSON report would write. The findings are tests.factories'
(DescribeTrainingJob-shaped jobs, from the SageMaker API reference's response syntax).
"""

from __future__ import annotations

import dataclasses
import heapq
import os
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscan.codec import finding_text
from smscan.findings import MemoryFindings, job_of
from smscan.findings_runs import RunFindings, merge_batches
from smscan.models import Evidence, Severity, Status
from smscan.run_writer import RunFileError, key_field, key_of, row_key
from tests.factories import make_finding, mixed_findings
from tests.store_helpers import run_store

FINDINGS = [
    *mixed_findings(),
    make_finding("network-isolation", "b"),
    make_finding("network-isolation", "b"),  # a tie: read later, so listed later
    make_finding("network-isolation", "\u00e9t\u00e9"),
    *[make_finding("vpc-configured", f"job-{i:02d}", severity="medium", account_id=f"1111222233{i % 3:02d}")
      for i in range(9)],
    # Evidence JSON would change (a tuple, a map out of key order): kept as the flat tuple too.
    dataclasses.replace(
        make_finding("volume-kms-encryption", "odd"),
        evidence=(Evidence("$.resource_config", "equals", ("a", 1), ({"b": 1, "a": [2]},), False),),
    ),
]


@pytest.mark.parametrize("flats", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("budget", "own"), [(2, 0), (2, 3), (100, 2)])
def test_runs_read_as_memory_does(seed: int, budget: int, own: int, flats: bool) -> None:
    shuffled = FINDINGS[:]
    random.Random(seed).shuffle(shuffled)
    memory, runs = MemoryFindings(shuffled), run_store(shuffled, budget=budget, own=own, flats=flats)
    assert len(runs) == len(memory) == len(FINDINGS)
    assert list(runs) == list(memory)
    assert repr(list(runs)) == repr(list(memory))  # tuples as tuples, maps in their order
    assert dict(runs.counts()) == dict(memory.counts())
    assert runs.facets() == memory.facets()
    for statuses in [(Status.FAIL,), (Status.UNKNOWN, Status.ERROR), (Status.PASS,)]:
        assert list(runs.where(statuses)) == list(memory.where(statuses))
        assert runs.jobs(statuses) == memory.jobs(statuses)
        for n in (0, 1, 5, 1000):
            assert runs.first(n, statuses) == memory.first(n, statuses)
    assert [t for batch in runs.text_batches() for t in batch] == [finding_text(f) for f in memory]
    runs.close()


def test_each_row_is_keyed_by_the_findings_sort_key_and_job() -> None:
    store = RunFindings.for_workers(1, budget=10**6)
    writer = store.writer(0)
    for seq, f in enumerate(FINDINGS):
        writer.add(f, 7, seq)
    keys = [row[0] for row in writer.rows]
    assert keys == [
        row_key(f.severity, f.policy_id, key_field(f.resource.arn) + key_field(str(f.resource.origin)), f.status.value, 7, i)
        for i, f in enumerate(FINDINGS)
    ]
    tuples = [(*f.sort_key, 7, i) for i, f in enumerate(FINDINGS)]
    assert sorted(range(len(keys)), key=keys.__getitem__) == sorted(range(len(tuples)), key=tuples.__getitem__)
    assert [row[0] for row in writer._jobs] == [job_of(f) for f in FINDINGS]


# Texts as a record may spell them: NULs (the key's separator), \x01, prefixes of each other,
# characters past Latin-1.
_TEXT = st.text(alphabet=st.sampled_from(["\0", "\1", "a", "b", "\xff", "\u0100", ":"]), max_size=4)
_KEY = st.tuples(
    st.sampled_from(list(Severity)), _TEXT, _TEXT, _TEXT, st.sampled_from([s.value for s in Status]),
    st.integers(0, 10**9), st.integers(0, 10**9),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_KEY, min_size=2, max_size=8))
def test_row_keys_sort_as_the_tuples_they_stand_for(fields: list[tuple]) -> None:
    def as_tuple(k: tuple) -> tuple:
        severity, policy, arn, origin, status, group, seq = k
        return (-severity.rank, policy, arn, origin, status, group, seq)

    def as_key(k: tuple) -> str:
        severity, policy, arn, origin, status, group, seq = k
        return row_key(severity, policy, key_field(arn) + key_field(origin), status, group, seq)

    by_tuple = sorted(range(len(fields)), key=lambda i: (as_tuple(fields[i]), i))
    by_key = sorted(range(len(fields)), key=lambda i: (as_key(fields[i]), i))
    assert by_key == by_tuple
    assert len({as_key(k) for k in fields}) == len({as_tuple(k) for k in fields})


def _as_batches(rows: list[tuple[str, int]], cuts: list[int]) -> list[list[tuple[str, int]]]:
    """`rows` cut at `cuts` (positions, in any order, repeats making empty batches)."""
    edges = [0, *sorted(min(c, len(rows)) for c in cuts), len(rows)]
    return [rows[a:b] for a, b in zip(edges, edges[1:], strict=False)]


_RUNS = st.lists(st.lists(st.text("ab\0\u00e9", max_size=3), max_size=25), max_size=6)


@settings(max_examples=300, deadline=None)
@given(_RUNS, st.data())
def test_merged_batches_come_in_heapq_merges_order(runs: list[list[str]], data: st.DataObject) -> None:
    # Unique keys, as findings' are (their chunk's group and place end them), with ties of
    # everything before the last field, as a fleet's findings of one policy have.
    streams = [sorted((f"{key}\0\0{r:02d}{i:03d}", r) for i, key in enumerate(keys)) for r, keys in enumerate(runs)]
    cuts = [data.draw(st.lists(st.integers(0, 30), max_size=6)) for _ in streams]
    merged = [row for batch in merge_batches([iter(_as_batches(s, c)) for s, c in zip(streams, cuts, strict=True)]) for row in batch]
    assert merged == list(heapq.merge(*streams, key=key_of))


@settings(max_examples=300, deadline=None)
@given(_RUNS, st.data())
def test_merged_batches_keep_rows_of_one_key_together(runs: list[list[str]], data: st.DataObject) -> None:
    # Job rows: one key for each of a job's findings.
    streams = [sorted((key, r) for key in keys) for r, keys in enumerate(runs)]
    cuts = [data.draw(st.lists(st.integers(0, 30), max_size=6)) for _ in streams]
    batches = list(merge_batches([iter(_as_batches(s, c)) for s, c in zip(streams, cuts, strict=True)]))
    merged = [row for batch in batches for row in batch]
    assert [key for key, _ in merged] == sorted(key for keys in runs for key in keys)
    assert sorted(merged) == sorted(row for s in streams for row in s)
    assert all(batches)  # no empty list handed to a writer


def test_ties_keep_reading_order_across_workers_and_the_parent() -> None:
    # Seven findings with one sort key, as seven reads of one job: each carries its place
    # in its message, and the store must give them back in that order.
    twin = make_finding("network-isolation", "twin")
    same = [dataclasses.replace(twin, message=f"read {i}") for i in range(7)]
    for budget, own in [(1, 0), (2, 3), (1, 7)]:
        store = run_store(same, budget=budget, chunk=2, own=own)
        assert [f.message for f in store] == [f"read {i}" for i in range(7)]


def test_without_encoded_texts_the_report_text_is_encoded_on_reading() -> None:
    store = RunFindings.for_workers(1, budget=1, texts=False)
    for f in FINDINGS:
        store.add(f)
    assert [t for batch in store.text_batches() for t in batch] == [finding_text(f) for f in MemoryFindings(FINDINGS)]


def test_a_cut_short_file_is_an_error_that_says_so() -> None:
    store = run_store(FINDINGS, budget=2, own=0)
    os.ftruncate(store.files.fd(0), 10)
    with pytest.raises(RunFileError, match="cut short"):
        list(store)


def test_a_run_that_cannot_be_written_is_an_error_that_says_why() -> None:
    store = RunFindings.for_workers(1, budget=1)
    writer = store.writer(0)
    writer.add(FINDINGS[0], 0, 0)
    os.close(store.files.fd(0))  # as a full or vanished disk would refuse the write
    with pytest.raises(RunFileError, match="cannot write the scan's temporary findings file: Bad file descriptor"):
        writer.write()
