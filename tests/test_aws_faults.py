"""What moto does not do: throttling, AccessDenied, jobs vanishing, timeouts, Search paging and
the fields moto drops. Faults are injected at the HTTP layer (a `before-send` handler that
answers like AWS would), so botocore's real retry logic runs; whole answers use Stubber.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.retries.bucket
import botocore.retries.standard
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber
from moto import mock_aws

from smscan.models import Problem, Record
from smscan.sources.aws.fetch import FetchSettings
from smscan.sources.aws.source import AwsOptions, AwsSource
from tests.moto_server import ACCOUNT, aws_env, create_jobs, sagemaker

__all__ = ["aws_env"]

FIXTURES = Path(__file__).parent / "fixtures" / "aws"
Answer = Callable[[Any], Any]  # request -> AWSResponse | None (None: let moto answer)


def _notes(source: AwsSource) -> list[str]:
    return [str(note) for note in source.report().notes]


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


def aws_error(code: str, message: str = "", status: int = 400) -> AWSResponse:
    body = json.dumps({"__type": code, "message": message}).encode()
    headers = {"x-amzn-RequestId": "req-1", "Content-Type": "application/x-amz-json-1.1"}
    return AWSResponse("https://sagemaker.local", status, headers, _Raw(body))


def job_named(request: Any) -> str:
    return str(json.loads(request.body or b"{}").get("TrainingJobName", ""))


@pytest.fixture
def moto(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Retries run for real; only the sleeping between them is skipped.
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda *a: 0)
    monkeypatch.setattr(botocore.retries.bucket.TokenBucket, "acquire", lambda *a, **k: True)
    with mock_aws():
        yield


def faults(rules: dict[tuple[str, str], Answer]) -> Callable[[Any, str, str], None]:
    """A client hook: for (region, operation), answer requests before moto sees them."""

    def hook(client: Any, account: str, region: str) -> None:
        for (where, operation), answer in rules.items():
            if where == region:
                client.meta.events.register_first(
                    f"before-send.{client.meta.service_model.endpoint_prefix}.{operation}",
                    lambda request, answer=answer, **_: answer(request),
                )

    return hook


def scan(
    hook: Any = None, attempts: int = 3, **options: Any
) -> tuple[dict[str, Record], list[Problem], AwsSource]:
    options.setdefault("regions", ("us-east-1",))
    source = AwsSource(
        AwsOptions(settings=FetchSettings(max_attempts=attempts), **options),
        frozenset({"remote_debug_config"}),  # search + describe
        client_hook=hook,
    )
    records: dict[str, Record] = {}
    problems: list[Problem] = []
    for item in source.items():
        if isinstance(item, Record):
            records[item.data["training_job_name"]] = item
        else:
            problems.append(item)
    return records, problems, source


def test_throttling_is_absorbed_by_retries(moto: None) -> None:
    names = create_jobs(sagemaker(), 6)
    left = {"n": 2}

    def throttle_twice(request: Any) -> Any:
        if job_named(request) == "job-0001" and left["n"]:
            left["n"] -= 1
            return aws_error("ThrottlingException", "Rate exceeded")
        return None

    records, problems, source = scan(
        faults({("us-east-1", "DescribeTrainingJob"): throttle_twice}), attempts=5
    )
    assert problems == [] and sorted(records) == names
    assert source.report().api_calls["DescribeTrainingJob"] == 6  # retries are not new calls
    assert "absorbed by retries: DescribeTrainingJob 2" in " ".join(_notes(source))


def test_throttling_forever_is_an_error_for_that_job_only(moto: None) -> None:
    names = create_jobs(sagemaker(), 6)

    def always(request: Any) -> Any:
        return (
            aws_error("ThrottlingException", "Rate exceeded")
            if job_named(request) == "job-0002"
            else None
        )

    records, problems, _ = scan(faults({("us-east-1", "DescribeTrainingJob"): always}), attempts=3)
    assert sorted(records) == [n for n in names if n != "job-0002"]
    assert [(p.kind, p.resource, p.message) for p in problems] == [
        (
            "aws",
            f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/job-0002",
            "DescribeTrainingJob: ThrottlingException after 3 attempts: Rate exceeded",
        )
    ]
    assert problems[0].source == f"aws:{ACCOUNT}:us-east-1"


def test_access_denied_on_one_region_does_not_stop_the_others(moto: None) -> None:
    names = create_jobs(sagemaker("us-east-1"), 5)
    create_jobs(sagemaker("eu-west-1"), 5, prefix="eu")
    denied = aws_error(
        "AccessDeniedException", "User is not authorized to perform sagemaker:Search"
    )
    records, problems, _ = scan(
        faults({("eu-west-1", "Search"): lambda r: denied}), regions=("us-east-1", "eu-west-1")
    )
    assert sorted(records) == names
    assert len(problems) == 1
    assert problems[0].source == f"aws:{ACCOUNT}:eu-west-1" and problems[0].kind == "aws"
    assert problems[0].message.startswith("Search: AccessDeniedException")
    assert problems[0].resource is None


@pytest.mark.parametrize(
    "code,message",
    [("ValidationException", "Requested resource not found."), ("ResourceNotFound", "gone")],
)
def test_job_deleted_between_list_and_describe_is_a_note(
    moto: None, code: str, message: str
) -> None:
    names = create_jobs(sagemaker(), 4)

    def gone(request: Any) -> Any:
        return aws_error(code, message) if job_named(request) == "job-0003" else None

    records, problems, source = scan(faults({("us-east-1", "DescribeTrainingJob"): gone}))
    assert problems == [] and sorted(records) == names[:3]
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/job-0003"
    assert f"job {arn} deleted between list and describe" in _notes(source)


def test_timeouts_are_named(moto: None) -> None:
    create_jobs(sagemaker(), 2)

    def hang(request: Any) -> Any:
        if job_named(request) == "job-0000":
            raise ReadTimeoutError(endpoint_url="https://sagemaker.local")
        return None

    records, problems, _ = scan(faults({("us-east-1", "DescribeTrainingJob"): hang}), attempts=2)
    assert list(records) == ["job-0001"]
    assert problems[0].message == "DescribeTrainingJob: timeout (ReadTimeoutError)"


def test_listing_that_fails_midway_keeps_what_it_listed(moto: None) -> None:
    create_jobs(sagemaker(), 130)

    def second_page(request: Any) -> Any:
        page = json.loads(request.body)
        return aws_error("InternalFailure", "oops", 500) if page.get("NextToken") else None

    records, problems, _ = scan(
        faults({("us-east-1", "ListTrainingJobs"): second_page}), fetch="describe"
    )
    assert len(records) == 100
    assert problems[0].message.startswith("ListTrainingJobs: InternalFailure after 3 attempts")
    assert "listing stopped after 100 jobs" in problems[0].message


def test_search_refused_falls_back_to_list_tags(moto: None) -> None:
    create_jobs(sagemaker(), 3)
    denied = aws_error("AccessDeniedException", "not authorized")
    records, problems, source = scan(
        faults({("us-east-1", "Search"): lambda r: denied}), fetch="describe"
    )
    assert problems == [] and records["job-0002"].data["tags"] == {"team": "t2", "index": "2"}
    assert source.report().api_calls["ListTags"] == 3
    assert any("Search refused" in n for n in _notes(source))


def _stubbed(setup: Callable[[Stubber], None]) -> Callable[[Any, str, str], None]:
    def hook(client: Any, account: str, region: str) -> None:
        if client.meta.service_model.service_name == "sagemaker":
            stubber = Stubber(client)
            setup(stubber)
            stubber.activate()

    return hook


def test_search_pages_100_jobs_per_call(moto: None) -> None:
    """moto's Search ignores MaxResults and never pages; real Search pages by 100."""

    def pages(stubber: Stubber) -> None:
        for start, size, token in ((0, 100, "t1"), (100, 100, "t2"), (200, 50, None)):
            results = [
                {
                    "TrainingJob": {
                        "TrainingJobName": f"j{i}",
                        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/j{i}",
                        "TrainingJobStatus": "Completed",
                        "Tags": [{"Key": "n", "Value": str(i)}],
                    }
                }
                for i in range(start, start + size)
            ]
            answer: dict[str, Any] = {"Results": results, **({"NextToken": token} if token else {})}
            stubber.add_response("search", answer)

    source = AwsSource(
        AwsOptions(regions=("us-east-1",)), frozenset({"tags"}), client_hook=_stubbed(pages)
    )
    records = [i for i in source.items() if isinstance(i, Record)]
    assert len(records) == 250
    assert source.report().api_calls == {"GetCallerIdentity": 1, "Search": 3}  # N/100, not 2N


