"""Benchmark 2: a large JSONL file through `smscan scan --input` in a subprocess, peak RSS."""

from __future__ import annotations

import json
import time

from bench.common import SCRATCH, header, line, smscan, timed_run
from bench.fleet import write_jsonl


def _scan(path: str, label: str, records: int) -> None:
    out = SCRATCH / "stream-report.json"
    wall, rss, done = timed_run(smscan("scan", "--input", path, "--format", "json", "-o", str(out), "--fail-on", "never", "-q"))
    if done.returncode != 0:
        line(label, f"FAILED (exit {done.returncode}): {done.stderr.strip()[:300]}")
        return
    report = json.loads(out.read_text())
    findings = len(report["findings"])
    line(label, f"{wall:6.1f} s  {records / wall:>7,.0f} records/s  peak RSS {rss:,.0f} MB")
    line("  findings kept (FAIL/ERROR) / report size", f"{findings:,} / {out.stat().st_size / 1e6:,.0f} MB")
    out.unlink()


def run(records: int, realistic: int) -> None:
    header("streaming: smscan scan --input (JSONL) in a subprocess")
    started = time.perf_counter()
    clean = write_jsonl(SCRATCH / f"fleet-{records}-remediated.jsonl", records, remediated=0.98)
    line(f"file ({records:,} records, 98% remediated)", f"{clean.stat().st_size / 1e9:.2f} GB, ready in {time.perf_counter() - started:.0f} s")
    _scan(str(clean), f"{records:,} records, 98% remediated fleet", records)
    started = time.perf_counter()
    raw = write_jsonl(SCRATCH / f"fleet-{realistic}.jsonl", realistic)
    line(f"file ({realistic:,} records, unremediated)", f"{raw.stat().st_size / 1e9:.2f} GB, ready in {time.perf_counter() - started:.0f} s")
    _scan(str(raw), f"{realistic:,} records, unremediated fleet", realistic)
    line("target", "< 500 MB peak RSS for 1,000,000 records")
