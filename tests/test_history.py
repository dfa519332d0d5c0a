"""History: each scan's summary and open finding keys in SQLite, a trend, new/fixed since last."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from smscan.errors import SourceError
from smscan.gate.history import check_history, record_scan
from smscan.models import Finding, Problem, ScanResult, Status
from tests.factories import make_finding, make_result


def scan(finished_at: str, findings: list[Finding], errors: list[Problem] | None = None) -> ScanResult:
    result = make_result(findings, errors=errors)
    meta = dataclasses.replace(result.meta, finished_at=finished_at)
    return dataclasses.replace(result, meta=meta)


def names(findings: tuple[Finding, ...]) -> dict[str, str | None]:
    return {f"{f.policy_id}@{f.resource.name}": f.baseline for f in findings}


def test_three_scans_give_a_trend_and_new_and_fixed(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    first = record_scan(db, scan("2026-11-22T02:00:00Z", [
        make_finding("network-isolation", "a"),
        make_finding("network-isolation", "b"),
        make_finding("vpc-configured", "a", status=Status.PASS),
    ]))
    assert names(first.findings) == {  # nothing to compare with yet
        "network-isolation@a": None, "network-isolation@b": None, "vpc-configured@a": None,
    }
    assert first.fixed == ()
    assert len(first.history) == 1

    second = record_scan(db, scan("2026-11-23T02:00:00Z", [
        make_finding("network-isolation", "b"),
        make_finding("vpc-configured", "c"),
    ]))
    assert names(second.findings) == {"network-isolation@b": "unchanged", "vpc-configured@c": "new"}
    assert [f"{f.policy_id}@{f.resource.arn.rsplit('/', 1)[1]}" for f in second.fixed] == [
        "network-isolation@a"
    ]

    third = record_scan(db, scan("2026-11-24T02:00:00Z", [
        make_finding("vpc-configured", "c"),
        make_finding("retry-limit", "d", severity="low"),
    ]))
    assert names(third.findings) == {"vpc-configured@c": "unchanged", "retry-limit@d": "new"}
    assert [(f.policy_id, f.resource.name, f.severity.value) for f in third.fixed] == [
        ("network-isolation", "b", "high")
    ]
    assert list(third.history) == [
        {"finished_at": "2026-11-22T02:00:00Z", "records": 2, "pass": 1, "fail": 2, "waived": 0, "error": 0, "unknown": 0, "score": 0.333},
        {"finished_at": "2026-11-23T02:00:00Z", "records": 2, "pass": 0, "fail": 2, "waived": 0, "error": 0, "unknown": 0, "score": 0.0},
        {"finished_at": "2026-11-24T02:00:00Z", "records": 2, "pass": 0, "fail": 2, "waived": 0, "error": 0, "unknown": 0, "score": 0.0},
    ]


def test_history_keeps_the_last_n_summaries_and_prunes_old_keys(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    for day in range(1, 6):
        result = record_scan(db, scan(f"2026-11-0{day}T00:00:00Z", [make_finding()]), keep=3)
    assert [h["finished_at"][:10] for h in result.history] == ["2026-11-03", "2026-11-04", "2026-11-05"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 5
        assert conn.execute("SELECT COUNT(DISTINCT scan_id) FROM finding_keys").fetchone()[0] == 3


def test_compares_with_the_last_complete_scan(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    record_scan(db, scan("2026-11-22T00:00:00Z", [make_finding("network-isolation", "a")]))
    broken = [Problem("aws:eu-west-1", "AccessDenied", kind="aws")]
    record_scan(db, scan("2026-11-23T00:00:00Z", [], errors=broken))
    third = record_scan(db, scan("2026-11-24T00:00:00Z", [make_finding("network-isolation", "a")]))
    assert [f.baseline for f in third.findings] == ["unchanged"]


def test_compare_false_leaves_an_earlier_baseline_alone(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    record_scan(db, scan("2026-11-22T00:00:00Z", [make_finding()]))
    result = record_scan(db, scan("2026-11-23T00:00:00Z", [make_finding()]), compare=False)
    assert [f.baseline for f in result.findings] == [None]
    assert len(result.history) == 2


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.write_bytes(b"this is not a database at all, just text" * 100), "not a usable smscan history database"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE t (x)").connection.commit(), "not an smscan history database"),
        (lambda p: p.mkdir(), "is a directory"),
    ],
)
def test_a_corrupt_or_foreign_file_is_a_source_error(tmp_path: Path, make: object, expected: str) -> None:
    db = tmp_path / "history.sqlite"
    make(db)  # type: ignore[operator]
    with pytest.raises(SourceError, match=expected):
        check_history(db)
    with pytest.raises(SourceError) as info:
        record_scan(db, scan("2026-11-24T00:00:00Z", [make_finding()]))
    assert str(info.value).startswith(str(db))
    assert expected in str(info.value)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    record_scan(db, scan("2026-11-24T00:00:00Z", [make_finding()]))
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(SourceError, match="schema version 99 is newer"):
        record_scan(db, scan("2026-11-25T00:00:00Z", [make_finding()]))


def test_check_history_accepts_a_new_or_good_file_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    check_history(db)
    assert not db.exists()
    record_scan(db, scan("2026-11-24T00:00:00Z", [make_finding()]))
    check_history(db)


def test_a_missing_directory_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        check_history(tmp_path / "nope" / "h.db")
    with pytest.raises(SourceError, match="does not exist"):
        record_scan(tmp_path / "nope" / "h.db", scan("2026-11-24T00:00:00Z", []))


def test_a_result_with_history_and_fixed_is_a_valid_json_report(tmp_path: Path) -> None:
    import json

    import jsonschema

    from smscan.reports import RenderOptions
    from tests.report_helpers import render

    db = tmp_path / "h.db"
    record_scan(db, scan("2026-11-23T00:00:00Z", [make_finding("network-isolation", "a"), make_finding("vpc-configured", "b")]))
    result = record_scan(db, scan("2026-11-24T00:00:00Z", [make_finding("network-isolation", "a")]))
    doc = json.loads(render("json", result, RenderOptions(generated_at="2026-11-24T00:00:00Z")))
    schema_path = Path(__file__).parent.parent / "reports" / "schemas" / "scan-result.schema.json"
    jsonschema.validate(doc, json.loads(schema_path.read_text()))
    assert [f["policy_id"] for f in doc["fixed"]] == ["vpc-configured"]
    assert len(doc["history"]) == 2
