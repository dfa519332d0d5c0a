"""Answers botocore cannot read (a proxy's HTML page, XML on a JSON call, a cut body), on every
call the AWS source makes: an error for that account or region, and the scan goes on.

The bodies are what a corporate proxy or an overloaded gateway really sends: an nginx
"502 Bad Gateway" page served with status 200, a throttling page in the wrong format, and
an answer cut off mid-way (botocore's own test suite uses the same kinds of body in
tests/unit/test_parsers.py for its ResponseParserError cases).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.retries.bucket
import botocore.retries.standard
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from smscan.sources.aws import fetch
from tests.cli_helpers import run_cli
from tests.moto_server import ACCOUNT, aws_env, create_jobs, sagemaker
from tests.test_aws_faults import _Raw, faults, scan

__all__ = ["aws_env"]

PROXY_PAGE = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
PAGE_REASON = f"an HTML page instead of an AWS answer ({len(PROXY_PAGE)} bytes), likely from a proxy"
XML_THROTTLE = b'<?xml version="1.0"?><ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>'


def body(content: bytes, content_type: str = "text/html") -> Callable[[Any], AWSResponse]:
    headers = {"x-amzn-RequestId": "req-1", "Content-Type": content_type}
    return lambda request: AWSResponse("https://aws.local", 200, headers, _Raw(content))


@pytest.fixture
def moto(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda *a: 0)
    monkeypatch.setattr(botocore.retries.bucket.TokenBucket, "acquire", lambda *a, **k: True)
    with mock_aws():
        yield


def test_a_proxy_page_on_sts_is_a_problem_not_a_crash(moto: None) -> None:
    records, problems, _ = scan(faults({("us-east-1", "GetCallerIdentity"): body(PROXY_PAGE)}))
    assert records == {}
    assert [(p.kind, p.source, p.message) for p in problems] == [
        ("aws", "aws", f"sts:GetCallerIdentity: unreadable answer ({PAGE_REASON})")
    ]


def test_a_proxy_page_on_search_is_an_error_for_the_region_not_zero_jobs(moto: None) -> None:
    create_jobs(sagemaker("us-east-1"), 3)
    names = create_jobs(sagemaker("eu-west-1"), 2, prefix="eu")
    records, problems, _ = scan(
        faults({("us-east-1", "Search"): body(PROXY_PAGE), ("us-east-1", "ListTrainingJobs"): body(PROXY_PAGE)}),
        regions=("us-east-1", "eu-west-1"),
    )
    assert sorted(records) == names  # the other region is scanned
    assert [(p.kind, p.source) for p in problems] == [("aws", f"aws:{ACCOUNT}:us-east-1")]
    assert "unreadable answer (an HTML page" in problems[0].message


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (XML_THROTTLE, "an XML body on a JSON call"),
        (b'{"Results": [{"TrainingJob": {"TrainingJobName": "job-0', "a truncated or invalid JSON body on a JSON call"),
        (b'["not", "an", "object"]', "a JSON answer that is not an object"),
    ],
)
def test_bodies_a_json_call_cannot_mean_are_named(moto: None, content: bytes, reason: str) -> None:
    create_jobs(sagemaker(), 2)
    answer = body(content, "application/x-amz-json-1.1")
    records, problems, _ = scan(faults({("us-east-1", "Search"): answer, ("us-east-1", "ListTrainingJobs"): answer}))
    assert records == {}
    [problem] = problems
    assert problem.kind == "aws" and reason in problem.message


def test_a_cut_xml_body_on_an_xml_call_is_named_without_the_body(moto: None) -> None:
    whole = b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn>'
    cut = body(whole[:110], "text/xml")
    records, problems, _ = scan(faults({("us-east-1", "GetCallerIdentity"): cut}))
    [problem] = problems
    assert problem.message.startswith("sts:GetCallerIdentity: unreadable answer (Unable to parse response")
    assert "GetCallerIdentityResult" not in problem.message  # botocore quotes the body; smscan does not


def test_region_listing_and_organizations_answers_that_cannot_be_read(moto: None) -> None:
    names = create_jobs(sagemaker(), 2)
    hook = faults({("us-east-1", "DescribeRegions"): body(PROXY_PAGE), ("us-east-1", "ListAccounts"): body(PROXY_PAGE)})
    records, problems, source = scan(hook, all_regions=True, regions=())
    assert sorted(records) == names  # botocore's region list is used instead
    assert any("ec2:DescribeRegions: unreadable answer" in str(n) for n in source.report().notes)
    _, org_problems, _ = scan(hook, org=True)
    assert ("aws:org", f"organizations:ListAccounts: unreadable answer ({PAGE_REASON})") in [
        (p.source, p.message) for p in org_problems
    ]


def test_the_cli_writes_the_partial_report_and_exits_3(
    moto: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    real, page = fetch.ClientFactory.client, body(PROXY_PAGE)

    def client(self: Any, session: Any, service: str, region: str, account: str = "") -> Any:
        made = real(self, session, service, region, account)
        if service == "sts":
            made.meta.events.register_first("before-send.sts.GetCallerIdentity", lambda request, **_: page(request))
        return made

    monkeypatch.setattr(fetch.ClientFactory, "client", client)
    out = tmp_path / "report.json"
    code, _, err = run_cli(capsys, "scan", "--aws", "--region", "us-east-1", "--format", "json", "--output", out)
    assert code == 3, err
    assert "internal error" not in err
    report = json.loads(out.read_text())
    assert any("sts:GetCallerIdentity: unreadable answer" in json.dumps(p) for p in report["errors"])


def test_a_throttling_error_document_sent_with_200_on_sts_is_named(moto: None) -> None:
    # The failure seen in the field: an XML ErrorResponse with status 200 made botocore's
    # query parser raise a KeyError, which ended the whole scan as an "internal error".
    records, problems, _ = scan(faults({("us-east-1", "GetCallerIdentity"): body(XML_THROTTLE, "text/xml")}))
    assert records == {}
    assert [p.message for p in problems] == [
        f"sts:GetCallerIdentity: unreadable answer (an XML answer that is not a GetCallerIdentityResponse (<ErrorResponse>, {len(XML_THROTTLE)} bytes))"
    ]


def test_an_empty_body_on_a_json_call_is_not_an_empty_answer(moto: None) -> None:
    create_jobs(sagemaker(), 2)
    empty = body(b"", "application/x-amz-json-1.1")
    records, problems, _ = scan(faults({("us-east-1", "Search"): empty, ("us-east-1", "ListTrainingJobs"): empty}))
    assert records == {}
    [problem] = problems
    assert "unreadable answer (an empty body where an answer was expected)" in problem.message


def test_an_sts_answer_without_its_result_is_named(moto: None) -> None:
    empty = b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"></GetCallerIdentityResponse>'
    records, problems, _ = scan(faults({("us-east-1", "GetCallerIdentity"): body(empty, "text/xml")}))
    assert [p.message for p in problems] == [
        f"sts:GetCallerIdentity: unreadable answer (a GetCallerIdentityResponse without its GetCallerIdentityResult ({len(empty)} bytes))"
    ]
