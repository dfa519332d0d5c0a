"""The CI gate end to end through the CLI: thresholds, waivers, tag waivers, baseline, history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli, write_jsonl
from tests.factories import make_record

GOOD = dict(
    tags={"owner": "ml", "cost-center": "42"},
    algorithm_specification={"TrainingImage": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3"},
)


def scan(capsys: pytest.CaptureFixture[str], tmp_path: Path, records, *args: object) -> tuple[int, dict, str]:  # type: ignore[no-untyped-def]
    fleet = write_jsonl(tmp_path / "fleet.jsonl", records)
    out = tmp_path / "r.json"
    code, _, err = run_cli(capsys, "scan", "-i", fleet, "-o", out, *args)
    return code, json.loads(out.read_text()) if out.exists() else {}, err


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [("critical", 0), ("high", 1), ("medium", 1), ("low", 1), ("info", 1), ("never", 0)],
)
def test_each_threshold(tmp_path: Path, capsys: pytest.CaptureFixture[str], fail_on: str, code: int) -> None:
    # One high FAIL (network isolation), nothing critical.
    records = [make_record("j", enable_network_isolation=False, **GOOD)]
    assert scan(capsys, tmp_path, records, "--select", "network-isolation,no-secrets-*", "--fail-on", fail_on)[0] == code


def _waivers(tmp_path: Path, expires: str, arn_glob: str = "*training-job/legacy-*") -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(
        f"waivers:\n  - policy: network-isolation\n    arn: '{arn_glob}'\n"
        f"    reason: Legacy jobs, replaced in Q3.\n    owner: ml-platform\n    expires: {expires}\n"
    )
    return path


def test_waiver_suppresses_then_expires_then_goes_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [make_record("legacy-1", enable_network_isolation=False, **GOOD)]
    sel = ("--select", "network-isolation")
    code, doc, _ = scan(capsys, tmp_path, records, *sel, "--waivers", _waivers(tmp_path, "2999-01-01"))
    assert code == 0
    [finding] = doc["findings"]
    assert finding["status"] == "WAIVED" and finding["waiver"]["reason"] == "Legacy jobs, replaced in Q3."
    assert doc["summary"]["by_status"]["WAIVED"] == 1 and doc["summary"]["by_status"]["FAIL"] == 0

    code, doc, err = scan(capsys, tmp_path, records, *sel, "--waivers", _waivers(tmp_path, "2020-01-01"))
    assert code == 1  # the finding is back
    assert doc["findings"][0]["status"] == "FAIL"
    assert "expired on 2020-01-01" in err

    stale = _waivers(tmp_path, "2999-01-01", arn_glob="*training-job/nothing-*")
    code, doc, err = scan(capsys, tmp_path, records, *sel, "--waivers", stale, "--fail-on", "never")
    assert code == 0 and "matched no finding" in err
    code, _, err = scan(capsys, tmp_path, records, *sel, "--waivers", stale, "--fail-on", "never", "--strict-waivers")
    assert code == 1 and "--strict-waivers" in err


def test_invalid_waiver_file_exits_2_before_scanning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "w.yaml"
    bad.write_text("waivers:\n  - policy: network-isolation\n    arn: '*'\n    expires: 2027-01-01\n")
    code, doc, err = scan(capsys, tmp_path, [make_record("a")], "--waivers", bad)
    assert code == 2 and doc == {}
    assert f"{bad}:2:5: waiver 1: reason: missing required key" in err


def test_default_waivers_file_and_tag_waivers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _waivers(tmp_path, "2999-01-01").rename(tmp_path / ".smscan-waivers.yaml")
    tags = {**GOOD["tags"], "smscan:waive:vpc-configured": "No VPC in the lab account until=2999-12-31"}
    records = [
        make_record("legacy-2", enable_network_isolation=False, **GOOD),
        make_record("lab-1", vpc_config=None, tags=tags, algorithm_specification=GOOD["algorithm_specification"]),
    ]
    code, doc, _ = scan(capsys, tmp_path, records, "--select", "network-isolation,vpc-configured")
    assert code == 0
    statuses = {(f["policy_id"], f["resource"]["name"]): f["status"] for f in doc["findings"]}
    assert statuses == {("network-isolation", "legacy-2"): "WAIVED", ("vpc-configured", "lab-1"): "WAIVED"}


def test_baseline_new_unchanged_fixed_and_new_only_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sel = ("--select", "network-isolation")
    before = [make_record("a", enable_network_isolation=False, **GOOD), make_record("b", enable_network_isolation=False, **GOOD)]
    scan(capsys, tmp_path, before, *sel)
    baseline = tmp_path / "baseline.json"
    (tmp_path / "r.json").rename(baseline)
    after = [make_record("c", enable_network_isolation=False, **GOOD), make_record("a", enable_network_isolation=False, **GOOD)]
    code, doc, _ = scan(capsys, tmp_path, after, *sel, "--baseline", baseline)
    assert code == 1
    marks = {f["resource"]["name"]: f["baseline"] for f in doc["findings"]}
    assert marks == {"a": "unchanged", "c": "new"}
    assert [f["resource"]["name"] for f in doc["fixed"]] == ["b"]
    code, _, err = scan(capsys, tmp_path, after, *sel, "--baseline", baseline, "--fail-on-new-only")
    assert code == 1 and "FAILED: 1 new FAIL at or above high" in err
    code, _, _ = scan(capsys, tmp_path, before, *sel, "--baseline", baseline, "--fail-on-new-only")
    assert code == 0  # nothing new since the baseline
    assert run_cli(capsys, "scan", "-i", tmp_path / "fleet.jsonl", "--fail-on-new-only")[0] == 2


def test_history_trend_across_three_scans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "history.sqlite"
    sel = ("--select", "network-isolation", "--history", db, "--fail-on", "never")
    fleets = [
        [make_record("a", enable_network_isolation=False, **GOOD), make_record("b", **GOOD)],
        [make_record("a", enable_network_isolation=False, **GOOD), make_record("b", enable_network_isolation=False, **GOOD)],
        [make_record("a", **GOOD), make_record("b", enable_network_isolation=False, **GOOD)],
    ]
    docs = [scan(capsys, tmp_path, fleet, *sel)[1] for fleet in fleets]
    assert [h["fail"] for h in docs[-1]["history"]] == [1, 2, 1]
    assert [f["resource"]["name"] for f in docs[-1]["fixed"]] == ["a"]
    assert {f["resource"]["name"]: f["baseline"] for f in docs[1]["findings"]} == {"a": "unchanged", "b": "new"}
    db.write_bytes(b"not a database at all" * 10)
    code, _, err = run_cli(capsys, "scan", "-i", tmp_path / "fleet.jsonl", "--history", db)
    assert code == 2 and str(db) in err


def test_the_gate_keeps_every_job_key_only_for_a_baseline_history_or_sink(tmp_path: Path) -> None:
    # A million-job scan would hold a million ARNs for nothing: only the baseline ("no longer
    # present"), the history store and Security Hub's archiving ask which jobs were scanned.
    import argparse

    from smscan.cli.gate import Gate

    def prepare(**given: object) -> Gate:
        args = {"waivers": None, "baseline": None, "history": None, "strict_waivers": False,
                "fail_on_new_only": False, "security_hub": False, "security_hub_only_failed": False}
        return Gate.prepare(argparse.Namespace(**{**args, **given}), None, ["network-isolation"])

    assert prepare().present is None
    assert prepare(security_hub=True).present == set()
    assert prepare(history=str(tmp_path / "history.db")).present == set()
