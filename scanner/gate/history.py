"""Scan history in SQLite: each scan's summary and open finding keys, for trends and new/fixed.

`record_scan` compares the scan with the most recent complete scan in the file (an
incomplete one would make every unreadable job's findings look new tomorrow), falling back
to the most recent scan when none is complete. Summaries are kept for ever (a row each);
finding keys only for the last `keep` scans, since only the latest is ever compared with.

The file is marked with PRAGMA application_id and versioned with PRAGMA user_version; any
other SQLite file, or a file that is not SQLite, is refused with a SourceError naming it.
A version 1 file (no UNKNOWN count) is upgraded in place: its scans had no UNKNOWN results.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from smscan.errors import SourceError
from smscan.findings import MemoryFindings
from smscan.gate.baseline import OPEN, apply_baseline, finding_key
from smscan.gate.score import total_score
from smscan.models import Finding, Origin, Resource, ScanMeta, ScanResult, Severity, Status

APPLICATION_ID = 0x736D7363  # "smsc"
SCHEMA_VERSION = 2
SUMMARY_KEYS = ("finished_at", "records", "pass", "fail", "waived", "error", "unknown", "score")
_SCHEMA = """
CREATE TABLE scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    finished_at TEXT NOT NULL,
    records INTEGER NOT NULL,
    pass INTEGER NOT NULL,
    fail INTEGER NOT NULL,
    waived INTEGER NOT NULL,
    error INTEGER NOT NULL,
    unknown INTEGER NOT NULL DEFAULT 0,
    score REAL,
    complete INTEGER NOT NULL
);
CREATE TABLE finding_keys (
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    policy_id TEXT NOT NULL,
    arn TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    name TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX finding_keys_scan ON finding_keys(scan_id);
"""
_COLUMNS = {
    "scans": {"id", *SUMMARY_KEYS, "complete"},
    "finding_keys": {"scan_id", "policy_id", "arn", "severity", "status", "name", "message"},
}


def record_scan(
    db: Path,
    result: ScanResult,
    keep: int = 30,
    *,
    compare: bool = True,
    present: Collection[str] | None = None,
) -> ScanResult:
    """Store `result` in `db` (created if missing) in one transaction.

    Returns `result` with `history` = the last `keep` scans' summaries, oldest first, this
    one included; and, when `compare` and the file holds an earlier scan, with new/unchanged
    marks and `fixed` relative to it (pass compare=False when --baseline already did that).
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    with _open(db) as conn:
        try:
            conn.execute("BEGIN IMMEDIATE")
            _ensure_schema(conn, db)
            previous = _previous(conn) if compare else None
            if previous is not None:
                result = apply_baseline(result, previous, present)
            scan_id = _insert(conn, result)
            conn.execute(
                "DELETE FROM finding_keys WHERE scan_id <= ?", (scan_id - keep,)
            )
            rows = conn.execute(
                f"SELECT {', '.join(SUMMARY_KEYS)} FROM scans ORDER BY id DESC LIMIT ?", (keep,)
            ).fetchall()
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise SourceError(f"{db}: not a usable smscan history database ({exc})") from None
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    history = tuple(dict(zip(SUMMARY_KEYS, row, strict=True)) for row in reversed(rows))
    return dataclasses.replace(result, history=history)


def check_history(db: Path) -> None:
    """Fail fast, before a long scan: raise SourceError unless `db` is absent or usable."""
    if not db.exists():
        if not db.parent.is_dir():
            raise SourceError(f"{db}: directory {db.parent} does not exist")
        return
    with _open(db) as conn:
        conn.execute("BEGIN")
        try:
            _ensure_schema(conn, db)
        finally:
            conn.execute("ROLLBACK")


@contextmanager
def _open(db: Path) -> Iterator[sqlite3.Connection]:
    if db.is_dir():
        raise SourceError(f"{db}: is a directory (expected an SQLite history file)")
    if not db.parent.is_dir():
        raise SourceError(f"{db}: directory {db.parent} does not exist")
    try:
        conn = sqlite3.connect(str(db), isolation_level=None, timeout=30)
    except sqlite3.Error as exc:
        raise SourceError(f"{db}: cannot open history database ({exc})") from None
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        yield conn
    except sqlite3.DatabaseError as exc:
        raise SourceError(f"{db}: not a usable smscan history database ({exc})") from None
    finally:
        conn.close()


def _ensure_schema(conn: sqlite3.Connection, db: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables.discard("sqlite_sequence")
    if version == 0 and app_id == 0 and not tables:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return
    if app_id != APPLICATION_ID:
        raise SourceError(f"{db}: an SQLite file that is not an smscan history database")
    if version > SCHEMA_VERSION:
        raise SourceError(
            f"{db}: history schema version {version} is newer than this smscan reads "
            f"({SCHEMA_VERSION}); upgrade smscan"
        )
    if version == 1:
        conn.execute("ALTER TABLE scans ADD COLUMN unknown INTEGER NOT NULL DEFAULT 0")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    for table, columns in _COLUMNS.items():
        found = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if not columns <= found:
            raise SourceError(f"{db}: damaged smscan history database (table {table} is missing columns)")


def _previous(conn: sqlite3.Connection) -> ScanResult | None:
    row = conn.execute(
        "SELECT id, finished_at FROM scans ORDER BY complete DESC, id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    scan_id, finished_at = row
    rows = conn.execute(
        "SELECT policy_id, arn, severity, status, name, message FROM finding_keys WHERE scan_id = ?",
        (scan_id,),
    ).fetchall()
    where = f"history scan {scan_id} ({finished_at})"
    findings = MemoryFindings(_finding(where, *r) for r in rows)
    meta = ScanMeta(tool_version="", started_at=finished_at, finished_at=finished_at)
    return ScanResult(meta=meta, policies=(), findings=findings, counts={})


def _finding(where: str, policy_id: str, key: str, severity: str, status: str, name: str, message: str) -> Finding:
    # The key is an ARN, or for a record without one, the origin it was derived from.
    is_arn = key.startswith("arn:")
    resource = Resource(
        arn=key if is_arn else "",
        name=name,
        account_id=key.split(":")[4] if is_arn and key.count(":") >= 5 else "",
        region=key.split(":")[3] if is_arn and key.count(":") >= 5 else "",
        status=None,
        origin=Origin(where) if is_arn else Origin(key),
    )
    return Finding(policy_id, Severity(severity), Status(status), resource, message)


def _insert(conn: sqlite3.Connection, result: ScanResult) -> int:
    cursor = conn.execute(
        "INSERT INTO scans (finished_at, records, pass, fail, waived, error, unknown, score, complete)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            result.meta.finished_at,
            result.meta.records_scanned,
            result.total(Status.PASS),
            result.total(Status.FAIL),
            result.total(Status.WAIVED),
            result.total(Status.ERROR),
            result.total(Status.UNKNOWN),
            total_score(result.counts.values()).fraction,
            int(result.complete),
        ),
    )
    scan_id = cursor.lastrowid
    assert scan_id is not None
    rows: list[tuple[Any, ...]] = []
    for f in result.findings:
        if f.status in OPEN:
            policy_id, key = finding_key(f)
            rows.append((scan_id, policy_id, key, f.severity.value, f.status.value, f.resource.name, f.message))
    conn.executemany("INSERT INTO finding_keys VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return scan_id
