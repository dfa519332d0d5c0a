"""Target 6: start-up time of `smscan --version`, `smscan policy validate` and a one-record scan.

The one-record scan is the fixed cost every `smscan scan` pays before its first record:
interpreter, imports, the built-in pack, the JSON report. The three commands are run in
turn, round after round, so a burst of load on the shared machine hits all of them alike.

Timed as an installed smscan runs: with bytecode cached (pip compiles it at install; here
it goes to a scratch PYTHONPYCACHEPREFIX so the checkout stays clean), which is also where
the built-in pack's parse cache lives (smscan.policy.pack_cache). When this environment
sets PYTHONDONTWRITEBYTECODE (every module compiled from source on every run, and no
pack cache), the same commands are timed that way too.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping

from bench.common import ROOT, SCRATCH, header, installed_env, line, smscan
from bench.fleet import write_jsonl

TARGET = 0.3  # seconds, issue 14 target 6


def _seconds(argv: list[str], env: Mapping[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child): CPU time is what the load on the machine inflates least."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode not in (0, 1):  # 1: the one record has FAILs, which is what a scan reports
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return seconds, cpu


def _heaviest_imports(argv: list[str], env: Mapping[str, str], top: int = 5) -> list[tuple[int, str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv[1:]], cwd=ROOT, env=env, capture_output=True, text=True
    )
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


def environments() -> dict[str, dict[str, str]]:
    found = {"bytecode cached, as installed": installed_env()}
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        found["PYTHONDONTWRITEBYTECODE=1, as this environment runs"] = dict(os.environ)
    return found


def _timed(label: str, env: dict[str, str], runs: int) -> None:
    header(f"start-up, {label}: median of {runs} runs, commands interleaved")
    bare_label = "python3 -c pass (the interpreter alone)"
    timed = {bare_label: [sys.executable, "-c", "pass"], **commands()}
    for argv in timed.values():
        _seconds(argv, env)  # the first run writes bytecode and the pack cache, when it may
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in timed}
    for _ in range(runs):
        for name, argv in timed.items():
            samples[name].append(_seconds(argv, env))
    bare = samples.pop(bare_label)
    bare_wall = statistics.median(w for w, _ in bare)
    line(bare_label, f"{bare_wall:.3f} s (CPU {statistics.median(c for _, c in bare):.3f} s)")
    for name, pairs in samples.items():
        wall = statistics.median(w for w, _ in pairs)
        # Target 6 is --version's and policy validate's; a scan's start-up is shown beside them.
        met = "met" if wall < TARGET else "MISSED"
        target = f"target < {TARGET} s: {met}; " if not name.startswith("smscan scan") else "not a target; "
        line(
            name,
            f"{wall:.3f} s  ({target}min {min(w for w, _ in pairs):.3f} s, "
            f"CPU {statistics.median(c for _, c in pairs):.3f} s, {wall / bare_wall:.1f}x the bare interpreter)",
        )


def run(runs: int) -> None:
    runs = max(runs, 15)  # the machine is shared: a median needs many samples
    found = environments()
    for label, env in found.items():
        _timed(label, env, runs)
    installed = found["bytecode cached, as installed"]
    for name, argv in commands().items():
        shown = ", ".join(f"{module} {us / 1000:.0f} ms" for us, module in _heaviest_imports(argv, installed))
        line(f"  heaviest imports, {name.split(' (')[0].split(',')[0]}", shown)
