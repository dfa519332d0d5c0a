"""Benchmarks 2-4 of docs/PERFORMANCE.md: full-pack throughput, bounded memory, --jobs.

All three scan DescribeTrainingJob-shaped JSONL (bench.custodian.write_fleet: about 3 KB a
record, SecondaryStatusTransitions and FinalMetricDataList as AWS returns them) with the
whole built-in pack and json+sarif+html, as whole processes. Each prints its target
beside its figure. `SMSCAN_BEFORE_PYTHONPATH` (a non-editable install of an older commit,
e.g. `pip install --no-deps --target DIR <checkout>`) adds the same run of that version,
so the throughput ratio is measured in the same session, not copied from a document.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from bench.common import SCRATCH, header, line, smscan, timed_run
from bench.custodian import write_fleet

FORMATS = ("--format", "json", "--format", "sarif", "--format", "html")
_CLOCKS = re.compile(r'"(?:generated_at|started_at|finished_at|duration_seconds|startTimeUtc|endTimeUtc|generatedAt)": [^,\n]*|Generated [^<]*|<dd>[^<]*</dd>|<title>[^<]*</title>')


def _scan(data: Path, out: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[float, float]:
    argv = smscan("scan", "--input", str(data), *FORMATS, "--output-dir", str(out), "--fail-on", "never", "-q", *extra)
    wall, rss, done = timed_run(argv, env=env)
    if done.returncode != 0:
        raise SystemExit(f"smscan failed (exit {done.returncode}): {done.stderr.strip()[-300:]}")
    return wall, rss


def throughput(records: int) -> None:
    header(f"2. full pack throughput: {records:,} records, all built-in policies, json+sarif+html")
    data = write_fleet(SCRATCH / f"describe-{records}.jsonl", records)
    wall, rss = _scan(data, SCRATCH / "throughput")
    line("this version", f"{wall:.1f} s, {records / wall:,.0f} records/s, peak RSS {rss:,.0f} MB")
    before = os.environ.get("SMSCAN_BEFORE_PYTHONPATH")
    if before:
        env = {**os.environ, "PYTHONPATH": before}
        old_wall, old_rss = _scan(data, SCRATCH / "throughput-before", env=env)
        line("before (SMSCAN_BEFORE_PYTHONPATH)", f"{old_wall:.1f} s, {records / old_wall:,.0f} records/s, peak RSS {old_rss:,.0f} MB")
        line("speed-up (target >= 3x)", f"{old_wall / wall:.2f}x")
    else:
        line("before", "set SMSCAN_BEFORE_PYTHONPATH to measure the ratio (target >= 3x)")


def memory(small: int, large: int, huge: int | None) -> None:
    header("3. bounded memory: unremediated fleets, all built-in policies, json+sarif+html")
    peaks = {}
    for n in (small, large) + ((huge,) if huge else ()):
        data = write_fleet(SCRATCH / f"describe-{n}.jsonl", n)
        wall, rss = _scan(data, SCRATCH / f"memory-{n}")
        sizes = ", ".join(
            f"{fmt} {(SCRATCH / f'memory-{n}' / f'report.{fmt}').stat().st_size / 1e6:,.0f} MB" for fmt in ("json", "sarif", "html")
        )
        peaks[n] = rss
        line(f"{n:,} records", f"{wall:.1f} s, {n / wall:,.0f} records/s, peak RSS {rss:,.0f} MB ({sizes})")
    line(f"peak {large:,} / {small:,} (target <= 1.3x)", f"{peaks[large] / peaks[small]:.2f}x")
    if huge:
        line(f"peak at {huge:,} (target < 1,000 MB, aim 500 MB)", f"{peaks[huge]:,.0f} MB")


def jobs(records: int) -> None:
    header(f"4. parallel: {records:,} records, all built-in policies, json+sarif+html, --jobs 1 vs 2")
    data = write_fleet(SCRATCH / f"describe-{records}.jsonl", records)
    texts = {}
    walls = {}
    for n in ("1", "2"):
        out = SCRATCH / f"jobs-{n}"
        walls[n], rss = _scan(data, out, "--jobs", n)
        line(f"--jobs {n}", f"{walls[n]:.1f} s, {records / walls[n]:,.0f} records/s, peak RSS {rss:,.0f} MB")
        texts[n] = {f: _CLOCKS.sub("", (out / f).read_text()) for f in ("report.json", "report.sarif", "report.html")}
    same = all(texts["1"][f] == texts["2"][f] for f in texts["1"])
    line("reports identical but for the clock", "yes" if same else "NO")
    line(f"speed-up on {os.cpu_count()} CPUs (ideal {os.cpu_count()}x)", f"{walls['1'] / walls['2']:.2f}x")
