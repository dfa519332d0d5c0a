"""Interrupted runs: no half-written report, no leftover temporary file, a documented exit code.

A real `smscan scan` process reads records from a pipe; once it has consumed more than the
pipe can buffer it is certainly mid-scan, and the signal is sent while it waits for more.
Reports are rendered in memory and written to a temporary name that is renamed over the
destination, so the previous report must survive untouched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from smscan.cli import output
from tests.cli_helpers import run_cli

ROOT = Path(__file__).parent.parent
ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/"
PREVIOUS = '{"previous": "report"}\n'


def _line(i: int) -> bytes:
    record = {"training_job_arn": ARN + f"job-{i}", "enable_network_isolation": i % 2 == 0, "tags": {"owner": "ml"}}
    return (json.dumps(record) + "\n").encode()


def _start_scan(out_dir: Path) -> tuple[subprocess.Popen[bytes], threading.Event]:
    """A scan reading stdin, fed until well past the pipe buffer, then left waiting."""
    out_dir.mkdir()
    for name in ("report.json", "report.sarif"):
        (out_dir / name).write_text(PREVIOUS, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "smscan", "scan", "--input", "-", "--format", "json,sarif", "--output-dir", str(out_dir)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    fed = threading.Event()

    def feed() -> None:
        assert proc.stdin is not None
        written = 0
        try:
            for i in range(20_000):
                written += proc.stdin.write(_line(i))
                if written > 1024 * 1024:  # 16 times a Linux pipe buffer: the scan is reading
                    proc.stdin.flush()
                    fed.set()
                    return
        except BrokenPipeError:
            fed.set()

    threading.Thread(target=feed, daemon=True).start()
    # The scan has consumed far more than a pipe buffer and stdin stays open: it is mid-scan
    # and will wait there for more input until the signal comes.
    assert fed.wait(60), "the scan never read its input"
    return proc, fed


def _finish(proc: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out.decode(), err.decode()


def _assert_previous_reports_intact(out_dir: Path) -> None:
    assert sorted(p.name for p in out_dir.iterdir()) == ["report.json", "report.sarif"]  # no .tmp left
    for name in ("report.json", "report.sarif"):
        assert (out_dir / name).read_text(encoding="utf-8") == PREVIOUS


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigint_mid_scan_exits_130_and_keeps_the_previous_report(tmp_path: Path) -> None:
    proc, _ = _start_scan(tmp_path / "out")
    proc.send_signal(signal.SIGINT)
    code, out, err = _finish(proc)
    assert code == 130
    assert err.splitlines()[-1] == "smscan: interrupted; reports not listed as written were left as they were"
    assert "Traceback" not in out + err
    _assert_previous_reports_intact(tmp_path / "out")


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigterm_mid_scan_keeps_the_previous_report(tmp_path: Path) -> None:
    proc, _ = _start_scan(tmp_path / "out")
    proc.send_signal(signal.SIGTERM)
    code, out, err = _finish(proc)
    # SIGTERM gets the same cleanup as SIGINT and exits 143 (128 + 15).
    assert code == 128 + signal.SIGTERM
    assert err.splitlines()[-1] == "smscan: interrupted; reports not listed as written were left as they were"
    assert "Traceback" not in out + err
    _assert_previous_reports_intact(tmp_path / "out")


def test_sigint_while_a_report_is_being_written_leaves_no_temporary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    records = tmp_path / "fleet.jsonl"
    records.write_bytes(b"".join(_line(i) for i in range(20)))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for name in ("report.json", "report.sarif"):
        (out_dir / name).write_text(PREVIOUS, encoding="utf-8")
    calls = []

    def interrupted_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the first report is in place; Ctrl-C during the second
            raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "fsync", interrupted_fsync)
    code, out, err = run_cli(capsys, "scan", "--input", records, "--format", "json,sarif", "--output-dir", out_dir)
    assert code == 130 and "Traceback" not in out + err
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["report.json", "report.sarif"]  # the temporary file of the second is gone
    assert json.loads((out_dir / "report.json").read_text())["summary"]["records"] == 20  # complete, new
    assert (out_dir / "report.sarif").read_text() == PREVIOUS  # untouched
