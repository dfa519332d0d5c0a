"""Run the CLI in-process and build input files for it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from smscan.cli.main import main
from smscan.models import Record, ScanResult


def write_jsonl(path: Path, records: list[Record], extra_lines: list[str] = ()) -> Path:  # type: ignore[assignment]
    lines = [json.dumps(r.data) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scans run by the CLI from here on start and end at one time and take 1 s, so two
    reports of one input compare byte for byte."""
    from smscan.cli import scan as cli_scan

    real = cli_scan.run_scan

    def run_scan_at_a_fixed_time(*args: Any, **kwargs: Any) -> ScanResult:
        result = real(*args, clock=lambda: "2026-12-01T00:00:00Z", **kwargs)
        return dataclasses.replace(result, meta=dataclasses.replace(result.meta, duration_seconds=1.0))

    monkeypatch.setattr(cli_scan, "run_scan", run_scan_at_a_fixed_time)


def json_reports_by_jobs(capsys: pytest.CaptureFixture[str], tmp_path: Path, fleet: Path) -> dict[str, bytes]:
    """The JSON report alone of `fleet` scanned with --jobs 1 and with --jobs 2, by jobs."""
    reports = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs-{jobs}.json"
        code, _, err = run_cli(capsys, "scan", "-i", fleet, "--jobs", jobs, "-o", out, "--fail-on", "never", "-q")
        assert code == 0, err
        reports[jobs] = out.read_bytes()
    return reports
