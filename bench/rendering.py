"""Benchmark 4: rendering a ScanResult of N findings to each format, seconds and peak RSS.

Each format renders in its own subprocess (`run.py rendering-one FMT N`), so each peak
RSS is that format's own: the result is built the same way in each, then rendered."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

from bench.common import ROOT, header, line, peak_rss_mb, timed_run
from bench.fleet import fleet
from smscan.models import Origin, Record, ScanResult
from smscan.policy.loader import load_policies
from smscan.scan import ScanSettings, run_scan
from smscan.sources.interface import Source


class _Fleet(Source):
    def __init__(self, findings: int) -> None:
        self.findings = findings

    def describe(self) -> str:
        return "generated fleet"

    def items(self) -> Iterator[Record]:
        for i, data in enumerate(fleet(self.findings)):  # ~2.8 findings a record: enough
            yield Record(data, Origin("bench", i + 1))


def build(findings: int) -> ScanResult:
    policies = load_policies((), {})
    result = run_scan([_Fleet(findings)], policies, ScanSettings(), clock=lambda: "2026-11-24T00:00:00Z")
    # Keep exactly N findings (and the records they came from): the report stays self-consistent
    # enough for every renderer, and N is the figure the benchmark reports.
    from dataclasses import replace
    from itertools import islice

    from smscan.findings import MemoryFindings

    return replace(result, findings=MemoryFindings(islice(result.findings, findings)))


def render_one(fmt: str, findings: int) -> None:
    import io

    from smscan.gate.verdict import GateOptions, decide
    from smscan.reports import RenderOptions, renderer

    result = build(findings)
    verdict = decide(result, GateOptions())
    before = peak_rss_mb()
    render = renderer(fmt)
    out = io.StringIO()
    t = time.perf_counter()
    render(result, verdict, RenderOptions(generated_at="2026-11-24T00:00:00Z", sarif_root=ROOT), out)
    seconds = time.perf_counter() - t
    text = out.getvalue()
    print(f"{seconds:.2f} {before:.0f} {peak_rss_mb():.0f} {len(text.encode())}")


def run(findings: int, formats: tuple[str, ...] = ("json", "sarif", "html")) -> None:
    header(f"rendering: {findings:,} findings")
    for fmt in formats:
        _, _, done = timed_run([sys.executable, str(Path(__file__).with_name("run.py")), "rendering-one", fmt, str(findings)])
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["?"])[-1]
            line(fmt, f"not measured: {reason[:200]}")
            continue
        seconds, before, after, size = done.stdout.split()[-4:]
        line(fmt, f"{float(seconds):6.2f} s  peak RSS {after} MB (result alone {before} MB)  output {int(size) / 1e6:,.1f} MB")
