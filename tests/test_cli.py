"""The CLI contract: exit codes, output files, selection, params, config and merge."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from smscan.models import Status
from tests.cli_helpers import run_cli, write_jsonl
from tests.factories import make_record

COMPLIANT = dict(
    tags={"owner": "ml-platform", "cost-center": "42"},
    algorithm_specification={"TrainingImage": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3"},
)


def fleet(tmp_path: Path, *records, extra_lines=()) -> Path:  # type: ignore[no-untyped-def]
    return write_jsonl(tmp_path / "fleet.jsonl", list(records), list(extra_lines))


def test_compliant_fleet_exits_0_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = fleet(tmp_path, make_record("good", **COMPLIANT))
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "scan", "--input", path, "--output-dir", out, "--fail-on", "low")
    assert code == 0, err
    doc = json.loads((out / "report.json").read_text())
    assert doc["summary"]["by_status"]["FAIL"] == 0
    assert doc["summary"]["records"] == 1
    assert "PASSED" in err


def test_high_failure_exits_1_unless_threshold_is_higher(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = fleet(tmp_path, make_record("open", enable_network_isolation=False, **COMPLIANT))
    base = ("scan", "--input", path, "-o", tmp_path / "r.json")
    assert run_cli(capsys, *base)[0] == 1
    assert run_cli(capsys, *base, "--fail-on", "critical")[0] == 0
    assert run_cli(capsys, *base, "--fail-on", "never")[0] == 0
    code, _, err = run_cli(capsys, *base, "--fail-on", "high")
    assert code == 1 and "FAILED: 1 FAIL at or above high" in err
    assert "network-isolation" in err  # the worst findings are listed


def test_bad_line_makes_the_scan_incomplete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = fleet(tmp_path, make_record("a", **COMPLIANT), make_record("b", **COMPLIANT), extra_lines=["{not json"])
    code, _, err = run_cli(capsys, "scan", "--input", path, "-o", tmp_path / "r.json", "--fail-on", "never")
    assert code == 3
    assert f"{path}:3" in err
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["summary"]["records"] == 2  # the good lines were still scanned
    assert doc["scan"]["complete"] is False
    code, _, _ = run_cli(capsys, "scan", "--input", path, "-o", tmp_path / "r.json", "--allow-partial")
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "pdf"), "unknown format 'pdf'"),
        (("--select", "no-such-policy"), "matches no policy"),
        (("--param", "max-runtime-limit.max_runtime_seconds=[1]"), "expected a number like the default 86400"),
        (("--param", "oops"), "expected POLICY-ID.NAME=VALUE"),
        (("--config", "missing.yaml"), "config file not found"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    path = fleet(tmp_path, make_record("a"))
    code, _, err = run_cli(capsys, "scan", "--input", path, "-o", tmp_path / "r.json", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "r.json").exists()


def test_malformed_policy_exits_2_with_file_line_col(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad-policy.yaml"
    bad.write_text("id: bad-policy\ntitle: t\nseverity: high\ndescription: d\ncheck:\n  path: $.tags\n  exist: true\n")
    code, _, err = run_cli(capsys, "scan", "--input", fleet(tmp_path, make_record("a")), "--policies", bad)
    assert code == 2
    assert f"{bad}:7:3: policy bad-policy: check.exist: unknown operator 'exist'" in err


def test_unwritable_output_is_refused_before_scanning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli(capsys, "scan", "--input", tmp_path / "nope.jsonl", "--output-dir", blocker / "sub")
    assert code == 2
    assert "cannot create output directory" in err


def test_select_skip_and_params(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = make_record("slow", stopping_condition={"MaxRuntimeInSeconds": 50000}, **COMPLIANT)
    path = fleet(tmp_path, record)
    out = tmp_path / "r.json"
    code, _, _ = run_cli(capsys, "scan", "-i", path, "-o", out, "--select", "max-runtime-*", "--fail-on", "medium")
    assert code == 0
    doc = json.loads(out.read_text())
    assert [p["id"] for p in doc["policies"]] == ["max-runtime-limit"]
    param = "max-runtime-limit.max_runtime_seconds=3600"
    code, _, _ = run_cli(capsys, "scan", "-i", path, "-o", out, "--select", "medium", "--param", param, "--fail-on", "medium")
    assert code == 1
    doc = json.loads(out.read_text())
    assert all(p["severity"] == "medium" for p in doc["policies"])
    assert doc["scan"]["params"]["max-runtime-limit"] == {"max_runtime_seconds": 3600}
    run_cli(capsys, "scan", "-i", path, "-o", out, "--skip", "medium,low,info")
    assert all(p["severity"] in ("high", "critical") for p in json.loads(out.read_text())["policies"])


def test_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = fleet(tmp_path, make_record("slow", stopping_condition={"MaxRuntimeInSeconds": 50000}, **COMPLIANT))
    Path("smscan.yaml").write_text(
        "fail_on: medium\nselect: [max-runtime-limit]\nparams:\n  max-runtime-limit:\n    max_runtime_seconds: 100000\n"
    )
    assert run_cli(capsys, "scan", "-i", path, "-o", "r.json")[0] == 0
    Path("smscan.yaml").write_text("fail_on: urgent\n")
    code, _, err = run_cli(capsys, "scan", "-i", path, "-o", "r.json")
    assert code == 2 and "smscan.yaml:1:1: fail_on: expected one of" in err


def test_json_report_matches_schema_and_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    from smscan.codec import load
    from smscan.reports import RenderOptions
    from tests.report_helpers import render

    records = [make_record("a", enable_network_isolation=False), make_record("b", **COMPLIANT)]
    out = tmp_path / "r.json"
    run_cli(capsys, "scan", "-i", fleet(tmp_path, *records), "-o", out, "--include-passed")
    text = out.read_text()
    schema = json.loads((Path(__file__).parents[1] / "reports/schemas/scan-result.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(json.loads(text))
    result = load(text)
    assert result.total(Status.PASS) > 0 and any(f.status is Status.PASS for f in result.findings)
    again = render("json", result, RenderOptions(generated_at=json.loads(text)["generated_at"]))
    assert again == text


def test_merge_combines_shards(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [make_record("a", enable_network_isolation=False)])
    b = write_jsonl(tmp_path / "b.jsonl", [make_record("b", enable_network_isolation=False)])
    run_cli(capsys, "scan", "-i", a, "-o", tmp_path / "a.json")
    run_cli(capsys, "scan", "-i", b, "-o", tmp_path / "b.json")
    code, _, _ = run_cli(capsys, "merge", tmp_path / "a.json", tmp_path / "b.json", "-o", tmp_path / "m.json")
    assert code == 1
    doc = json.loads((tmp_path / "m.json").read_text())
    arns = {f["resource"]["name"] for f in doc["findings"] if f["policy_id"] == "network-isolation"}
    assert arns == {"a", "b"}
    assert doc["summary"]["records"] == 2


def test_module_entry_point_never_prints_a_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "smscan", "scan", "--input", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "r.json")],
        capture_output=True, text=True, cwd=Path(__file__).parents[1],
    )
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    assert "missing.jsonl" in proc.stderr


def test_input_limits_are_configurable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = fleet(tmp_path, make_record("a", **COMPLIANT))
    nested = tmp_path / "deep.json"
    nested.write_text('{"training_job_name": "d", "vpc_config": ' + "[" * 50 + "]" * 50 + "}")
    out = tmp_path / "r.json"
    assert run_cli(capsys, "scan", "-i", path, "-o", out, "--max-input-bytes", "1M")[0] == 0
    code, _, err = run_cli(capsys, "scan", "-i", path, "-o", out, "--max-input-bytes", "100")
    assert code == 3 and "longer than 100 bytes" in err
    code, _, err = run_cli(capsys, "scan", "-i", nested, "-o", out, "--max-depth", "10", "--fail-on", "never")
    assert code == 3 and "deeper than 10" in err
    code, _, err = run_cli(capsys, "scan", "-i", path, "--max-input-bytes", "lots")
    assert code == 2 and "expected a size such as 64M" in err


def test_a_check_that_cannot_be_evaluated_fails_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = make_record("odd", stopping_condition={"MaxRuntimeInSeconds": "abc"}, **COMPLIANT)
    path = fleet(tmp_path, record)
    code, _, err = run_cli(capsys, "scan", "-i", path, "-o", tmp_path / "r.json", "--fail-on", "medium")
    assert code == 1
    assert "FAILED: 1 ERROR at or above medium" in err
    assert "1 check(s) could not be evaluated (ERROR)" in err
    assert run_cli(capsys, "scan", "-i", path, "-o", tmp_path / "r.json", "--fail-on", "high")[0] == 0  # medium policy


def test_an_empty_export_is_incomplete_not_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, _, err = run_cli(capsys, "scan", "-i", empty, "-o", tmp_path / "r.json")
    assert code == 3 and "no training job record in the inputs" in err


def test_reports_get_the_usual_file_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    old = os.umask(0o022)
    try:
        run_cli(capsys, "scan", "-i", fleet(tmp_path, make_record("a", **COMPLIANT)), "-o", tmp_path / "r.json")
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644


def test_merge_refuses_overlapping_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [make_record("a", enable_network_isolation=False)])
    run_cli(capsys, "scan", "-i", a, "-o", tmp_path / "a.json")
    run_cli(capsys, "scan", "-i", a, "-o", tmp_path / "b.json")
    code, _, err = run_cli(capsys, "merge", tmp_path / "a.json", tmp_path / "a.json", "-o", tmp_path / "m.json")
    assert code == 2 and "given twice" in err
    code, _, err = run_cli(capsys, "merge", tmp_path / "a.json", tmp_path / "b.json", "-o", tmp_path / "m.json")
    assert code == 2 and "merge disjoint shards only" in err
