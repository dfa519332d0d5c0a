"""An AWS scan interrupted mid-way leaves a cache the next scan trusts, and no half report."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from smscan.sources.aws.cache import FLUSH_EVERY
from tests.moto_server import aws_env, create_jobs, moto_endpoint, sagemaker

__all__ = ["aws_env", "moto_endpoint"]

ROOT = Path(__file__).resolve().parents[1]
SAFETY_NET = 120  # seconds; only ends a hung scan, never what the test asserts


def _committed_rows(cache: Path) -> int:
    """Describe answers committed to the cache so far, read as another process would."""
    try:
        with closing(sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=0.1)) as conn:
            return int(conn.execute("SELECT count(*) FROM describe").fetchone()[0])
    except sqlite3.Error:  # not created yet, or the writer holds the lock right now
        return 0


def _wait_for_committed(cache: Path, rows: int, proc: subprocess.Popen[bytes]) -> int:
    """Block until `rows` describe answers are committed (a state of the scan, not a time)."""
    deadline = time.monotonic() + SAFETY_NET
    while (seen := _committed_rows(cache)) < rows:
        assert proc.poll() is None, "the scan ended before committing anything"
        assert time.monotonic() < deadline, f"safety net: {seen} rows committed after {SAFETY_NET} s"
        time.sleep(0.02)
    return seen


def _argv(endpoint: str, cache: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "smscan", "scan", "--aws", "--endpoint-url", endpoint,
        "--region", "us-east-1", "--fetch", "describe", "--concurrency", "2",
        "--cache", str(cache), "--format", "json", "-o", str(out), "--fail-on", "never",
    ]


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigint_during_an_aws_scan_keeps_the_cache_consistent(moto_endpoint: str, tmp_path: Path) -> None:
    create_jobs(sagemaker("us-east-1", moto_endpoint), 400, prefix="int", threads=8)
    cache, out = tmp_path / "cache.sqlite", tmp_path / "report.json"
    proc = subprocess.Popen(
        _argv(moto_endpoint, cache, out), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    committed = _wait_for_committed(cache, FLUSH_EVERY, proc)  # the scan is mid-way: signal now
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))

    # The next scan trusts the cache (no "rebuilt" note, no .bad file) and sees every job.
    done = subprocess.run(_argv(moto_endpoint, cache, out), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    assert doc["summary"]["records"] == 400
    assert not list(tmp_path.glob("*.bad"))
    notes = doc["scan"]["notes"]
    assert not any("rebuilt" in note or "corrupt" in note for note in notes), notes
    # Jobs committed before the interrupt are not described again.
    assert doc["scan"]["api_calls"].get("DescribeTrainingJob", 0) <= 400 - committed, doc["scan"]["api_calls"]
