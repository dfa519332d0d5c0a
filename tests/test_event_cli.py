"""`smscan event`: the AWS-documented sample events, judged as `smscan scan --input` judges them.

Fixtures (tests/fixtures/records/README.md cites each): the "SageMaker Training Job State
Change" sample of the SageMaker developer guide, and a CreateTrainingJob record delivered as
an EventBridge "AWS API Call via CloudTrail" event (EventBridge user guide shape).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli

RECORDS = Path(__file__).parent / "fixtures" / "records"
STATE_CHANGE = RECORDS / "eventbridge_training_state_change.json"
CLOUDTRAIL = RECORDS / "eventbridge_cloudtrail_create_training_job.json"


def _findings(path: Path) -> list[tuple[str, str, str]]:
    doc = json.loads(path.read_text())
    return sorted((f["policy_id"], f["status"], f["resource"]["arn"]) for f in doc["findings"])


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "smscan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("fixture", [STATE_CHANGE, CLOUDTRAIL], ids=["state-change", "cloudtrail"])
def test_event_gives_the_findings_of_scan_input(fixture: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, "event:\n  statuses: [InProgress, Completed]\n")
    event_code, _, _ = run_cli(capsys, "event", fixture, "--config", config, "--include-passed", "-o", tmp_path / "e.json")
    scan_code, _, _ = run_cli(capsys, "scan", "--input", fixture, "--config", config, "--include-passed", "-o", tmp_path / "s.json")
    assert _findings(tmp_path / "e.json") == _findings(tmp_path / "s.json")
    assert any(status == "FAIL" for _, status, _ in _findings(tmp_path / "e.json"))
    assert event_code == scan_code == 1


def test_a_status_not_judged_is_skipped_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "event", STATE_CHANGE, "-o", tmp_path / "r.json")
    doc = json.loads((tmp_path / "r.json").read_text())
    assert code == 0  # skipped on purpose: neither a failure nor an empty, incomplete input
    assert doc["findings"] == []
    assert "skipped a Completed state change" in err
    assert "844e2571-85d4-695f-b930-0153b71dcb42" in err  # the event id


def test_jsonl_of_events_and_other_events_on_the_bus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [json.loads(STATE_CHANGE.read_text()), json.loads(CLOUDTRAIL.read_text())]
    stream = tmp_path / "events.jsonl"
    stream.write_text("".join(json.dumps(d) + "\n" for d in lines) + (RECORDS / "events.jsonl").read_text())
    code, _, err = run_cli(capsys, "event", stream, "-o", tmp_path / "r.json")
    doc = json.loads((tmp_path / "r.json").read_text())
    assert {f["resource"]["name"] for f in doc["findings"]} == {"churn-2024-03-06"}
    assert "SageMaker Endpoint Deployment State Change" in err  # skipped with a note
    assert code == 1


def test_an_unreadable_event_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"detail-type": "SageMaker Training Job State Change", "source": "aws.sagemaker", "detail": ')
    code, _, err = run_cli(capsys, "event", bad, "-o", tmp_path / "r.json")
    assert code == 3
    assert "invalid JSON at line 1" in err and "Traceback" not in err


def test_config_problems_are_all_reported_with_positions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(
        tmp_path,
        "event:\n  statuses: [Running]\nactions:\n  notify:\n    enabled: yes please\n    topic_arn: nope\n"
        "  stop:\n    severity: urgent\n  page: {}\n",
    )
    code, _, err = run_cli(capsys, "event", CLOUDTRAIL, "--config", config)
    assert code == 2
    for expected in (
        ":2:3: event.statuses: unknown status 'Running'",
        ":5:5: actions.notify.enabled: expected true or false",
        ":6:5: actions.notify.topic_arn: expected an SNS topic ARN",
        ":8:5: actions.stop.severity: unknown severity 'urgent'",
        ":9:3: actions.page: unknown action",
    ):
        assert expected in err, expected


def test_dry_run_actions_log_what_they_would_do_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(
        tmp_path,
        "actions:\n  tag: {enabled: true, severity: high}\n  stop: {enabled: true, severity: high}\n",
    )
    code, _, err = run_cli(capsys, "event", CLOUDTRAIL, "--config", config, "--act", "-o", tmp_path / "r.json")
    assert code == 1
    assert "tag dry-run" in err and "would tag with" in err
    assert "stop dry-run" in err and "would StopTrainingJob churn-2024-03-06" in err


def test_a_live_action_offline_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, "actions:\n  stop: {enabled: true, dry_run: false}\n")
    code, _, err = run_cli(capsys, "event", CLOUDTRAIL, "--config", config, "--act", "-o", tmp_path / "r.json")
    assert code == 2
    assert "add --aws" in err




def test_a_malformed_time_no_policy_reads_does_not_cost_the_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The documented sample with its TrainingEndTime garbled: the event is judged as the
    intact one is, since no built-in policy reads the field (record/normalize.py, lazy mode)."""
    event = json.loads(STATE_CHANGE.read_text())
    event["detail"]["TrainingEndTime"] = "not a time"
    event["detail"]["SecondaryStatusTransitions"] = {"Status": "not a list"}
    garbled = tmp_path / "garbled.json"
    garbled.write_text(json.dumps(event), encoding="utf-8")
    config = _config(tmp_path, "event:\n  statuses: [InProgress, Completed]\n")
    intact_code, _, _ = run_cli(capsys, "event", STATE_CHANGE, "--config", config, "-o", tmp_path / "intact.json")
    code, _, err = run_cli(capsys, "event", garbled, "--config", config, "-o", tmp_path / "garbled-report.json")
    assert (code, "problem" not in err) == (intact_code, True)
    assert _findings(tmp_path / "garbled-report.json") == _findings(tmp_path / "intact.json") != []
