"""Reading nothing at all is INCOMPLETE (exit 3), whatever the flags: --allow-partial means
"some inputs could not be read", never "none could".

Each source must yield a non-note Problem when the user named an input and nothing of it
could be read, so the verdict can tell "read nothing" from "read an empty fleet".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli

# A minimal DescribeTrainingJob answer (AWS API reference, DescribeTrainingJob):
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeTrainingJob.html
JOB = {
    "TrainingJobName": "nightly-xgb",
    "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/nightly-xgb",
    "EnableNetworkIsolation": True,
}


def _scan(capsys: pytest.CaptureFixture[str], tmp_path: Path, *argv: object) -> tuple[int, dict | None, str]:
    out = tmp_path / "report.json"
    code, _, err = run_cli(capsys, "scan", *argv, "--format", "json", "-o", out, "--fail-on", "never")
    return code, json.loads(out.read_text()) if out.exists() else None, err


@pytest.mark.parametrize("allow_partial", [False, True], ids=["strict", "allow-partial"])
def test_a_missing_input_file_is_incomplete(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, allow_partial: bool
) -> None:
    flags = ["--allow-partial"] if allow_partial else []
    code, doc, err = _scan(capsys, tmp_path, "--input", tmp_path / "nope.jsonl", *flags)
    assert code == 3, err
    assert doc is not None and doc["summary"]["records"] == 0
    assert [e["message"] for e in doc["errors"]] == ["no such file or directory"]


def test_an_empty_export_is_incomplete_even_with_allow_partial(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "fleet.jsonl"
    empty.write_text("")
    code, _, err = _scan(capsys, tmp_path, "--input", empty, "--allow-partial")
    assert code == 3, err


def test_one_readable_input_among_missing_ones_is_partial_not_incomplete(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = tmp_path / "fleet.jsonl"
    good.write_text(json.dumps(JOB) + "\n")
    argv = ["--input", good, "--input", tmp_path / "nope.jsonl"]
    assert _scan(capsys, tmp_path, *argv)[0] == 3  # some unread, no --allow-partial
    code, doc, err = _scan(capsys, tmp_path, *argv, "--allow-partial")
    assert code == 0, err
    assert doc is not None and doc["summary"]["records"] == 1


def test_aws_without_credentials_is_incomplete_even_with_allow_partial(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup
    # Port 9 (discard) on loopback: were a call ever sent, it could not leave the machine.
    argv = ["--aws", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9", "--allow-partial"]
    code, doc, err = _scan(capsys, tmp_path, *argv)
    assert code == 3, err
    assert doc is not None and doc["summary"]["records"] == 0
    [error] = doc["errors"]
    assert error["kind"] == "aws" and error["message"].startswith("sts:GetCallerIdentity")
