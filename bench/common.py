"""Shared helpers: timing, peak RSS, the built-in pack, the scratch directory."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = Path(os.environ.get("SMSCAN_BENCH_DIR", "/tmp/smscan-bench"))


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(who).ru_maxrss / 1024


def line(label: str, value: str) -> None:
    print(f"  {label:<44} {value}", flush=True)


def header(title: str) -> None:
    print(f"\n== {title}", flush=True)


def timed_run(argv: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run argv; return (wall seconds, the child's peak RSS in MB, the result).

    Each call measures its own child: it runs under a tiny wrapper process so that
    RUSAGE_CHILDREN (a maximum over every child ever waited for) is not polluted by
    earlier runs."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:])\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(done.returncode)\n"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *argv], cwd=ROOT, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    *rest, last = done.stderr.rstrip("\n").split("\n")
    done.stderr = "\n".join(rest)
    return wall, int(last) / 1024, done


def smscan(*args: str) -> list[str]:
    return [sys.executable, "-m", "smscan", *args]
