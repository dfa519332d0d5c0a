"""The gate on real-world inputs: a job behind a partition placeholder never passes unchecked,
and an AWS event never becomes a job that does not exist.

Fixtures are the ones test_requests_templates.py and test_record_shapes.py use (their
sources are cited beside them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import run_cli

FIXTURES = Path(__file__).parent / "fixtures"
SAM = FIXTURES / "requests" / "templates" / "sam-app"
SAMPLE = FIXTURES / "records" / "eventbridge_training_state_change.json"


def report(capsys: pytest.CaptureFixture[str], tmp_path: Path, *argv: Any) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "report.json"
    code, _, err = run_cli(capsys, "scan", *argv, "--format", "json", "--output", out)
    assert "Traceback" not in err
    return code, json.loads(out.read_text()), err


def resources(doc: dict[str, Any]) -> set[str]:
    return {f["resource"]["arn"] for f in doc["findings"]}


def test_a_sam_application_with_partition_placeholders_is_checked_not_passed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, doc, _ = report(capsys, tmp_path, SAM)
    asl = SAM / "statemachine" / "train.asl.json"
    assert resources(doc) == {f"{asl}#/States/Train churn model/Parameters"}
    failed = {f["policy_id"] for f in doc["findings"] if f["status"] == "FAIL"}
    assert "vpc-configured" in failed  # the task sets no VpcConfig
    assert code == 1


def test_the_documented_eventbridge_event_is_one_job_keyed_by_its_arn(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, doc, _ = report(capsys, tmp_path, "--input", SAMPLE)
    assert resources(doc) == {"arn:aws:sagemaker:us-east-1:123456789012:training-job/kmeans-1"}
    assert doc["errors"] == []


def test_a_named_record_file_given_as_a_request_path_fails_closed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, doc, _ = report(capsys, tmp_path, SAMPLE)
    assert code == 3
    assert doc["findings"] == []
    assert [e["message"] for e in doc["errors"]] == [
        "no training-job request found; this looks like an EventBridge event (SageMaker Training Job State Change): scan it with --input"
    ]


def test_a_repository_without_job_files_stays_a_clean_exit_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "package.json").write_text('{"name": "web", "version": "1.0.0"}')
    (repo / "infra" / "template.yaml").write_text(
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub '${AWS::StackName}-data'\n"
    )
    code, doc, err = report(capsys, tmp_path, repo)
    assert code == 0, err
    assert doc["findings"] == []
    assert [(e["kind"], e["message"]) for e in doc["errors"]] == [("note", "no training-job request found in 2 file(s)")]