def test_fields_moto_drops_reach_the_record(moto: None) -> None:
    full = json.loads((FIXTURES / "describe_full.json").read_text())
    listed = {k: full[k] for k in ("TrainingJobName", "TrainingJobArn", "TrainingJobStatus")}

    def answers(stubber: Stubber) -> None:
        stubber.add_response(
            "search",
            {"Results": [{"TrainingJob": {**listed, "Tags": [{"Key": "team", "Value": "ml"}]}}]},
            {"Resource": "TrainingJob", "MaxResults": 100},
        )
        stubber.add_response("describe_training_job", full, {"TrainingJobName": "full-job"})

    source = AwsSource(AwsOptions(regions=("us-east-1",)), None, client_hook=_stubbed(answers))
    (record,) = list(source.items())
    assert isinstance(record, Record)
    data = record.data
    assert data["environment"]["MODE"] == "train"
    assert data["retry_strategy"] == {"MaximumRetryAttempts": 2}
    assert data["remote_debug_config"] == {"EnableRemoteDebug": True}
    assert data["infra_check_config"] == {"EnableInfraCheck": True}
    assert data["profiler_config"]["ProfilingIntervalInMilliseconds"] == 500
    assert data["profiling_status"] == "Enabled"
    assert data["profiler_rule_evaluation_statuses"][0]["RuleEvaluationStatus"] == "NoIssuesFound"
    assert data["tags"] == {"team": "ml"}
    assert source.report().api_calls == {"DescribeTrainingJob": 1, "GetCallerIdentity": 1, "Search": 1}


