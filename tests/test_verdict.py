"""The gate's one verdict and the one compliance score, as values: the rules, in the order they apply."""

from __future__ import annotations

import dataclasses

import pytest

from smscan.gate.score import Score, fraction_text, total_score
from smscan.gate.verdict import GateOptions, VerdictStatus, blocking_findings, decide
from smscan.models import Problem, ScanResult, Status
from tests.factories import make_finding, make_result
from tests.report_helpers import render

UNREADABLE = Problem("nope.jsonl", "no such file or directory")
FORMATS = ("json", "sarif", "html", "junit", "markdown")


def scanned(result: ScanResult, records: int) -> ScanResult:
    return dataclasses.replace(result, meta=dataclasses.replace(result.meta, records_scanned=records))


def with_passes(result: ScanResult, passes: int) -> ScanResult:
    counts = {pid: {**c} for pid, c in result.counts.items()}
    first = next(iter(counts))
    counts[first][Status.PASS] += passes
    return dataclasses.replace(result, counts=counts)


def test_zero_jobs_read_is_incomplete_even_with_allow_partial() -> None:
    result = scanned(make_result([], errors=[UNREADABLE]), 0)
    for allow_partial in (False, True):
        verdict = decide(result, GateOptions(allow_partial=allow_partial))
        assert (verdict.status, verdict.exit_code) == (VerdictStatus.INCOMPLETE, 3)
        assert verdict.reason.startswith("no training job was read")


def test_an_empty_fleet_read_without_a_problem_passes() -> None:
    verdict = decide(scanned(make_result([]), 0), GateOptions())
    assert (verdict.status, verdict.exit_code) == (VerdictStatus.PASSED, 0)
    assert "held none" in verdict.reason


def test_some_unread_is_incomplete_unless_allowed() -> None:
    result = make_result([make_finding(status=Status.PASS)], errors=[UNREADABLE])
    assert decide(result, GateOptions()).exit_code == 3
    allowed = decide(result, GateOptions(allow_partial=True))
    assert (allowed.status, allowed.exit_code) == (VerdictStatus.PASSED, 0)
    assert "accepted with --allow-partial" in allowed.reason


@pytest.mark.parametrize(
    ("fail_on", "status", "reason"),
    [
        ("critical", VerdictStatus.PASSED, "no FAIL or ERROR at or above critical"),
        ("high", VerdictStatus.FAILED, "2 FAILs and 1 ERROR at or above high"),
        ("medium", VerdictStatus.FAILED, "2 FAILs and 1 ERROR at or above medium"),
        ("never", VerdictStatus.PASSED, "--fail-on never: findings are reported, they do not fail the run"),
    ],
)
def test_fail_on_levels(fail_on: str, status: VerdictStatus, reason: str) -> None:
    result = make_result([
        make_finding("network-isolation", "a"),
        make_finding("network-isolation", "b"),
        make_finding("vpc-configured", "c", status=Status.ERROR),
        make_finding("retry-limit", "d", severity="low"),
    ])
    verdict = decide(result, GateOptions(fail_on=fail_on))
    assert (verdict.status, verdict.reason) == (status, reason)
    assert verdict.exit_code == (1 if status is VerdictStatus.FAILED else 0)


def test_new_only_gates_on_new_fails_but_never_forgives_an_error() -> None:
    unchanged = dataclasses.replace(make_finding("network-isolation", "a"), baseline="unchanged")
    new = dataclasses.replace(make_finding("network-isolation", "b"), baseline="new")
    error = make_finding("vpc-configured", "c", status=Status.ERROR)
    options = GateOptions(fail_on_new_only=True)
    assert decide(make_result([unchanged]), options).status is VerdictStatus.PASSED
    verdict = decide(make_result([unchanged, new]), options)
    assert verdict.reason == "1 new FAIL at or above high"
    assert [f.resource.name for f in blocking_findings(make_result([unchanged, error]), options)] == ["c"]


def test_strict_waivers_fail_on_a_stale_waiver_only_when_asked() -> None:
    result = make_result([make_finding(status=Status.PASS)])
    stale = ("w.yaml:2: waiver for network-isolation matched no finding",)
    assert decide(result, GateOptions(waiver_violations=stale)).passed
    strict = decide(result, GateOptions(strict_waivers=True, waiver_violations=stale))
    assert (strict.status, strict.reason) == (VerdictStatus.FAILED, "1 expired or stale waiver (--strict-waivers)")


@pytest.mark.parametrize(
    ("fail_on_unknown", "status"),
    [("never", VerdictStatus.PASSED), ("critical", VerdictStatus.PASSED), ("high", VerdictStatus.FAILED)],
)
def test_fail_on_unknown(fail_on_unknown: str, status: VerdictStatus) -> None:
    result = make_result([make_finding(status=Status.UNKNOWN), make_finding("vpc-configured", status=Status.PASS)])
    verdict = decide(result, GateOptions(fail_on_unknown=fail_on_unknown))
    assert verdict.status is status
    if status is VerdictStatus.FAILED:
        assert verdict.reason == "1 UNKNOWN at or above high (--fail-on-unknown)"


def test_an_unknown_never_passes_the_gate_by_counting_as_a_pass() -> None:
    result = make_result([make_finding(status=Status.UNKNOWN)])
    assert total_score(result.counts.values()).text() == "0.0%"


def test_gate_options_refuse_a_threshold_that_is_not_a_severity() -> None:
    with pytest.raises(ValueError):
        GateOptions(fail_on_unknown="sometimes")


# --- the score --------------------------------------------------------------------------


def test_score_is_floored_and_never_100_with_a_fail() -> None:
    assert Score(250, 251).text() == "99.6%"
    assert Score(100_000, 100_001).text() == "99.9%"
    assert Score(100_000, 100_001).fraction == 0.999
    assert Score(5, 5).text() == "100.0%" and Score(0, 0).text() == "n/a"
    assert fraction_text(0.999) == "99.9%" and fraction_text(None) == "n/a"


@pytest.mark.parametrize("status", [Status.FAIL, Status.ERROR, Status.UNKNOWN])
def test_250_clean_and_one_non_pass_is_never_100_percent_in_any_format(status: Status) -> None:
    result = with_passes(make_result([make_finding(status=status)]), 250)
    score = total_score(result.counts.values())
    assert score.text() == "99.6%"
    shown = {fmt: render(fmt, result, fail_on="never") for fmt in FORMATS}
    assert "compliance score **99.6%**" in shown["markdown"]
    assert '<p class="big">99.6%</p>' in shown["html"]
    assert '"compliance_score": 0.996' in shown["json"]
    for text in shown.values():
        assert "100.0%" not in text


def test_a_clean_scan_scores_100_percent() -> None:
    result = with_passes(make_result([make_finding(status=Status.PASS)]), 9)
    assert "compliance score **100.0%**" in render("markdown", result)
