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
import statistics
import subprocess
import sys
from pathlib import Path

from bench.common import SCRATCH, header, line, smscan, timed_run, timed_tree_run
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
        out = SCRATCH / f"memory-{n}"
        argv = smscan("scan", "--input", str(data), *FORMATS, "--output-dir", str(out), "--fail-on", "never", "-q")
        wall, rss, tree, code = timed_tree_run(argv)
        if code != 0:
            raise SystemExit(f"smscan failed (exit {code})")
        sizes = ", ".join(
            f"{fmt} {(out / f'report.{fmt}').stat().st_size / 1e6:,.0f} MB" for fmt in ("json", "sarif", "html")
        )
        # The larger of the two: the tree's PSS is sampled, the largest process's RSS is exact.
        peaks[n] = max(rss, tree)
        line(f"{n:,} records", f"{wall:.1f} s, {n / wall:,.0f} records/s, peak RSS of the largest process "
             f"{rss:,.0f} MB, peak PSS of all its processes {tree:,.0f} MB ({sizes})")
    line(f"peak {large:,} / {small:,} (target <= 1.3x)", f"{peaks[large] / peaks[small]:.2f}x")
    if huge:
        line(f"peak at {huge:,} (target < 1,000 MB, aim 500 MB)", f"{peaks[huge]:,.0f} MB")


# The scan alone (read, normalize, judge, merge; no report), timed inside one process:
# prints its wall seconds, its own CPU seconds and its workers' (0 for --jobs 1).
_SCAN_ONLY = """
import resource, sys, time
from smscan.policy.loader import load_policies
from smscan.scan import ScanSettings, run_scan
from smscan.sources.files import FileOptions, FileSource
from smscan.gate.waivers import WaiverSet
policies = load_policies()
started, cpu = time.perf_counter(), time.process_time()
run_scan([FileSource(FileOptions((sys.argv[1],)))], policies, ScanSettings(fail_on="never", jobs=int(sys.argv[2])),
         waivers=WaiverSet.empty(), present=set())
workers = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.perf_counter() - started, time.process_time() - cpu, workers.ru_utime + workers.ru_stime)
"""


def jobs(records: int, rounds: int = 3) -> None:
    """--jobs 1 against --jobs 2 on one file: medians of `rounds` alternating runs of each.

    Alternating, because the machine's load changes from minute to minute; the parallel
    path runs with waivers and the record-key set on, as every CLI scan has them. Besides
    wall seconds it prints CPU seconds, and from them what an idle machine would give:
    with the kernel's autogroup scheduling, the processes of one session share one CPU
    share, so while other sessions keep every core busy no number of workers runs faster.
    """
    header(f"4. parallel: {records:,} records, all built-in policies, json+sarif+html, --jobs 1 vs 2")
    data = write_fleet(SCRATCH / f"describe-{records}.jsonl", records)
    texts: dict[str, dict[str, str]] = {}
    walls: dict[str, list[float]] = {"1": [], "2": []}
    peaks: dict[str, list[float]] = {"1": [], "2": []}
    scans: dict[str, list[tuple[float, float, float]]] = {"1": [], "2": []}
    for _ in range(rounds):
        for n in ("1", "2"):
            out = SCRATCH / f"jobs-{n}"
            wall, rss = _scan(data, out, "--jobs", n)
            walls[n].append(wall)
            peaks[n].append(rss)
            texts[n] = {f: _CLOCKS.sub("", (out / f).read_text()) for f in ("report.json", "report.sarif", "report.html")}
            done = subprocess.run([sys.executable, "-c", _SCAN_ONLY, str(data), n], capture_output=True, text=True, check=True)
            wall_s, parent_s, workers_s = (float(x) for x in done.stdout.split())
            scans[n].append((wall_s, parent_s, workers_s))
    med = {n: [statistics.median(run[i] for run in scans[n]) for i in range(3)] for n in scans}
    for n in ("1", "2"):
        wall = statistics.median(walls[n])
        scan_wall, parent_cpu, workers_cpu = med[n]
        cpu = f"CPU {parent_cpu:.1f} s" + (f" + workers {workers_cpu:.1f} s" if workers_cpu else "")
        line(f"--jobs {n} (median of {rounds})", f"whole {wall:.1f} s ({records / wall:,.0f} records/s, peak RSS "
             f"{max(peaks[n]):,.0f} MB); scan alone {scan_wall:.1f} s, {cpu}")
    same = all(texts["1"][f] == texts["2"][f] for f in texts["1"])
    line("reports identical but for the clock", "yes" if same else "NO")
    cpus = os.cpu_count() or 1
    whole = statistics.median(walls["1"]) / statistics.median(walls["2"])
    line(f"speed-up, whole process (ideal {cpus}x), measured", f"{whole:.2f}x")
    line("speed-up, scan alone (reports: one process), measured", f"{med['1'][0] / med['2'][0]:.2f}x")
    # On an idle machine the parallel scan takes as long as its busiest process, or as the
    # CPU seconds of all of them shared by the CPUs, whichever is longer.
    parent_cpu, workers_cpu = med["2"][1], med["2"][2]
    idle_scan = max(parent_cpu, workers_cpu / 2, (parent_cpu + workers_cpu) / min(cpus, 3))
    line("speed-up, scan alone, idle machine (from CPU s)", f"{med['1'][1] / idle_scan:.2f}x")
    load = os.getloadavg()
    line("load average (1, 5, 15 min) at the end", ", ".join(f"{x:.1f}" for x in load))
    if load[0] > cpus and _autogroup():
        line("note", "autogroup scheduling is on and the CPUs are busy: wall speed-ups cannot show")


def _autogroup() -> bool:
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return False