def test_connection_resets_are_retried_then_named(moto: None) -> None:
    from botocore.exceptions import ConnectionClosedError

    names = create_jobs(sagemaker(), 4)
    resets = {"job-0001": 1, "job-0002": 99}  # one recovers, one never does

    def reset(request: Any) -> Any:
        name = job_named(request)
        if resets.get(name, 0):
            resets[name] -= 1
            raise ConnectionClosedError(endpoint_url="https://sagemaker.local")
        return None

    records, problems, _ = scan(faults({("us-east-1", "DescribeTrainingJob"): reset}), attempts=3)
    assert sorted(records) == [n for n in names if n != "job-0002"]
    [problem] = problems
    assert problem.resource and problem.resource.endswith("/job-0002")
    assert "DescribeTrainingJob" in problem.message and "ConnectionClosedError" in problem.message


def test_a_malformed_response_is_an_error_for_that_job_not_a_crash(moto: None) -> None:
    names = create_jobs(sagemaker(), 4)

    def garbage(request: Any) -> Any:
        if job_named(request) == "job-0003":
            headers = {"x-amzn-RequestId": "req-1", "Content-Type": "application/x-amz-json-1.1"}
            return AWSResponse("https://sagemaker.local", 200, headers, _Raw(b"{not json"))
        return None

    records, problems, _ = scan(faults({("us-east-1", "DescribeTrainingJob"): garbage}))
    assert sorted(records) == [n for n in names if n != "job-0003"]  # every job accounted for
    [problem] = problems
    assert problem.kind == "aws" and problem.resource and problem.resource.endswith("/job-0003")
    assert problem.message.startswith("DescribeTrainingJob: unreadable answer (a truncated or invalid JSON body")
