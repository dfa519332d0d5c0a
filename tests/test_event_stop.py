"""The stop action with botocore's Stubber (moto does not implement StopTrainingJob), and the
errors that must, or must not, reach Lambda's retry loop.

The event is the SageMaker developer guide's "SageMaker Training Job State Change" sample
(tests/fixtures/records/README.md) for a job in progress with network isolation off.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from smscan.events import actions
from smscan.events.enrich import TransientAwsError
from smscan.events.lambda_handler import handler, prepare
from smscan.events.run import Prepared
from smscan.events.settings import ActionRule
from smscan.models import Severity, Status
from tests.factories import make_finding
from tests.moto_server import aws_env

__all__ = ["aws_env"]

RECORDS = Path(__file__).parent / "fixtures" / "records"
NAME = "churn-2024-03-06"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{NAME}"
STOP = "stop: {enabled: true, dry_run: false, severity: high}"


@pytest.fixture
def stubbed(aws_env: None) -> Iterator[tuple[Any, Stubber]]:
    actions.forget_acted()
    client = boto3.client("sagemaker", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()
    actions.forget_acted()


def event(status: str = "InProgress", **detail: Any) -> dict[str, Any]:
    doc = json.loads((RECORDS / "eventbridge_training_state_change.json").read_text())
    doc["detail"].update(TrainingJobName=NAME, TrainingJobArn=ARN, TrainingJobStatus=status, **detail)
    return doc


def ready(tmp_path: Path, actions_yaml: str, *, extra: str = "", **env: str) -> Prepared:
    config = tmp_path / "smscan.yaml"
    config.write_text(
        f"select: [network-isolation]\nevent:\n  statuses: [InProgress, Stopping]\n{extra}actions:\n  {actions_yaml}\n",
        encoding="utf-8",
    )
    return prepare({"SMSCAN_CONFIG": str(config), **env})


def run(client: Any, prepared: Prepared, doc: dict[str, Any]) -> dict[str, Any]:
    return handler(doc, None, client_for=lambda service, region: client, prepared=prepared)


def test_stop_calls_stop_training_job_once(stubbed: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = stubbed
    stubber.add_response("stop_training_job", {}, {"TrainingJobName": NAME})
    out = run(client, ready(tmp_path, STOP), event(EnableNetworkIsolation=False))
    assert out["actions"] == [
        {"action": "stop", "job": ARN, "outcome": "done", "detail": f"stopped {NAME}"}
    ]
    # A duplicate delivery to the same container: no second call (the stubber has none left).
    again = run(client, ready(tmp_path, STOP), event(EnableNetworkIsolation=False))
    assert again["actions"][0]["outcome"] == "duplicate"


def test_dry_run_makes_no_call(stubbed: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, _ = stubbed
    out = run(client, ready(tmp_path, STOP, SMSCAN_DRY_RUN="true"), event(EnableNetworkIsolation=False))
    assert out["actions"][0]["outcome"] == "dry-run"
    assert out["actions"][0]["detail"] == f"would StopTrainingJob {NAME} for network-isolation"


def test_a_passing_job_is_not_stopped(stubbed: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, _ = stubbed
    out = run(client, ready(tmp_path, STOP), event(EnableNetworkIsolation=True))
    assert out["result"] == "compliant" and out["actions"] == []


def test_a_stopping_job_is_a_note(stubbed: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, _ = stubbed
    out = run(client, ready(tmp_path, STOP), event("Stopping", EnableNetworkIsolation=False))
    assert out["actions"][0]["outcome"] == "note" and "already Stopping" in out["actions"][0]["detail"]


def test_a_job_that_left_in_progress_meanwhile_is_a_note(stubbed: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "stop_training_job", "ValidationException", "The training job is not in progress.", 400,
        expected_params={"TrainingJobName": NAME},
    )
    out = run(client, ready(tmp_path, STOP), event(EnableNetworkIsolation=False))
    assert out["actions"][0]["outcome"] == "note" and out["result"] == "noncompliant"


def test_a_waived_failure_is_never_stopped(stubbed: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, _ = stubbed
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        f"waivers:\n  - policy: network-isolation\n    arn: \"{ARN}\"\n    reason: Accepted.\n    expires: 2099-01-31\n"
    )
    out = run(client, ready(tmp_path, STOP, extra=f"waivers: {waivers}\n"), event(EnableNetworkIsolation=False))
    assert out["jobs"][0]["waived"] == ["network-isolation"] and out["actions"] == []


def test_access_denied_on_stop_is_an_error_result(stubbed: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = stubbed
    stubber.add_client_error("stop_training_job", "AccessDeniedException", "not authorized", 400)
    out = run(client, ready(tmp_path, STOP), event(EnableNetworkIsolation=False))
    assert out["result"] == "error" and out["actions"][0]["outcome"] == "error"
    assert "StopTrainingJob: AccessDeniedException" in out["errors"][0]


def test_throttling_raises_so_lambda_retries(stubbed: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = stubbed
    stubber.add_client_error("describe_training_job", "ThrottlingException", "Rate exceeded", 400)
    with pytest.raises(TransientAwsError, match="844e2571-85d4-695f-b930-0153b71dcb42"):
        run(client, ready(tmp_path, STOP), event())  # no EnableNetworkIsolation: described


@pytest.mark.parametrize("status", [Status.WAIVED, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR, Status.UNKNOWN])
def test_only_a_fail_fires_unless_on_unknown(status: Status) -> None:
    finding = make_finding(status=status, severity="critical")
    rule = ActionRule("stop", enabled=True, severity=Severity.HIGH)
    assert not rule.fires_on(finding)
    on_unknown = ActionRule("stop", enabled=True, severity=Severity.HIGH, on_unknown=True)
    assert on_unknown.fires_on(finding) is (status in (Status.ERROR, Status.UNKNOWN))


def test_severity_and_policy_selection() -> None:
    low = make_finding("required-tags", severity="low")
    assert not ActionRule("stop", severity=Severity.HIGH).fires_on(low)
    assert ActionRule("stop", severity=Severity.HIGH, policies=("required-*",)).fires_on(low)
    assert ActionRule("stop").fires_on(low)  # neither given: every FAIL
