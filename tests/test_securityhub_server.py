"""The Security Hub sink against moto's server on 127.0.0.1 (BatchImportFindings, GetFindings).

Import, re-import without duplicates, archive on fix, an incomplete scan that archives
nothing; throttling and a per-finding failure through the fault-injecting proxy in front
of moto; and the whole CLI path (`scan --aws --security-hub`) with planted secrets.
moto's GetFindings ignores Filters, which also proves the sink checks every returned
finding itself (as it must in an aggregation region, prowler#1100).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import boto3
import botocore.retries.bucket
import botocore.retries.standard
import pytest

from smscan.models import Problem, ScanResult, Status
from smscan.sinks import asff
from smscan.sinks.securityhub import SecurityHubSink
from smscan.sources.aws.fetch import FetchSettings
from tests.cli_helpers import run_cli
from tests.factories import job_arn, make_finding, make_policy_info, make_result
from tests.fault_proxy import Faults, fault_proxy
from tests.moto_server import ACCOUNT, aws_env, job_spec, moto_endpoint, sagemaker

__all__ = ["aws_env", "moto_endpoint"]
pytestmark = pytest.mark.server

SCOPE = {
    "source": "aws",
    "accounts": [ACCOUNT],
    "regions": ["us-east-1"],
    "scanned_pairs": [f"{ACCOUNT}/us-east-1"],
    "filters": {"statuses": ["Completed", "Failed", "InProgress", "Stopped", "Stopping"]},
}


@pytest.fixture
def no_backoff_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore's retries run for real; only the sleeping between attempts is skipped.
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda *a: 0)
    monkeypatch.setattr(botocore.retries.bucket.TokenBucket, "acquire", lambda *a, **k: True)


def client(endpoint: str, attempts: int = 5) -> Any:
    config = FetchSettings(endpoint_url=endpoint, max_attempts=attempts).config()
    return boto3.client("securityhub", region_name="us-east-1", endpoint_url=endpoint, config=config)


def sink(endpoint: str, attempts: int = 5, **kw: Any) -> SecurityHubSink:
    hub = client(endpoint, attempts)
    return SecurityHubSink(lambda account, region: hub, sleep=lambda s: None, **kw)


def scan(findings: list[Any], errors: list[Problem] | None = None, at: str = "2026-11-24T10:00:02Z") -> ScanResult:
    result = make_result(findings, policies=[make_policy_info("network-isolation"), make_policy_info("vpc-configured")], errors=errors)
    return dataclasses.replace(result, meta=dataclasses.replace(result.meta, scope=SCOPE, finished_at=at))


def stored(endpoint: str) -> dict[str, dict[str, Any]]:
    """Every finding moto holds, by Id (moto pages GetFindings by 100)."""
    hub, out, token = client(endpoint), {}, None
    while True:
        page = hub.get_findings(MaxResults=100, **({"NextToken": token} if token else {}))
        out.update({f["Id"]: f for f in page["Findings"]})
        token = page.get("NextToken")
        if not token:
            return out


def fleet(n: int, status: Status = Status.FAIL) -> list[Any]:
    return [make_finding(name=f"job-{i:03d}", status=status) for i in range(n)]


def test_import_then_reimport_updates_without_duplicates(moto_endpoint: str) -> None:
    first = sink(moto_endpoint).send(scan(fleet(150)), {job_arn(f"job-{i:03d}") for i in range(150)})
    assert (first.created, first.updated, first.failed, first.problems) == (150, 0, 0, ())
    held = stored(moto_endpoint)
    assert len(held) == 150
    one = held[asff.finding_id("network-isolation", job_arn("job-007"))]
    assert one["Compliance"]["Status"] == "FAILED" and one["RecordState"] == "ACTIVE"
    second = sink(moto_endpoint).send(scan(fleet(150), at="2026-11-25T10:00:00Z"), {job_arn(f"job-{i:03d}") for i in range(150)})
    assert (second.created, second.updated, second.archived, second.failed) == (0, 150, 0, 0)
    again = stored(moto_endpoint)
    assert len(again) == 150
    one = again[asff.finding_id("network-isolation", job_arn("job-007"))]
    assert one["CreatedAt"] == "2026-11-24T10:00:02Z" and one["UpdatedAt"] == "2026-11-25T10:00:00Z"


def test_fixed_and_vanished_jobs_are_archived(moto_endpoint: str) -> None:
    seen = {job_arn(n) for n in ("fixed", "still", "gone")}
    sink(moto_endpoint).send(scan([make_finding(name=n) for n in ("fixed", "still", "gone")]), seen)
    result = scan([make_finding(name="fixed", status=Status.PASS), make_finding(name="still")], at="2026-11-25T10:00:00Z")
    done = sink(moto_endpoint).send(result, {job_arn("fixed"), job_arn("still")})
    assert (done.created, done.updated, done.archived, done.failed) == (0, 1, 2, 0)
    held = stored(moto_endpoint)
    fixed = held[asff.finding_id("network-isolation", job_arn("fixed"))]
    gone = held[asff.finding_id("network-isolation", job_arn("gone"))]
    assert (fixed["RecordState"], fixed["Compliance"]["Status"]) == ("ARCHIVED", "PASSED")
    assert (gone["RecordState"], gone["Compliance"]["Status"]) == ("ARCHIVED", "FAILED")
    assert held[asff.finding_id("network-isolation", job_arn("still"))]["RecordState"] == "ACTIVE"


def test_an_incomplete_scan_archives_nothing(moto_endpoint: str) -> None:
    sink(moto_endpoint).send(scan([make_finding(name="a"), make_finding(name="b")]), {job_arn("a"), job_arn("b")})
    broken = scan([], errors=[Problem(f"aws:{ACCOUNT}/us-east-1", "sagemaker:Search failed (AccessDeniedException)", kind="aws")])
    done = sink(moto_endpoint).send(broken, {job_arn("a")})
    assert (done.archived, done.failed) == (0, 0)
    assert any("incomplete" in n for n in done.notes)
    assert {f["RecordState"] for f in stored(moto_endpoint).values()} == {"ACTIVE"}


def test_throttling_is_retried_and_everything_arrives(moto_endpoint: str, no_backoff_sleep: None) -> None:
    faults = Faults(throttle={"/findings/import": 3, "/findings": 2})
    with fault_proxy(moto_endpoint, faults) as proxy:
        done = sink(proxy, attempts=5).send(scan(fleet(120)), set())
    assert (done.created, done.failed) == (120, 0)
    assert faults.refused("/findings/import") == 3 and faults.refused("/findings") == 2
    assert len(stored(moto_endpoint)) == 120


def test_throttling_beyond_the_retries_is_counted_and_reported(moto_endpoint: str, no_backoff_sleep: None) -> None:
    faults = Faults(throttle={"/findings/import": 3})
    with fault_proxy(moto_endpoint, faults) as proxy:
        done = sink(proxy, attempts=2).send(scan(fleet(130)), set())
    # the first batch (100) is refused twice and given up; the second gets one refusal, then lands
    assert (done.created, done.failed) == (30, 100)
    assert any("TooManyRequestsException" in p and "100 finding(s) not sent" in p for p in done.problems)
    assert len(stored(moto_endpoint)) == 30


def test_a_per_finding_failure_is_counted_and_named(moto_endpoint: str) -> None:
    bad = asff.finding_id("network-isolation", job_arn("job-004"))
    with fault_proxy(moto_endpoint, Faults(reject_ids={bad})) as proxy:
        done = sink(proxy).send(scan(fleet(10)), set())
    assert (done.created, done.failed) == (9, 1)
    (problem,) = done.problems
    assert bad in problem and "InvalidInput" in problem
    assert bad not in stored(moto_endpoint)


def test_cli_sends_masked_findings_and_prints_what_it_did(
    moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planted = "ghp_Pl4ntedGitHubT0ken9xQ2vR8mW1zT5bN7cZ"
    sm = sagemaker("us-east-1", moto_endpoint)
    # moto keeps HyperParameters (it drops Environment): the secret goes there
    sm.create_training_job(**job_spec("leaky", 1, HyperParameters={"epochs": "1", "GH_TOKEN": planted}))
    sm.create_training_job(**job_spec("isolated", 0))
    argv = ["scan", "--aws", "--endpoint-url", moto_endpoint, "--region", "us-east-1", "--security-hub", "-o", tmp_path / "r.json"]
    code, _, stderr = run_cli(capsys, *argv)
    assert code == 1, stderr
    report = json.loads((tmp_path / "r.json").read_text())
    open_findings = [f for f in report["findings"] if f["status"] in ("FAIL", "ERROR", "UNKNOWN")]
    assert f"Security Hub: created {len(open_findings)}, updated 0, archived 0, suppressed 0, failed 0" in stderr
    held = stored(moto_endpoint)
    assert len(held) == len(open_findings) and planted not in json.dumps(held)
    assert any(f["GeneratorId"] == "no-secrets-in-hyperparameters" for f in held.values())
    code, _, stderr = run_cli(capsys, *argv)
    assert f"Security Hub: created 0, updated {len(open_findings)}, archived 0" in stderr


def test_cli_refuses_security_hub_without_aws(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "r.jsonl"
    records.write_text("{}\n", encoding="utf-8")
    code, _, stderr = run_cli(capsys, "scan", "--input", records, "--security-hub", "-o", tmp_path / "o.json")
    assert code == 2 and "--security-hub sends findings of live AWS scans: add --aws" in stderr


def test_each_accounts_findings_go_with_that_accounts_credentials(
    moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "111111111111"

    def assumed(service: str) -> Any:
        creds = boto3.client("sts", region_name="us-east-1", endpoint_url=moto_endpoint).assume_role(
            RoleArn=f"arn:aws:iam::{other}:role/Audit", RoleSessionName="tests"
        )["Credentials"]
        return boto3.client(
            service, region_name="us-east-1", endpoint_url=moto_endpoint,
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    assumed("sagemaker").create_training_job(**job_spec("theirs", 1))
    argv = ["scan", "--aws", "--endpoint-url", moto_endpoint, "--region", "us-east-1",
            "--role-arn", f"arn:aws:iam::{other}:role/Audit", "--security-hub", "-o", tmp_path / "r.json"]  # fmt: skip
    code, _, stderr = run_cli(capsys, *argv)
    assert code == 1 and "failed 0" in stderr, stderr
    theirs = assumed("securityhub").get_findings(MaxResults=100)["Findings"]
    assert theirs and {f["AwsAccountId"] for f in theirs} == {other}
    assert {f["ProductArn"] for f in theirs} == {f"arn:aws:securityhub:us-east-1:{other}:product/{other}/default"}
    assert stored(moto_endpoint) == {}  # nothing landed in the caller's own account


def test_cli_exits_3_when_a_finding_did_not_arrive(
    moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sagemaker("us-east-1", moto_endpoint).create_training_job(**job_spec("open", 1))
    bad = asff.finding_id("network-isolation", f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/open")
    with fault_proxy(moto_endpoint, Faults(reject_ids={bad})) as proxy:
        argv = ["scan", "--aws", "--endpoint-url", proxy, "--region", "us-east-1", "--security-hub",
                "--fail-on", "never", "-o", tmp_path / "r.json"]  # fmt: skip
        code, _, stderr = run_cli(capsys, *argv)
        assert code == 3, stderr
        assert "failed 1" in stderr and f"{bad}: InvalidInput" in stderr
        code, _, stderr = run_cli(capsys, *argv, "--quiet")
    # --quiet: errors only; the undelivered finding makes the verdict INCOMPLETE, which it names
    assert code == 3 and stderr.startswith("  Security Hub: 1 finding(s) not delivered\n")
    assert "INCOMPLETE" in stderr
