"""An AWS scan interrupted mid-way leaves a cache the next scan trusts, and no half report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.moto_server import aws_env, create_jobs, moto_endpoint, sagemaker

__all__ = ["aws_env", "moto_endpoint"]

ROOT = Path(__file__).resolve().parents[1]


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
    deadline = time.monotonic() + 60
    while not cache.exists() and time.monotonic() < deadline:  # the scan has started describing
        time.sleep(0.05)
    time.sleep(0.5)
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
    # Jobs described before the interrupt were committed and are not described again.
    assert doc["scan"]["api_calls"].get("DescribeTrainingJob", 0) < 400, doc["scan"]["api_calls"]
