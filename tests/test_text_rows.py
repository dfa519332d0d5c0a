"""TextRows (a JSON-only worker's findings made straight into rows) gives exactly the rows,
tally and counts of the plain path: Engine.judge, then RunWriter.add of each finding.

The records are generated with the values that take a finding off the fast path or into
an odd corner of it: names and ARNs with quotes, backslashes, spaces, control characters,
characters past ASCII and lone surrogates, empty names, values of the wrong type (ERROR),
floats, maps and lists where the policies read, secrets, huge line numbers, and jobs that
repeat (so frames are made, then served).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscan.engine import Engine
from smscan.findings_runs import RunFindings
from smscan.models import Origin, Record, Status
from smscan.policy.bound import is_word
from smscan.policy.loader import load_policies
from smscan.text_rows import TextRows, _inner
from tests.test_finding_fast_paths import records

FIVE = ("network-isolation", "inter-container-encryption", "vpc-configured", "volume-kms-encryption", "max-runtime-limit")
_ODD = ['"', "\\", "\n", "\x00", "\x1f", "\x7f", "\u00e9", "\u2028", "\ud800", " ", "\u3000", "job"]
odd_text = st.lists(st.sampled_from(_ODD) | st.text(max_size=3), max_size=4).map("".join)


@pytest.fixture(scope="module")
def pack() -> list[Any]:
    return load_policies((), {})


def _writer() -> Any:
    return RunFindings.for_workers(1, budget=10**9, texts=True, flats=False).writer(0)


def _plain(engine: Engine, jobs: list[Record], group: int) -> tuple[Any, dict[str, Counter[Status]]]:
    writer, seq = _writer(), 0
    counts: dict[str, Counter[Status]] = {}
    for record in jobs:
        for policy, status, finding in engine.judge(record):
            counts.setdefault(policy.id, Counter())[status] += 1
            if finding is not None:
                writer.add(finding, group, seq)
                seq += 1
    return writer, counts


def _fused(engine: Engine, jobs: list[Record], group: int) -> tuple[Any, dict[str, Counter[Status]]]:
    writer = _writer()
    rows, seq = TextRows(engine, writer), 0
    rows.start(group)
    for record in jobs:
        seq = rows.judge(record, seq)
    return writer, rows.take_counts()


@st.composite
def jobs(draw: st.DrawFn) -> list[Record]:
    # No NaN: no JSON input holds one, and the whole encoder refuses it.
    docs = draw(st.lists(records().filter(lambda d: not _has_nan(d)), min_size=1, max_size=5))
    out = []
    for i, data in enumerate(docs * 2):  # the second round is served from the frames
        if draw(st.booleans()):
            data = {**data, "training_job_name": draw(odd_text)}
        if draw(st.integers(0, 4)) == 0:
            data = {**data, "_key": draw(odd_text)}
        line = draw(st.sampled_from([i + 1, i + 1, 2**64 + i]))
        out.append(Record(data=data, origin=Origin(draw(st.sampled_from(["f.jsonl", 'q"\\.jsonl'])), line)))
    return out


def _has_nan(value: Any) -> bool:
    if isinstance(value, float):
        return value != value
    if isinstance(value, dict):
        return any(map(_has_nan, value.values()))
    return isinstance(value, (list, tuple)) and any(map(_has_nan, value))


@settings(max_examples=150, deadline=None)
@given(jobs(), st.booleans(), st.integers(0, 3))
def test_the_rows_are_the_plain_paths(pack: list[Any], judged: list[Record], five: bool, group: int) -> None:
    policies = [p for p in pack if p.id in FIVE] if five else pack
    plain, plain_counts = _plain(Engine(policies), judged, group)
    fused, fused_counts = _fused(Engine(policies), judged, group)
    assert sorted(fused.rows) == sorted(plain.rows)
    assert fused.tally.facets() == plain.tally.facets()
    assert fused.tally.counts() == plain.tally.counts()
    assert fused_counts == {k: v for k, v in plain_counts.items() if v}


def test_a_fleet_is_served_from_frames(pack: list[Any]) -> None:
    """Jobs alike to the memo take the fast path (no Finding), and still give the plain rows."""
    from tests.factories import make_record

    judged = []
    for i in range(40):
        data = make_record(f"job-{i}").data
        data["enable_network_isolation"] = False
        data["stopping_condition"] = {"MaxRuntimeInSeconds": 10**6 + i % 3}
        judged.append(Record(data=data, origin=Origin("f.jsonl", i + 1)))
    five = [p for p in pack if p.id in FIVE]
    engine = Engine(five)
    writer = _writer()
    rows = TextRows(engine, writer)
    plained = []
    original = rows._plain
    rows._plain = lambda record, seq, mark: (plained.append(record), original(record, seq, mark))[1]  # type: ignore[method-assign]
    seq = 0
    for record in judged:
        seq = rows.judge(record, seq)
    rows.take_counts()
    assert len(plained) <= 4  # the first job, and the first of each runtime limit
    assert sorted(writer.rows) == sorted(_plain(Engine(five), judged, 0)[0].rows)


def test_a_word_is_escaped_as_orjson_escapes_it_inside_a_message() -> None:
    """The fast text puts the escaped parts of a message side by side: that is the message
    escaped whole only if escaping goes character by character, which it does for words."""
    for code in range(0x110000):
        char = chr(code)
        if not is_word(char):
            continue
        word = f"a{char}b"
        assert '"' + _inner("x ") + _inner(word) + _inner(" y") + '"' == orjson.dumps(f"x {word} y").decode()


def test_every_status_is_counted() -> None:
    from smscan.text_rows import _BY_FREQUENCY

    assert sorted(_BY_FREQUENCY) == sorted(Status) and len(_BY_FREQUENCY) == len(Status)
