"""UNKNOWN (a value known only at run time) everywhere a status appears, and never as a pass.

Reports are built from results the way the engine gives them (factories) and read back the
way their consumers do: the JSON schema, SARIF's official schema, junitparser, the HTML page
in headless Chromium, the baseline comparison and the history database.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import jsonschema
import junitparser
import pytest

from smscan.codec import load
from smscan.gate.baseline import apply_baseline
from smscan.gate.history import record_scan
from smscan.models import Finding, Location, ScanResult, Status, Waiver
from smscan.reports import RenderOptions
from tests import browser
from tests.factories import make_finding, make_result
from tests.report_helpers import OPTIONS, render

SCHEMA = Path(__file__).parents[1] / "reports/schemas/scan-result.schema.json"
MESSAGE = (
    "Training job nightly: policy network-isolation cannot be decided before run time: "
    "EnableNetworkIsolation is set at run time (Step Functions JSONPath) at jobs/train.asl.json:24."
)


def unknown(name: str = "nightly", policy: str = "network-isolation") -> Finding:
    f = make_finding(policy, name, status=Status.UNKNOWN)
    return dataclasses.replace(f, message=MESSAGE, location=Location("jobs/train.asl.json", 24, 9))


def mixed() -> ScanResult:
    return make_result([
        unknown(),
        make_finding("vpc-configured", "nightly"),
        make_finding("network-isolation", "other", status=Status.PASS),
    ])


def test_json_counts_validates_and_round_trips() -> None:
    result = mixed()
    doc = json.loads(render("json", result, fail_on_unknown="high"))
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(doc)
    assert doc["summary"]["by_status"]["UNKNOWN"] == 1
    assert doc["summary"]["unknown_by_severity"]["high"] == 1
    assert doc["summary"]["compliance_score"] == 0.333  # 1 PASS of 3 evaluated: UNKNOWN is not a pass
    assert doc["verdict"] == {
        "status": "failed", "exit_code": 1,
        "reason": "1 FAIL at or above high; 1 UNKNOWN at or above high (--fail-on-unknown)",
    }
    assert load(json.dumps(doc)) == result


def test_sarif_reports_an_open_result_that_validates(tmp_path: Path) -> None:
    from tests.test_sarif import SCHEMA as SARIF_SCHEMA

    text = render("sarif", mixed(), RenderOptions(generated_at=OPTIONS.generated_at, sarif_root=tmp_path))
    doc = json.loads(text)
    validator = jsonschema.validators.validator_for(json.loads(SARIF_SCHEMA.read_text()))
    assert list(validator(json.loads(SARIF_SCHEMA.read_text())).iter_errors(doc)) == []
    (open_result,) = [r for r in doc["runs"][0]["results"] if r.get("kind") == "open"]
    assert open_result["level"] == "none" and open_result["properties"]["status"] == "UNKNOWN"
    assert open_result["message"]["text"] == MESSAGE
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_junit_skips_an_unknown_with_its_reason_and_counts_it() -> None:
    text = render("junit", mixed())
    suites = {s.name: s for s in junitparser.JUnitXml.fromstring(text.encode())}
    cases = {c.name: c for c in suites["network-isolation"]}
    assert cases["nightly"].is_skipped and cases["nightly"].result[0].type == "unknown"
    assert "set at run time" in cases["nightly"].result[0].message
    properties = {p.name: p.value for p in suites["network-isolation"].properties()}
    assert properties["smscan.jobs.unknown"] == "1"


def test_markdown_lists_the_unknown_results() -> None:
    text = render("markdown", mixed())
    assert "### Known only at run time (UNKNOWN)" in text
    assert "| high | network-isolation | nightly (jobs/train.asl.json\\:24) |" in text
    assert "| 1 | 1 | 0 | 0 | 0 | 1 |" in text  # PASS FAIL N/A ERROR WAIVED UNKNOWN


def test_html_has_an_unknown_section_card_and_filter() -> None:
    html = render("html", mixed())
    section = html[html.index('<section id="unknown"'):]
    section = section[: section.index("</section>")]
    assert "EnableNetworkIsolation is set at run time" in section
    assert '<a href="#unknown">Unknown <span class="n warn">1</span>' in html
    assert '<option value="UNKNOWN">UNKNOWN</option>' in html
    assert 'class="card status st-UNKNOWN-card" href="#status=UNKNOWN"' in html


@pytest.mark.browser
def test_html_status_filter_shows_only_unknown_rows(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(render("html", mixed()), encoding="utf-8")
    dom = browser.dump_dom(path.as_uri() + "#status=UNKNOWN")
    rows = re.findall(r'<tr class="finding[^"]*".*?</tr>', dom, re.S)
    assert len(rows) == 1 and "UNKNOWN" in rows[0] and "nightly" in rows[0]
    assert re.search(r'<html[^>]*data-ready="true"', dom) and not re.search(r'<html[^>]*data-js-errors', dom)


def test_baseline_compares_unknowns_with_unknowns() -> None:
    previous = make_result([unknown("a"), make_finding("network-isolation", "b")])
    current = make_result([unknown("a"), make_finding("network-isolation", "c"), unknown("b")])
    result = apply_baseline(current, previous)
    marks = {(f.resource.name, f.status.value): f.baseline for f in result.findings}
    assert marks == {("a", "UNKNOWN"): "unchanged", ("c", "FAIL"): "new", ("b", "UNKNOWN"): "new"}
    assert result.fixed == ()  # b is unknown now, not fixed


def test_an_unknown_that_becomes_a_fail_is_new() -> None:
    result = apply_baseline(make_result([make_finding("network-isolation", "a")]), make_result([unknown("a")]))
    assert [f.baseline for f in result.findings] == ["new"]


def test_history_counts_unknown_and_upgrades_a_version_1_file(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with sqlite3.connect(db) as conn:  # the layout smscan wrote before UNKNOWN existed
        conn.executescript(
            "CREATE TABLE scans (id INTEGER PRIMARY KEY AUTOINCREMENT, finished_at TEXT NOT NULL,"
            " records INTEGER NOT NULL, pass INTEGER NOT NULL, fail INTEGER NOT NULL,"
            " waived INTEGER NOT NULL, error INTEGER NOT NULL, score REAL, complete INTEGER NOT NULL);"
            "CREATE TABLE finding_keys (scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
            " policy_id TEXT NOT NULL, arn TEXT NOT NULL, severity TEXT NOT NULL, status TEXT NOT NULL,"
            " name TEXT NOT NULL, message TEXT NOT NULL);"
            "INSERT INTO scans VALUES (1, '2026-11-01T00:00:00Z', 1, 1, 0, 0, 0, 1.0, 1);"
            "PRAGMA application_id = 1936552803; PRAGMA user_version = 1;"
        )
    conn.close()
    result = record_scan(db, mixed())
    assert [h["unknown"] for h in result.history] == [0, 1]
    assert result.history[-1]["score"] == 0.333
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()


def test_a_waived_unknown_keeps_its_waiver_in_every_report() -> None:
    waived = dataclasses.replace(unknown(), status=Status.WAIVED, waiver=Waiver("Isolation set by the caller."))
    result = make_result([waived])
    doc: dict[str, Any] = json.loads(render("json", result, fail_on_unknown="info"))
    assert doc["verdict"]["status"] == "passed"
    assert doc["findings"][0]["waiver"]["reason"] == "Isolation set by the caller."
