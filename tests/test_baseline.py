"""Baseline: findings matched by (policy id, job ARN) — never by their position in a report."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable
from pathlib import Path

import pytest

from smscan.errors import SourceError
from smscan.gate.baseline import (
    ABSENT_NOTE,
    apply_baseline,
    finding_key,
    load_baseline,
    record_key,
)
from smscan.gate.verdict import GateOptions, blocking_findings
from smscan.models import Finding, Origin, Problem, ScanResult, Status, Waiver
from smscan.reports import RenderOptions
from tests.factories import make_finding, make_record, make_result
from tests.report_helpers import render


def new_failures(result: ScanResult) -> list[Finding]:
    """What --fail-on-new-only gates on, at the lowest threshold."""
    return blocking_findings(result, GateOptions(fail_on="info", fail_on_new_only=True))


def marks(findings: Iterable[Finding]) -> dict[str, str | None]:
    return {f"{f.policy_id}@{f.resource.name}": f.baseline for f in findings}


def test_new_unchanged_and_fixed_whatever_the_order() -> None:
    previous_findings = [
        make_finding("network-isolation", "job-a"),
        make_finding("network-isolation", "job-b"),
        make_finding("vpc-configured", "job-a"),
        make_finding("retry-limit", "job-c", severity="low"),
    ]
    current_findings = [
        make_finding("network-isolation", "job-b"),
        make_finding("vpc-configured", "job-a"),
        make_finding("network-isolation", "job-d"),
        make_finding("vpc-configured", "job-b"),
    ]
    rng = random.Random(6)
    for _ in range(5):
        rng.shuffle(previous_findings)
        rng.shuffle(current_findings)
        previous = dataclasses.replace(make_result(), findings=tuple(previous_findings))
        current = dataclasses.replace(make_result(), findings=tuple(current_findings))
        result = apply_baseline(current, previous)
        assert marks(result.findings) == {
            "network-isolation@job-b": "unchanged",
            "vpc-configured@job-a": "unchanged",
            "network-isolation@job-d": "new",
            "vpc-configured@job-b": "new",
        }
        assert sorted(f"{f.policy_id}@{f.resource.name}" for f in result.fixed) == [
            "network-isolation@job-a",
            "retry-limit@job-c",
        ]
        assert all(f.baseline is None for f in result.fixed)
        assert [f"{f.policy_id}@{f.resource.name}" for f in new_failures(result)] == [
            f"{f.policy_id}@{f.resource.name}" for f in result.findings if f.baseline == "new"
        ]


def test_waived_is_open_not_fixed_and_passes_are_left_alone() -> None:
    waiver = Waiver("Accepted.", expires="2027-01-01", source="w.yaml:3")
    previous = make_result([make_finding("network-isolation", "job-a")])
    waived = dataclasses.replace(
        make_finding("network-isolation", "job-a"), status=Status.WAIVED, waiver=waiver
    )
    passed = make_finding("vpc-configured", "job-a", status=Status.PASS)
    result = apply_baseline(make_result([waived, passed]), previous)
    assert marks(result.findings) == {
        "network-isolation@job-a": "unchanged",
        "vpc-configured@job-a": None,
    }
    assert result.fixed == ()
    assert new_failures(result) == []  # a WAIVED finding never fails the gate


def test_a_failure_whose_waiver_expired_is_unchanged_not_new() -> None:
    waived = dataclasses.replace(make_finding(), status=Status.WAIVED, waiver=Waiver("ok"))
    result = apply_baseline(make_result([make_finding()]), make_result([waived]))
    assert [f.baseline for f in result.findings] == ["unchanged"]
    assert new_failures(result) == []


def test_without_a_baseline_every_failure_counts_as_new() -> None:
    result = make_result([make_finding("network-isolation", "a"), make_finding("vpc-configured", "b")])
    assert len(new_failures(result)) == 2


def test_records_without_an_arn_match_by_file_and_pointer_not_line() -> None:
    def request_finding(line: int) -> Finding:
        f = make_finding("network-isolation", "from-file")
        origin = Origin("jobs/train.json", line=line, pointer="/TrainingJob")
        return dataclasses.replace(f, resource=dataclasses.replace(f.resource, arn="", origin=origin))

    result = apply_baseline(make_result([request_finding(40)]), make_result([request_finding(12)]))
    assert [f.baseline for f in result.findings] == ["unchanged"]
    assert result.fixed == ()


def test_jobs_absent_from_the_scan_are_fixed_but_say_so() -> None:
    previous = make_result([make_finding("network-isolation", "deleted"), make_finding("network-isolation", "repaired")])
    current = make_result([make_finding("vpc-configured", "other")])
    present = {record_key(make_record("repaired")), record_key(make_record("other"))}
    result = apply_baseline(current, previous, present)
    messages = {f.resource.name: f.message for f in result.fixed}
    assert messages["deleted"].endswith(ABSENT_NOTE)
    assert not messages["repaired"].endswith(ABSENT_NOTE)


def test_incomplete_scan_warns_that_fixed_may_be_unreadable() -> None:
    previous = make_result([make_finding("network-isolation", "job-a")])
    current = make_result([], errors=[Problem("aws:eu-west-1", "AccessDenied", kind="aws")])
    result = apply_baseline(current, previous)
    assert len(result.fixed) == 1
    assert any(note.startswith("baseline: this scan is incomplete") for note in result.meta.notes)


def test_load_baseline_reads_a_json_report(tmp_path: Path) -> None:
    result = make_result([make_finding("network-isolation", "job-a")])
    path = tmp_path / "previous.json"
    path.write_text(render("json", result, RenderOptions(generated_at="2026-11-24T10:00:02Z")))
    loaded = load_baseline(path)
    assert [finding_key(f) for f in loaded.findings] == [finding_key(f) for f in result.findings]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "baseline file not found"),
        ("{not json", "not a JSON report"),
        ('{"schema_version": "9.0"}', "not an smscan JSON report"),
        (b"\xff\xfe", "cannot read baseline"),
    ],
)
def test_load_baseline_errors_name_the_file(tmp_path: Path, content: str | bytes | None, expected: str) -> None:
    path = tmp_path / "previous.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(SourceError) as info:
        load_baseline(path)
    assert str(info.value).startswith(str(path))
    assert expected in str(info.value)
