"""Benchmark 5: start-up time of `smscan --version` and `smscan policy validate`."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from bench.common import ROOT, header, line, smscan


def _median(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _heaviest_imports(argv: list[str], top: int = 5) -> list[tuple[int, str]]:
    done = subprocess.run([sys.executable, "-X", "importtime", *argv[1:]], cwd=ROOT, capture_output=True, text=True)
    rows = []
    for text in done.stderr.splitlines():
        parts = text.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            rows.append((int(parts[1]), parts[2].strip()))  # top-level imports, cumulative microseconds
    return sorted(rows, reverse=True)[:top]


def run(runs: int) -> None:
    header(f"start-up: median of {runs} runs")
    bare = _median([sys.executable, "-c", "pass"], runs)
    line("python3 -c pass (the interpreter alone)", f"{bare:.3f} s")
    for label, argv in (
        ("smscan --version", smscan("--version")),
        ("smscan policy validate (built-in pack)", smscan("policy", "validate")),
    ):
        seconds = _median(argv, runs)
        line(label, f"{seconds:.3f} s  ({seconds / bare:.1f}x the bare interpreter; target < 0.3 s)")
        shown = ", ".join(f"{name} {us / 1000:.0f} ms" for us, name in _heaviest_imports(argv))
        line("  heaviest top-level imports", shown)
