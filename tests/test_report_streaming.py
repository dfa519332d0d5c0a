"""Every report streamed from a store on disk is byte-identical to the one from memory.

Both stores on disk: SQLite (a one-process scan past its memory budget) and the sorted
runs a `--jobs` scan's workers write (smscan.findings_runs), whose JSON report copies the
texts the workers encoded.

The findings are shaped as smscan's sources make them: DescribeTrainingJob-shaped jobs
(tests/factories.py, from the SageMaker API reference's DescribeTrainingJob response
syntax: `arn:aws:sagemaker:REGION:ACCOUNT:training-job/NAME`), plus request-file findings
without an ARN whose origin is a file and line (a Step Functions state machine definition,
as in the AWS Step Functions developer guide's SageMaker createTrainingJob.sync example),
waived, UNKNOWN and ERROR findings, baseline marks, a job in two regions, a finding of a
policy missing from the pack, and non-ASCII names. The caps of every renderer are shrunk
so the capped paths (first N rows, the SARIF results limit) stream from disk too.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Collection, Iterator

import pytest

from smscan.findings import FindingStore, JobCounts, MemoryFindings, jobs_in
from smscan.findings_disk import SpillingFindings
from smscan.models import Finding, Location, Origin, ScanResult, Status, Waiver
from smscan.reports import FORMATS
from smscan.reports.html import render as html_render
from smscan.reports.sarif import render as sarif_render
from tests.factories import make_finding, make_policy_info, make_result
from tests.report_helpers import render, verdict_of
from tests.store_helpers import run_store

ASL = "jobs/train.asl.json"


def _request(policy_id: str, line: int, status: Status = Status.FAIL) -> Finding:
    f = make_finding(policy_id, "", status=status, account_id="", region="")
    resource = dataclasses.replace(f.resource, arn="", origin=Origin(ASL, line=line, pointer="/States/Train"))
    return dataclasses.replace(f, resource=resource, location=Location(ASL, line, 7))


def _findings() -> list[Finding]:
    waiver = Waiver("accepted until the VPC migration", "team-ml", "2027-03-31", ".smscan-waivers.yaml")
    found = [
        make_finding("network-isolation", f"train-{i:03d}", account_id=f"11112222{i % 3:04d}") for i in range(12)
    ]
    found += [
        make_finding("vpc-configured", f"train-{i:03d}", severity="medium", region="eu-west-1") for i in range(6)
    ]
    found += [
        make_finding("no-secrets-in-environment", "entra\u00eenement-\u00e9t\u00e9", severity="critical"),
        make_finding("volume-kms-encryption", "train-001", status=Status.UNKNOWN, severity="medium"),
        make_finding("volume-kms-encryption", "train-002", status=Status.ERROR, severity="medium"),
        dataclasses.replace(make_finding("max-runtime-limit", "train-003", status=Status.WAIVED, severity="low"),
                            waiver=waiver),
        dataclasses.replace(make_finding("max-runtime-limit", "train-004", status=Status.WAIVED, severity="low"),
                            waiver=waiver),
        make_finding("max-runtime-limit", "train-005", severity="low"),
        make_finding("custom-team-tag", "train-006", severity="info"),  # a policy missing from the pack
        _request("network-isolation", 65),
        _request("network-isolation", 120),
        _request("volume-kms-encryption", 65, Status.UNKNOWN),
    ]
    return [dataclasses.replace(f, baseline=("new" if i % 3 else "unchanged")) for i, f in enumerate(found)]


def _result(store: FindingStore, findings: list[Finding]) -> ScanResult:
    pack = [f for f in findings if f.policy_id != "custom-team-tag"]
    base = make_result(pack)
    ids = sorted({p.id for p in base.policies})
    policies = tuple(make_policy_info(i, next(f.severity.value for f in pack if f.policy_id == i)) for i in ids)
    return dataclasses.replace(base, policies=policies, findings=store, fixed=(make_finding("retry-limit", "gone"),))


@pytest.fixture(params=[0, 1], ids=["uncapped", "capped"])
def caps(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    if request.param:
        monkeypatch.setattr(html_render, "MAX_ROWS", 5)
        monkeypatch.setattr(html_render, "UNKNOWN_SHOWN", 1)
        monkeypatch.setattr(html_render, "WAIVED_SHOWN", 1)
        monkeypatch.setattr(sarif_render, "MAX_RESULTS", 7)
    return bool(request.param)


def _on_disk(kind: str, findings: list[Finding]) -> FindingStore:
    """The findings in a store on disk: SQLite (one process), or a --jobs scan's runs."""
    if kind.startswith("runs"):
        return run_store(findings, budget=3, flats=kind == "runs")
    disk = SpillingFindings(reversed(findings), budget=3)
    assert disk.on_disk
    return disk


