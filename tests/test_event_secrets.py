"""No secret of an event's Environment or HyperParameters (or the job's tags) leaves event mode:
not in a log line, an SNS message, a tag written, the Lambda summary or `smscan event`'s output.

Every detector kind of scanner.secrets is planted (tests/test_no_secret_leaks.py's PLANTED,
which asserts it covers them all) in the SageMaker developer guide's state-change sample
(tests/fixtures/records/README.md); moto holds the job and the topic.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from smscan.events import actions
from smscan.events.lambda_handler import handler, prepare
from tests.cli_helpers import run_cli
from tests.moto_server import ACCOUNT, aws_env, job_spec
from tests.test_no_secret_leaks import PLANTED

__all__ = ["aws_env"]

RECORDS = Path(__file__).parent / "fixtures" / "records"
NAME = "secrets-job"
ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/{NAME}"
CORES = [core for _, _, core in PLANTED.values()]
CONFIG = """select: [no-secrets-in-environment, no-secrets-in-hyperparameters, no-secrets-in-tags, network-isolation]
actions:
  notify: {enabled: true, dry_run: false}
  tag: {enabled: true, dry_run: false}
  stop: {enabled: true, dry_run: true}
"""


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    actions.forget_acted()
    with mock_aws():
        yield
    actions.forget_acted()


def planted_event() -> dict[str, Any]:
    doc = json.loads((RECORDS / "eventbridge_training_state_change.json").read_text())
    doc["detail"].update(
        TrainingJobName=NAME,
        TrainingJobArn=ARN,
        TrainingJobStatus="InProgress",
        EnableNetworkIsolation=False,
        Environment={key: value for key, value, _ in PLANTED.values()},
        HyperParameters={f"hp_{key.lower()}": value for key, value, _ in PLANTED.values()},
    )
    return doc


def leaks(text: str) -> list[str]:
    return [core for core in CORES if core in text]


def test_no_secret_in_logs_sns_tags_or_summary(
    moto: None, tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    sm = boto3.client("sagemaker", region_name="us-east-1")
    tags = [{"Key": f"{key.lower()}-{i}", "Value": value} for i, (key, value, _) in enumerate(PLANTED.values())]
    sm.create_training_job(**job_spec(NAME, 1, Tags=tags[:40]))
    topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="findings")["TopicArn"]
    config = tmp_path / "smscan.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    prepared = prepare({"SMSCAN_CONFIG": str(config), "SMSCAN_SNS_TOPIC_ARN": topic})
    caplog.set_level(logging.DEBUG, logger="smscan")
    out = handler(planted_event(), None, prepared=prepared, client_for=lambda s, r: boto3.client(s, region_name="us-east-1"))
    assert {"no-secrets-in-environment", "no-secrets-in-hyperparameters", "no-secrets-in-tags"} <= set(out["jobs"][0]["failed"])
    assert {a["action"]: a["outcome"] for a in out["actions"]} == {"notify": "done", "stop": "dry-run", "tag": "done"}

    from moto.sns.models import sns_backends

    [(_, message, subject, _, _)] = sns_backends[ACCOUNT]["us-east-1"].topics[topic].sent_notifications
    written = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=ARN)["Tags"] if t["Key"].startswith("smscan:")}
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("smscan")]
    assert ours, "the handler logs what it did"
    for where, text in {
        "sns message": message, "sns subject": str(subject), "tags": json.dumps(written),
        "log": "\n".join(ours), "summary": json.dumps(out),
    }.items():
        assert leaks(text) == [], where

    # The CLI on the same event: report, stdout and stderr.
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(planted_event()))
    config.write_text(CONFIG.replace("dry_run: false", "dry_run: true"), encoding="utf-8")
    code, stdout, stderr = run_cli(capsys, "event", event_file, "--config", config, "-f", "json,sarif,markdown", "--output-dir", tmp_path / "out", "--act")
    assert code == 1 and "would tag with" in stderr
    for report in (tmp_path / "out").iterdir():
        assert leaks(report.read_text()) == [], report.name
    assert leaks(stdout + stderr) == []
