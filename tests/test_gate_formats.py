"""Every format shows the verdict the exit code gives, for every gate option, through the real CLI.

Each case runs `smscan scan` once with all five formats and reads back what each one shows:
the JSON `verdict`, SARIF's `executionSuccessful` and run properties, the HTML verdict line,
JUnit's smscan.gate testcase, the Markdown heading and the terminal summary's last line.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import run_cli, write_jsonl
from tests.factories import make_record

WORDS = ("PASSED", "FAILED", "INCOMPLETE")
STATUS_OF_CODE = {0: "passed", 1: "failed", 3: "incomplete"}
GOOD = dict(
    tags={"owner": "ml", "cost-center": "42"},
    algorithm_specification={"TrainingImage": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3"},
)

# A Step Functions task creating a training job whose network isolation comes from the
# execution input, the JSONPath pattern of the AWS docs' SageMaker integration
# (https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html) and of the
# CDK's SageMakerCreateTrainingJob example (`trainingJobName: JsonPath.stringAt('$.JobName')`,
# https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_stepfunctions_tasks.SageMakerCreateTrainingJob.html).
STATE_MACHINE = {
    "Comment": "Train on demand",
    "StartAt": "Train",
    "States": {
        "Train": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
            "Parameters": {
                "TrainingJobName.$": "$.JobName",
                "AlgorithmSpecification": {
                    "TrainingImage": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3",
                    "TrainingInputMode": "File",
                },
                "RoleArn": "arn:aws:iam::123456789012:role/sfn-train",
                "OutputDataConfig": {"S3OutputPath": "s3://ml-artifacts/sfn/"},
                "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30},
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
                "EnableNetworkIsolation.$": "$.Isolate",
            },
            "End": True,
        }
    },
}


@dataclass(frozen=True)
class Case:
    name: str
    args: Callable[[Path], list[Any]]
    exit_code: int


def fleet(tmp: Path, *, failing: bool) -> Path:
    record = make_record("legacy-1", enable_network_isolation=not failing, **GOOD)
    return write_jsonl(tmp / "fleet.jsonl", [record])


def baseline(tmp: Path) -> Path:
    """A previous result holding the same FAIL, written by the CLI itself."""
    path = tmp / "base.json"
    assert run_cli_plain("scan", "-i", fleet(tmp, failing=True), "--select", "network-isolation",
                         "-o", path, "--fail-on", "never", "-q") == 0
    return path


def run_cli_plain(*argv: Any) -> int:
    from smscan.cli.main import main

    return main([str(a) for a in argv])


def waivers(tmp: Path, policy: str, arn: str) -> Path:
    path = tmp / "waivers.yaml"
    path.write_text(
        f"waivers:\n  - policy: {policy}\n    arn: '{arn}'\n"
        "    reason: Isolation is set by the caller, reviewed in the pipeline.\n"
        "    owner: ml-platform\n    expires: 2999-01-01\n"
    )
    return path


def state_machine(tmp: Path) -> Path:
    path = tmp / "train.asl.json"
    path.write_text(json.dumps(STATE_MACHINE, indent=2))
    return path


SELECT = ["--select", "network-isolation"]
CASES = [
    Case("fail-on critical, a high FAIL", lambda t: ["-i", fleet(t, failing=True), *SELECT, "--fail-on", "critical"], 0),
    Case("fail-on high, a high FAIL", lambda t: ["-i", fleet(t, failing=True), *SELECT, "--fail-on", "high"], 1),
    Case("fail-on low, a high FAIL", lambda t: ["-i", fleet(t, failing=True), *SELECT, "--fail-on", "low"], 1),
    Case("fail-on never, a high FAIL", lambda t: ["-i", fleet(t, failing=True), *SELECT, "--fail-on", "never"], 0),
    Case("new-only, the FAIL is in the baseline",
         lambda t: ["-i", fleet(t, failing=True), *SELECT, "--baseline", baseline(t), "--fail-on-new-only"], 0),
    Case("new-only, a new FAIL",
         lambda t: [*_new_fail(t), *SELECT, "--fail-on-new-only"], 1),
    Case("strict-waivers, a stale waiver",
         lambda t: ["-i", fleet(t, failing=False), *SELECT, "--strict-waivers",
                    "--waivers", waivers(t, "network-isolation", "*training-job/nothing-*")], 1),
    Case("a stale waiver, not strict",
         lambda t: ["-i", fleet(t, failing=False), *SELECT,
                    "--waivers", waivers(t, "network-isolation", "*training-job/nothing-*")], 0),
    Case("allow-partial, one input unread",
         lambda t: ["-i", fleet(t, failing=False), "-i", t / "missing.jsonl", *SELECT, "--allow-partial"], 0),
    Case("one input unread, no allow-partial",
         lambda t: ["-i", fleet(t, failing=False), "-i", t / "missing.jsonl", *SELECT], 3),
    Case("allow-partial, nothing read", lambda t: ["-i", t / "missing.jsonl", *SELECT, "--allow-partial"], 3),
    Case("fail-on-unknown high, a run-time value",
         lambda t: [state_machine(t), *SELECT, "--fail-on-unknown", "high"], 1),
    Case("fail-on-unknown critical, a run-time value",
         lambda t: [state_machine(t), *SELECT, "--fail-on-unknown", "critical"], 0),
    Case("fail-on-unknown by default (never)", lambda t: [state_machine(t), *SELECT], 0),
    Case("fail-on-unknown high, the UNKNOWN waived",
         lambda t: [state_machine(t), *SELECT, "--fail-on-unknown", "high",
                    "--waivers", waivers(t, "network-isolation", "*")], 0),
]


def _new_fail(tmp: Path) -> list[Any]:
    base = baseline(tmp)
    other = make_record("new-job", enable_network_isolation=False, **GOOD)
    return ["-i", write_jsonl(tmp / "now.jsonl", [other]), "--baseline", base]


def shown(out: Path, stderr: str) -> dict[str, tuple[str, int | None]]:
    """(verdict status, exit code if the format states one) as each format shows it."""
    doc = json.loads((out / "report.json").read_text())
    seen: dict[str, tuple[str, int | None]] = {"json": (doc["verdict"]["status"], doc["verdict"]["exit_code"])}

    run = json.loads((out / "report.sarif").read_text())["runs"][0]
    status = run["properties"]["verdict"]["status"]
    assert run["invocations"][0]["executionSuccessful"] is (status != "incomplete")
    seen["sarif"] = (status, run["properties"]["verdict"]["exit_code"])

    html = (out / "report.html").read_text()
    match = re.search(r'data-verdict="(\w+)" data-exit-code="(\d+)"><strong class="verdict-word">(\w+)</strong>', html)
    assert match is not None
    assert match.group(3) == match.group(1).upper()
    seen["html"] = (match.group(1), int(match.group(2)))
    _word_used_once(html, match.group(3))

    root = ET.parse(out / "report.junit.xml").getroot()
    (gate,) = [s for s in root if s.get("name") == "smscan.gate"]
    (case,) = list(gate.iter("testcase"))
    junit = "failed" if case.find("failure") is not None else "incomplete" if case.find("error") is not None else "passed"
    seen["junit"] = (junit, int(next(p.get("value") for p in gate.iter("property") if p.get("name") == "smscan.exit_code")))

    markdown = (out / "report.md").read_text()
    heading = re.match(r"## smscan: \S+ (PASSED|FAILED|INCOMPLETE) — ", markdown)
    assert heading is not None
    _word_used_once(markdown, heading.group(1))
    seen["markdown"] = (heading.group(1).lower(), int(re.search(r"exit code (\d)", markdown).group(1)))  # type: ignore[union-attr]

    last = stderr.rstrip("\n").splitlines()[-1]
    terminal = re.fullmatch(r"  (PASSED|FAILED|INCOMPLETE): .+ \(exit (\d)\)", last)
    assert terminal is not None, last
    _word_used_once(stderr, terminal.group(1))
    seen["terminal"] = (terminal.group(1).lower(), int(terminal.group(2)))
    return seen


def _word_used_once(text: str, word: str) -> None:
    """The verdict word appears once, and no other verdict word appears at all."""
    counts = {w: len(re.findall(rf"\b{w}\b", text)) for w in WORDS}
    assert counts == {w: int(w == word) for w in WORDS}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_format_shows_the_exit_codes_verdict(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray ./smscan.yaml or waivers file
    args = case.args(tmp_path)
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "scan", *args, "--output-dir", out, "-f", "json,sarif,html,junit,markdown")
    assert code == case.exit_code, err
    expected = (STATUS_OF_CODE[code], code)
    assert shown(out, err) == {fmt: expected for fmt in ("json", "sarif", "html", "junit", "markdown", "terminal")}


def test_the_demo_html_states_its_never_failing_gate(tmp_path: Path) -> None:
    assert run_cli_plain("demo", "--output-dir", tmp_path, "--quiet") == 0
    html = (tmp_path / "report.html").read_text()
    assert "Gate fails on" not in html
    assert re.search(r'data-verdict="passed".*--fail-on never', html)
    assert json.loads((tmp_path / "report.json").read_text())["scan"]["fail_on"] == "never"


def test_the_step_summary_gets_the_same_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = run_cli(capsys, "scan", "-i", fleet(tmp_path, failing=True), *SELECT,
                           "--baseline", baseline(tmp_path), "--fail-on-new-only", "-f", "markdown", "-o", "-")
    assert code == 0 and out.startswith("## smscan: ✅ PASSED — no new FAIL or ERROR at or above high")
    assert summary.read_text() == out


def test_fail_on_unknown_from_smscan_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    machine = state_machine(tmp_path)
    (tmp_path / "smscan.yaml").write_text("fail_on_unknown: high\n")
    code, _, err = run_cli(capsys, "scan", machine, *SELECT, "-o", tmp_path / "r.json")
    assert code == 1 and "FAILED: 1 UNKNOWN at or above high (--fail-on-unknown)" in err
    code, _, _ = run_cli(capsys, "scan", machine, *SELECT, "-o", tmp_path / "r.json", "--fail-on-unknown", "never")
    assert code == 0  # the flag wins over the file
    (tmp_path / "smscan.yaml").write_text("fail_on_unknown: sometimes\n")
    code, _, err = run_cli(capsys, "scan", machine, "-o", tmp_path / "r.json")
    assert code == 2 and "smscan.yaml:1:1: fail_on_unknown: expected one of" in err


def test_aws_without_credentials_is_incomplete_even_with_allow_partial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No credential anywhere botocore looks (env, files, container, instance metadata): the
    # identity check fails locally, before any request leaves the machine.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "scan", "--aws", "--region", "us-east-1", "--allow-partial",
                           "--output-dir", out, "-f", "json,sarif,html,junit,markdown")
    assert code == 3, err
    assert shown(out, err) == {fmt: ("incomplete", 3) for fmt in ("json", "sarif", "html", "junit", "markdown", "terminal")}