@pytest.mark.parametrize("kind", ["sqlite", "runs", "runs from texts"])
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_format_streamed_from_disk_is_byte_identical_to_memory(fmt: str, caps: bool, kind: str) -> None:
    findings = _findings()
    from_disk = render(fmt, _result(_on_disk(kind, findings), findings))
    from_memory = render(fmt, _result(MemoryFindings(findings), findings))
    assert from_disk == from_memory
    assert "train-000" in from_memory or fmt == "markdown"  # the report lists findings, not only counts


@pytest.mark.parametrize("kind", ["sqlite", "runs", "runs from texts"])
def test_the_summaries_on_disk_are_those_in_memory(kind: str) -> None:
    findings = _findings()
    memory, disk = MemoryFindings(findings), _on_disk(kind, findings)
    statuses = (Status.FAIL, Status.UNKNOWN)
    assert disk.facets() == memory.facets()
    assert disk.jobs(statuses) == memory.jobs(statuses)
    for n in (0, 1, 4, 100):
        assert disk.first(n, statuses) == memory.first(n, statuses)
    assert list(disk.where((Status.PASS,))) == [] == disk.first(5, (Status.PASS,))  # none held: no query


def test_distinct_jobs_count_each_job_once_per_label() -> None:
    jobs = jobs_in(_findings(), (Status.FAIL,))
    # 12 network-isolation jobs, plus two request-file states told apart by their line
    assert jobs.policy["network-isolation"] == 14
    # train-000..005 fail both network-isolation (us-east-1) and vpc-configured (eu-west-1):
    # a job is counted once in each region it is reported in
    assert jobs.region["eu-west-1"] == 6
    assert jobs.region[""] == 2 and jobs.account[""] == 2
    assert sum(jobs.account.values()) == len({(f.resource.account_id, f.resource.arn or str(f.resource.origin))
                                               for f in _findings() if f.status is Status.FAIL})


@pytest.mark.parametrize("cap", [9, 24, 25])
def test_sarif_keeps_the_most_severe_with_waived_last_at_each_severity(cap: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # At 24 the cap falls among the low findings, where the store's order has the two waived
    # ones (train-003, train-004) before the open one (train-005): the open one must be kept.
    findings = _findings()
    monkeypatch.setattr(sarif_render, "MAX_RESULTS", cap)
    reported = [f for f in MemoryFindings(findings) if f.status in sarif_render.REPORTED]
    expected = heapq.nsmallest(
        cap, reported, key=lambda f: (-f.severity.rank, f.status is Status.WAIVED, f.policy_id, f.resource.arn)
    )
    for store in (MemoryFindings(findings), SpillingFindings(findings, budget=2), run_store(findings)):
        found, dropped = sarif_render._cap(store, len(reported))
        kept = list(found)
        assert kept == expected and dropped == len(reported) - cap
    if cap == 24:
        assert kept[-1].status is Status.FAIL and kept[-1].resource.name == "train-005"


class CountingStore(SpillingFindings):
    """A store on disk that counts how often a renderer reads it, and how."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(findings, budget=2)
        self.reads: list[str] = []

    def __iter__(self) -> Iterator[Finding]:
        self.reads.append("all")
        return super().__iter__()

    def where(self, statuses: Collection[Status]) -> Iterator[Finding]:
        self.reads.append("where")
        return super().where(statuses)

    def first(self, n: int, statuses: Collection[Status]) -> list[Finding]:
        self.reads.append(f"first {n}")
        return super().first(n, statuses)

    def jobs(self, statuses: Collection[Status]) -> JobCounts:
        self.reads.append("jobs")
        return super().jobs(statuses)


def test_the_html_report_reads_the_store_once_and_only_as_far_as_its_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    findings = _findings()
    store = CountingStore(findings)
    monkeypatch.setattr(html_render, "MAX_ROWS", 4)
    result = _result(store, findings)
    verdict = verdict_of(result)  # the gate's read, before any renderer
    store.reads.clear()
    render("html", result, verdict=verdict)
    # one ordered read for the table, the first few WAIVED and UNKNOWN for their sections,
    # one query of distinct failing jobs for the charts and the policy table
    assert sorted(store.reads) == ["all", "first 500", "first 500", "jobs"]


def test_the_verdict_and_the_terminal_summary_from_disk_are_those_from_memory() -> None:
    # A store on disk yields new Finding objects on every read: the summary once told the
    # blocking findings from the rest by object identity, and counted every FAIL as "below".
    from smscan.cli.summary import format_summary
    from smscan.gate.verdict import GateOptions, decide

    findings = _findings()
    options = GateOptions(fail_on="high", fail_on_unknown="medium")
    texts = []
    for store in (MemoryFindings(findings), SpillingFindings(findings, budget=2), run_store(findings)):
        result = _result(store, findings)
        verdict = decide(result, options)
        texts.append((verdict.reason, format_summary(result, [], verdict, options)))
    assert texts[0] == texts[1] == texts[2]
    below = sum(1 for f in findings if f.status in (Status.FAIL, Status.ERROR) and f.severity.rank < 3)
    assert f"; {below} below high do not decide it" in texts[0][1]
    assert "since the baseline: " in texts[0][1]
