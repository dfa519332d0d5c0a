"""No planted secret leaves smscan: not in any report format, stdout, stderr, logs or errors.

Secrets of every detector kind in scanner.secrets are planted in the environment,
hyper_parameters and tags of a fleet (records, a DescribeTrainingJob response and a
CreateTrainingJob request file). Every file smscan writes, its stdout, its stderr and the
log records are then searched for each raw value. Map keys are names, not values: they
are never masked, so no secret is planted in a key.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from smscan import secret_rules
from smscan.secrets import detect
from tests.cli_helpers import run_cli

ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/"

# kind -> (key it is planted under, raw value, the part that must never appear)
PLANTED: dict[str, tuple[str, str, str]] = {
    "private-key": ("SSH_KEY_FILE_CONTENTS", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq7Vx9Zp2Lm4Nw8\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEAq7Vx9Zp2Lm4Nw8"),
    "aws-access-key-id": ("S3_ID", "AKIAQ7XW3PLANTED0K1D", "AKIAQ7XW3PLANTED0K1D"),
    "aws-secret-access-key": ("AWS_SECRET_ACCESS_KEY", "pL4nt3dSecr3tAcc3ssK3y/9xQ2vR8mW1zT5bN7c", "pL4nt3dSecr3tAcc3ssK3y/9xQ2vR8mW1zT5bN7c"),
    "github-token": ("GH", "ghp_Pl4ntedGitHubT0ken9xQ2vR8mW1zT5bN7cZ", "ghp_Pl4ntedGitHubT0ken9xQ2vR8mW1zT5bN7cZ"),
    "gitlab-token": ("GL", "glpat-Pl4ntedGitLab9xQ2vR8m", "glpat-Pl4ntedGitLab9xQ2vR8m"),
    "slack-webhook": ("NOTIFY", "https://hooks.slack.com/services/T0PLANT/B0PLANT/Pl4ntedW3bh00k9xQ2vR8m", "Pl4ntedW3bh00k9xQ2vR8m"),
    "slack-token": ("SLACK", "xoxb-123456789012-Pl4ntedSl4ckT0k3n", "xoxb-123456789012-Pl4ntedSl4ckT0k3n"),
    "stripe-key": ("BILLING", "sk_live_Pl4ntedStr1peK3y9xQ2vR8", "sk_live_Pl4ntedStr1peK3y9xQ2vR8"),
    "openai-key": ("LLM", "sk-Pl4ntedOpenAIK3y9xQ2vR8mW1zT5bN7cZaB3dE6", "sk-Pl4ntedOpenAIK3y9xQ2vR8mW1zT5bN7cZaB3dE6"),
    "huggingface-token": ("HUB", "hf_Pl4ntedHuggingF4ceT0k3n9xQ2vR8mW", "hf_Pl4ntedHuggingF4ceT0k3n9xQ2vR8mW"),
    "jwt": ("BEARER", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.Pl4ntedJwtS1gnatur3xQ2vR8mW1zT5bN7cZ", "Pl4ntedJwtS1gnatur3xQ2vR8mW1zT5bN7cZ"),
    "url-password": ("FEATURE_DB", "postgresql://ml:Pl4ntedUrlPassw0rd@db.internal:5432/f", "Pl4ntedUrlPassw0rd"),
    "connection-string-password": ("WAREHOUSE", "Server=db;User Id=sa;Password=Pl4ntedC0nnStr1ng;", "Pl4ntedC0nnStr1ng"),
    "high-entropy": ("OPAQUE", "q7Zr2Kx9Lm4Nw8Pv3Tb6Hy1Jc5Fd0GsQaWzUeRyMoXiBnCkEj", "q7Zr2Kx9Lm4Nw8Pv3Tb6Hy1Jc5Fd0GsQaWzUeRyMoXiBnCkEj"),
    "secret-key-name": ("DB_PASSWORD", "Pl4nted-hunter2", "Pl4nted-hunter2"),
}  # fmt: skip


def detector_kinds() -> set[str]:
    return {kind for kind, _, _ in secret_rules.VALUE_DETECTORS} | {"aws-secret-access-key", "high-entropy", "secret-key-name"}


def test_every_detector_kind_is_planted_and_detected() -> None:
    assert set(PLANTED) == detector_kinds()
    for kind, (key, value, core) in PLANTED.items():
        assert detect(value, key) == kind, kind
        assert core in value


def _maps(offset: int = 0) -> dict[str, dict[str, str]]:
    items = list(PLANTED.values())
    env = {key: value for key, value, _ in items}
    rotated = items[offset:] + items[:offset]
    return {
        "environment": env,
        "hyper_parameters": {f"hp_{key.lower()}": value for key, value, _ in rotated},
        "tags": {f"{key.lower()}-{i}": value for i, (key, value, _) in enumerate(items)} | {"owner": "ml"},
    }


def plant_fleet(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    records = directory / "fleet.jsonl"
    lines = [json.dumps({"training_job_arn": ARN + "all-secrets", "enable_network_isolation": False, **_maps()})]
    for i, (kind, (key, value, _)) in enumerate(PLANTED.items()):
        one = {"environment": {key: value}, "hyper_parameters": {"lr": "0.1", key: value}, "tags": {key: value}}
        lines.append(json.dumps({"training_job_arn": ARN + f"{kind}-{i}", **one}))
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    describe = directory / "describe.json"
    maps = _maps(3)
    describe.write_text(
        json.dumps(
            {
                "TrainingJobArn": ARN + "described",
                "TrainingJobName": "described",
                "Environment": maps["environment"],
                "HyperParameters": maps["hyper_parameters"],
                "Tags": [{"Key": k, "Value": v} for k, v in maps["tags"].items()],
            }
        ),
        encoding="utf-8",
    )
    return [records, describe]


def plant_request(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    request = directory / "train-request.json"
    maps = _maps(5)
    request.write_text(
        json.dumps(
            {
                "TrainingJobName": "from-a-pull-request",
                "AlgorithmSpecification": {"TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1", "TrainingInputMode": "File"},
                "RoleArn": "arn:aws:iam::123456789012:role/r",
                "Environment": maps["environment"],
                "HyperParameters": maps["hyper_parameters"],
                "Tags": [{"Key": k, "Value": v} for k, v in maps["tags"].items()],
            },
            indent=2,
        ),
        encoding="utf-8",
    )  # fmt: skip
    return request


def _leaks(text: str, cores: list[str]) -> list[str]:
    return [core[:6] + "..." for core in cores if core in text]


def _all_written(directory: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(directory.rglob("*")) if p.is_file())


@pytest.mark.parametrize("extra", [(), ("--include-passed", "--verbose")])
def test_no_planted_secret_in_any_output(
    extra: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from smscan.reports import FORMATS

    inputs = plant_fleet(tmp_path / "in")
    request = plant_request(tmp_path / "repo")
    out = tmp_path / "out"
    argv: list[Any] = ["scan", request]
    for path in inputs:
        argv += ["--input", path]
    caplog.set_level(logging.DEBUG)
    code, stdout, stderr = run_cli(capsys, *argv, "--format", ",".join(FORMATS), "--output-dir", out, *extra)
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == sorted(f"report.{f.extension}" for f in FORMATS.values())
    doc = json.loads((out / "report.json").read_text())
    failing = {f["policy_id"] for f in doc["findings"] if f["status"] == "FAIL"}
    assert {"no-secrets-in-environment", "no-secrets-in-hyperparameters", "no-secrets-in-tags"} <= failing
    assert doc["summary"]["records"] == len(PLANTED) + 3
    cores = [core for _, _, core in PLANTED.values()]
    everything = _all_written(out) + stdout + stderr + caplog.text
    assert _leaks(everything, cores) == []
    # ... and each stdout rendering too
    for fmt in FORMATS:
        code, stdout, stderr = run_cli(capsys, *argv, "--format", fmt, "-o", "-", *extra)
        assert code == 1 and stdout
        assert _leaks(stdout + stderr, cores) == [], fmt


def test_error_paths_do_not_leak(tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    secret = PLANTED["github-token"][1]
    aws_key = PLANTED["aws-access-key-id"][1]
    password = PLANTED["secret-key-name"][1]
    records = tmp_path / "bad.jsonl"
    lines = [
        # a secret, and a type error in another field
        {"training_job_arn": ARN + "a", "environment": {"GH": secret}, "creation_time": "not " + aws_key},
        # the secret is the wrong type's value itself
        {"training_job_arn": ARN + "b", "stopping_condition": secret, "billable_time_in_seconds": aws_key},
        # a bad hstore text holding secrets
        {"_key": ARN + "c", "environment": f'"GH"=>"{secret}", "DB_PASSWORD"=>"{password}", "X"=>'},
        {"_key": ARN + "d", "tags": f'"a"=>"{aws_key}" "b"=>"{password}"'},
        # a JSON text column that is not JSON, holding a secret
        {"_key": ARN + "e", "vpc_config": '{"token": "' + secret + '"'},
    ]
    text = "\n".join(json.dumps(line) for line in lines)
    text += '\n{"training_job_arn": "' + ARN + 'f", "environment": {"K": "' + secret + '"}\n'  # truncated
    records.write_text(text, encoding="utf-8")
    request = tmp_path / "repo" / "req.json"
    request.parent.mkdir()
    request.write_text(
        json.dumps({"TrainingJobName": "r", "AlgorithmSpecification": {"TrainingImage": "x"}, "RoleArn": "arn:aws:iam::1:role/r",
                    "EnableNetworkIsolation": secret, "HyperParameters": {"p": {"nested": password}}}),
        encoding="utf-8",
    )  # fmt: skip
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "out"
    # With a policy reading the timestamp and billing fields: only fields read are coerced.
    reading = ("--policies", "builtin", "--policies", Path(__file__).parent / "fixtures" / "reading")
    code, stdout, stderr = run_cli(
        capsys, "scan", request, "--input", records, *reading,
        "--format", "json,sarif,markdown,junit,asff,ocsf,csv", "--output-dir", out, "--verbose",
    )  # fmt: skip
    assert code == 3
    doc = json.loads((out / "report.json").read_text())
    assert len(doc["errors"]) == len(lines) + 2
    everything = _all_written(out) + stdout + stderr + caplog.text
    assert _leaks(everything, [secret, aws_key, password]) == []


def test_waiver_reasons_and_tag_waivers_are_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    secret = PLANTED["slack-token"][1]
    other = PLANTED["stripe-key"][1]
    records = tmp_path / "fleet.jsonl"
    tag = {"smscan:waive:vpc-configured": f"accepted, see {other} until=2099-01-01"}
    records.write_text(
        json.dumps({"training_job_arn": ARN + "waived", "enable_network_isolation": False, "tags": tag}) + "\n",
        encoding="utf-8",
    )
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - policy: network-isolation\n"
        f"    arn: '{ARN}waived'\n"
        f"    reason: 'accepted while we rotate {secret}'\n"
        f"    owner: '{secret}'\n"
        "    expires: 2099-01-01\n",
        encoding="utf-8",
    )
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "out"
    argv = ["scan", "--input", records, "--waivers", waivers, "--format", "json,sarif,html,junit,markdown,asff,ocsf,csv"]
    code, stdout, stderr = run_cli(capsys, *argv, "--output-dir", out, "--include-passed")
    assert code == 1  # the fleet still fails other high policies; the waived ones do not count
    doc = json.loads((out / "report.json").read_text())
    assert {f["policy_id"] for f in doc["findings"] if f["status"] == "WAIVED"} >= {"network-isolation", "vpc-configured"}
    everything = _all_written(out) + stdout + stderr + caplog.text
    assert _leaks(everything, [secret, other]) == []
    # a waivers file with an error in the same entry: the error line does not quote the reason
    waivers.write_text(waivers.read_text().replace("2099-01-01", "2099-02-30"), encoding="utf-8")
    code, stdout, stderr = run_cli(capsys, *argv, "--output-dir", tmp_path / "out2")
    assert code == 2 and f"{waivers}:6:14: " in stderr
    assert _leaks(stdout + stderr + caplog.text, [secret, other]) == []


# --- random secret-looking values
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _run(chars: str, n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=chars, min_size=n, max_size=n)


secret_values = st.one_of(
    _run(UPPER_DIGITS, 16).map(lambda s: "AKIA" + s),
    _run(ALNUM, 36).map(lambda s: "ghp_" + s),
    _run(ALNUM, 24).map(lambda s: "xoxp-1234-" + s),
    _run(ALNUM, 24).map(lambda s: "sk_live_" + s),
    _run(ALNUM, 40).map(lambda s: "hf_" + s),
    _run(ALNUM, 12).map(lambda s: f"mysql://app:{s}@db:3306/x"),
    _run(ALNUM + "+/", 40),
    _run(ALNUM + "-_", 48),
)
secret_keys = st.sampled_from(["API_TOKEN", "DB_PASSWORD", "X", "lr", "client_secret", "opaque"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=secret_values, key=secret_keys, where=st.sampled_from(["environment", "hyper_parameters", "tags"]))
def test_random_secret_looking_values_never_leak(
    value: str, key: str, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assume(detect(value, key) is not None)
    from smscan.reports import FORMATS

    records = tmp_path / "r.jsonl"
    records.write_text(json.dumps({"training_job_arn": ARN + "h", where: {key: value}}) + "\n", encoding="utf-8")
    out = tmp_path / "hout"
    code, stdout, stderr = run_cli(
        capsys, "scan", "--input", records, "--format", ",".join(FORMATS), "--output-dir", out, "--include-passed", "--verbose"
    )
    assert code == 1
    assert value not in _all_written(out) + stdout + stderr
