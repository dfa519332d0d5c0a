"""Benchmark 5: start-up time of `smscan --version`, `smscan policy validate` and a one-record scan.

The one-record scan is the fixed cost every `smscan scan` pays before its first record:
interpreter, imports, the built-in pack, the JSON report. The three commands are run in
turn, round after round, so a burst of load on the shared machine hits all of them alike.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from bench.common import ROOT, SCRATCH, header, line, smscan
from bench.fleet import write_jsonl

TARGET = 0.3  # seconds, issue 14 target 6


def _seconds(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: the one record has FAILs, which is what a scan reports
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return seconds


def _heaviest_imports(argv: list[str], top: int = 5) -> list[tuple[int, str]]:
    done = subprocess.run([sys.executable, "-X", "importtime", *argv[1:]], cwd=ROOT, capture_output=True, text=True)
    rows = []
    for text in done.stderr.splitlines():
        parts = text.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            rows.append((int(parts[1]), parts[2].strip()))  # top-level imports, cumulative microseconds
    return sorted(rows, reverse=True)[:top]


def commands() -> dict[str, list[str]]:
    """The commands timed, by label; the scan reads one generated DescribeTrainingJob record."""
    one = write_jsonl(SCRATCH / "startup-one.jsonl", 1)
    report = SCRATCH / "startup-one.json"
    return {
        "smscan --version": smscan("--version"),
        "smscan policy validate (built-in pack)": smscan("policy", "validate"),
        "smscan scan, 1 record, full pack, json": smscan(
            "scan", "--input", str(one), "--format", "json", "-o", str(report), "--quiet"
        ),
    }


def run(runs: int) -> None:
    runs = max(runs, 15)  # the machine is shared: a median needs many samples
    header(f"start-up: median of {runs} runs, commands interleaved")
    timed = {"python3 -c pass (the interpreter alone)": [sys.executable, "-c", "pass"], **commands()}
    for argv in timed.values():
        _seconds(argv)  # warm the page cache (and __pycache__) once, untimed
    samples: dict[str, list[float]] = {label: [] for label in timed}
    for _ in range(runs):
        for label, argv in timed.items():
            samples[label].append(_seconds(argv))
    bare = statistics.median(samples.pop("python3 -c pass (the interpreter alone)"))
    line("python3 -c pass (the interpreter alone)", f"{bare:.3f} s")
    for label, seconds in samples.items():
        median = statistics.median(seconds)
        met = "met" if median < TARGET else "MISSED"
        line(
            label,
            f"{median:.3f} s  (target < {TARGET} s: {met}; min {min(seconds):.3f} s, "
            f"{median / bare:.1f}x the bare interpreter)",
        )
    for label, argv in commands().items():
        shown = ", ".join(f"{name} {us / 1000:.0f} ms" for us, name in _heaviest_imports(argv))
        line(f"  heaviest imports of {label.split(' (')[0].split(',')[0]}", shown)
