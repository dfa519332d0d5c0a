"""`smscan demo`: the whole pipeline offline, and the promise that no planted secret leaks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smscan.cli.scan import DEMO_FLEET
from smscan.secrets import detect
from tests.cli_helpers import run_cli


def planted_secrets() -> list[str]:
    """Every value in the demo fleet's maps that the detector flags: the raw secrets."""
    found = []
    for line in DEMO_FLEET.read_text().splitlines():
        record = json.loads(line)
        for field in ("environment", "hyper_parameters", "tags"):
            for key, value in (record.get(field) or {}).items():
                if isinstance(value, str) and detect(value, key):
                    found.append(value)
    return found


def test_demo_fleet_is_about_fifty_jobs_with_planted_secrets() -> None:
    assert 45 <= len(DEMO_FLEET.read_text().splitlines()) <= 60
    assert len(planted_secrets()) >= 8


def test_demo_writes_every_format_and_leaks_no_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from smscan.reports import FORMATS

    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "demo")
    assert code == 0
    written = sorted((tmp_path / "smscan-demo").iterdir())
    assert [p.name for p in written] == sorted(f"report.{f.extension}" for f in FORMATS.values())
    doc = json.loads((tmp_path / "smscan-demo" / "report.json").read_text())
    by_status = doc["summary"]["by_status"]
    assert by_status["FAIL"] > 0 and by_status["PASS"] > by_status["FAIL"] and by_status["ERROR"] == 0
    # every built-in policy both passes and fails somewhere in the demo fleet
    for policy in doc["policies"]:
        assert policy["counts"]["PASS"] > 0 and policy["counts"]["FAIL"] > 0, policy["id"]
    secrets = planted_secrets()
    everything = out + err + "".join(p.read_text(encoding="utf-8") for p in written)
    leaked = [s[:4] for s in secrets if s in everything]
    assert leaked == []
    assert "report.html" in err
