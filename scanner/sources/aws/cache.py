"""The incremental-scan cache (`--cache PATH`): DescribeTrainingJob answers of finished jobs.

A job in a terminal state (Completed, Failed, Stopped) changes only through tags, and
tags are fetched in bulk on every scan; so its describe answer, keyed by ARN and
LastModifiedTime, can be reused. The cache stores the answer (without Tags), not the
normalized record, so a newer normalizer never sees a stale record shape.

A file that is not an SQLite database, or a database without smscan's marker and format
version, is never trusted: it is moved aside to PATH.bad and a fresh cache is built.
One connection, guarded by a lock, serves all threads; new entries are written in one
transaction per `flush()`, which runs when a pair is done and every FLUSH_EVERY new
entries, so a scan interrupted (or killed) mid-pair keeps what it already described.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from smscan.errors import SourceError

APPLICATION_ID = 0x534D5343  # "SMSC"
FORMAT_VERSION = 1
FLUSH_EVERY = 50  # entries per transaction: few commits, little lost to a kill
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS describe (
    arn TEXT PRIMARY KEY,
    last_modified TEXT NOT NULL,
    status TEXT NOT NULL,
    doc TEXT NOT NULL
);
"""


class Cache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.notes: list[str] = []
        self.hits = 0
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[str, str, str]] = {}
        self._conn = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            conn = self._connect()
            if self._trusted(conn):
                return conn
            conn.close()
            why = "is not an smscan cache"
        except sqlite3.DatabaseError as exc:
            why = f"is unreadable ({exc})"
        bad = self.path.with_name(self.path.name + ".bad")
        try:
            self.path.replace(bad)
        except OSError as exc:
            raise SourceError(f"cache {self.path}: {why} and cannot be moved aside: {exc}") from exc
        self.notes.append(f"cache {self.path} {why}: moved to {bad.name} and rebuilt")
        try:
            conn = self._connect()
            self._trusted(conn)
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"cache {self.path}: cannot create: {exc}") from exc
        return conn

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The cache holds whole describe answers, environments included: owner-only.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            os.chmod(self.path, 0o600)
            return sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.OperationalError) as exc:
            raise SourceError(f"cache {self.path}: cannot open: {exc}") from exc

    def _trusted(self, conn: sqlite3.Connection) -> bool:
        """True for our own cache; initialises an empty database; False for anything else."""
        (app_id,) = conn.execute("PRAGMA application_id").fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app_id == 0 and not tables:
            conn.executescript(
                f"BEGIN; PRAGMA application_id = {APPLICATION_ID};"
                + _SCHEMA
                + f"INSERT OR REPLACE INTO meta VALUES ('format', '{FORMAT_VERSION}'); COMMIT;"
            )
            return True
        if app_id != APPLICATION_ID or not {"meta", "describe"} <= tables:
            return False
        row = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is None or row[0] != str(FORMAT_VERSION):
            return False
        conn.execute("SELECT arn, last_modified, status, doc FROM describe LIMIT 1").fetchall()
        return True

    def get(self, arn: str, last_modified: Any) -> dict[str, Any] | None:
        """The cached describe answer when the job has not changed since it was cached."""
        stamp = _stamp(last_modified)
        with self._lock:
            row = self._conn.execute(
                "SELECT last_modified, doc FROM describe WHERE arn = ?", (arn,)
            ).fetchone()
        if row is None or row[0] != stamp:
            return None
        try:
            doc = json.loads(row[1], object_hook=_revive)
        except ValueError:
            return None  # a damaged row is a miss: the job is described again
        if not isinstance(doc, dict):
            return None
        with self._lock:
            self.hits += 1
        return doc

    def put(self, arn: str, last_modified: Any, status: str, doc: Mapping[str, Any]) -> None:
        body = {k: v for k, v in doc.items() if k not in ("Tags", "ResponseMetadata")}
        text = json.dumps(body, default=_encode, sort_keys=True)
        with self._lock:
            self._pending[arn] = (_stamp(last_modified), status, text)
            full = len(self._pending) >= FLUSH_EVERY
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            rows = [(arn, *v) for arn, v in self._pending.items()]
            self._pending.clear()
            if not rows:
                return
            with self._conn:
                self._conn.execute("BEGIN")
                self._conn.executemany("INSERT OR REPLACE INTO describe VALUES (?, ?, ?, ?)", rows)

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._conn.close()


def _stamp(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _revive(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$datetime" in obj:
        return datetime.fromisoformat(obj["$datetime"])
    return obj
