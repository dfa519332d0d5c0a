"""Suppression on waiver through BatchUpdateFindings, which moto does not implement: botocore's
Stubber checks every request the sink makes, in order, and answers like Security Hub.

Answers are shaped like the examples of the AWS Security Hub API Reference (GetFindings,
BatchImportFindings, BatchUpdateFindings "Example response": ProcessedFindings and
UnprocessedFindings with FindingIdentifier, ErrorCode, ErrorMessage).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from smscan.models import Status, Waiver
from smscan.sinks import asff
from smscan.sinks.securityhub import RateLimit, SecurityHubSink
from tests.factories import ACCOUNT, job_arn, make_finding, make_policy_info, make_result

PRODUCT = f"arn:aws:securityhub:us-east-1:{ACCOUNT}:product/{ACCOUNT}/default"
SCOPE = {"source": "aws", "scanned_pairs": [f"{ACCOUNT}/us-east-1"], "filters": {}}


def hub() -> Any:
    return boto3.client(
        "securityhub", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def result_of(findings: list[Any]) -> Any:
    result = make_result(findings, policies=[make_policy_info("network-isolation")])
    return dataclasses.replace(result, meta=dataclasses.replace(result.meta, scope=SCOPE))


def expect_get_findings(stub: Stubber, findings: list[dict[str, Any]]) -> None:
    stub.add_response("get_findings", {"Findings": findings}, {"Filters": ANY, "MaxResults": 100})


def test_a_waived_finding_is_suppressed_with_the_waivers_reason() -> None:
    waived = dataclasses.replace(make_finding(name="w"), status=Status.WAIVED, waiver=Waiver("approved exception SEC-142", "ml-platform"))
    fid = asff.finding_id("network-isolation", job_arn("w"))
    client = hub()
    with Stubber(client) as stub:
        expect_get_findings(stub, [])
        stub.add_response("batch_import_findings", {"FailedCount": 0, "SuccessCount": 1, "FailedFindings": []}, {"Findings": ANY})
        stub.add_response(
            "batch_update_findings",
            {"ProcessedFindings": [{"Id": fid, "ProductArn": PRODUCT}], "UnprocessedFindings": []},
            {
                "FindingIdentifiers": [{"Id": fid, "ProductArn": PRODUCT}],
                "Workflow": {"Status": "SUPPRESSED"},
                "Note": {"Text": "Waived by smscan: approved exception SEC-142", "UpdatedBy": "smscan"},
            },
        )
        done = SecurityHubSink(lambda a, r: client, sleep=lambda s: None).send(result_of([waived]), {job_arn("w")})
        stub.assert_no_pending_responses()
    assert (done.created, done.suppressed, done.failed) == (1, 1, 0)


def test_an_unprocessed_suppression_is_counted_and_named() -> None:
    waived = dataclasses.replace(make_finding(name="w"), status=Status.WAIVED, waiver=Waiver("ok"))
    fid = asff.finding_id("network-isolation", job_arn("w"))
    client = hub()
    with Stubber(client) as stub:
        expect_get_findings(stub, [])
        stub.add_response("batch_import_findings", {"FailedCount": 0, "SuccessCount": 1, "FailedFindings": []}, {"Findings": ANY})
        stub.add_response(
            "batch_update_findings",
            {
                "ProcessedFindings": [],
                "UnprocessedFindings": [
                    {"FindingIdentifier": {"Id": fid, "ProductArn": PRODUCT}, "ErrorCode": "FindingNotFound", "ErrorMessage": "Finding Not Found"}
                ],
            },
            {"FindingIdentifiers": ANY, "Workflow": ANY, "Note": ANY},
        )
        done = SecurityHubSink(lambda a, r: client, sleep=lambda s: None).send(result_of([waived]), set())
    assert (done.suppressed, done.failed) == (0, 1)
    assert done.problems == (f"{ACCOUNT}/us-east-1: {fid}: FindingNotFound: Finding Not Found",)


def test_a_finding_that_failed_to_import_is_not_suppressed() -> None:
    waived = dataclasses.replace(make_finding(name="w"), status=Status.WAIVED, waiver=Waiver("ok"))
    fid = asff.finding_id("network-isolation", job_arn("w"))
    client = hub()
    with Stubber(client) as stub:
        expect_get_findings(stub, [])
        stub.add_response(
            "batch_import_findings",
            {"FailedCount": 1, "SuccessCount": 0, "FailedFindings": [{"Id": fid, "ErrorCode": "InvalidInput", "ErrorMessage": "Invalid"}]},
            {"Findings": ANY},
        )
        done = SecurityHubSink(lambda a, r: client, sleep=lambda s: None).send(result_of([waived]), set())
        stub.assert_no_pending_responses()  # no BatchUpdateFindings for a finding that does not exist
    assert (done.created, done.suppressed, done.failed) == (0, 0, 1)


def test_a_refused_get_findings_fails_the_pair_loudly() -> None:
    client = hub()
    with Stubber(client) as stub:
        stub.add_client_error("get_findings", "InvalidAccessException", "Account is not subscribed to AWS Security Hub", 401)
        done = SecurityHubSink(lambda a, r: client, sleep=lambda s: None).send(result_of([make_finding()]), set())
    assert done.failed == 1 and done.created == 0
    assert "InvalidAccessException" in done.problems[0] and "1 finding(s) not sent" in done.problems[0]
    assert "enable Security Hub in this account and region" in done.problems[0]


def test_the_rate_limit_spaces_calls_at_most_ten_a_second() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limit = RateLimit(10.0, clock=lambda: now[0], sleep=sleep)
    stamps = []
    for _ in range(25):
        limit.wait()
        stamps.append(now[0])
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert min(gaps) >= 0.1 - 1e-9 and len(slept) == 24
    assert stamps[-1] - stamps[0] >= 2.4 - 1e-9  # 25 calls need 2.4 s at 10 a second


def test_a_finding_over_240_kb_is_refused_before_sending_and_reported(monkeypatch: Any) -> None:
    # No real finding reaches 240 KB (every field is capped); lower the ceiling to prove the guard.
    monkeypatch.setattr(asff, "FINDING_MAX_BYTES", 500)
    client = hub()
    with Stubber(client) as stub:
        expect_get_findings(stub, [])
        done = SecurityHubSink(lambda a, r: client, sleep=lambda s: None).send(result_of([make_finding()]), set())
        stub.assert_no_pending_responses()  # no BatchImportFindings call at all
    assert (done.created, done.failed) == (0, 1)
    assert "over Security Hub's 240 KB a finding" in done.problems[0]
