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


def tree_pss_mb(root: int) -> float:
    """The proportional set size of `root` and its descendants (shared pages split among
    the processes sharing them, so a forked worker's inherited pages are not counted twice)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    stat = handle.read()
            except OSError:
                continue
            parents[int(entry)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree and pid not in tree}
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                total += sum(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
        except OSError:
            continue  # gone meanwhile
    return total / 1024


def timed_tree_run(argv: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, float, float, int]:
    """Run argv; return (wall seconds, the largest single process's peak RSS in MB, the
    peak PSS of the whole process tree in MB sampled 4 times a second, the exit code).
    The largest process alone understates a --jobs scan, whose workers hold memory too."""
    process = subprocess.Popen(
        [sys.executable, "-c", _RSS_WRAPPER, *argv], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    started = time.perf_counter()
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, tree_pss_mb(process.pid))
        time.sleep(0.25)
    wall = time.perf_counter() - started
    err = process.stderr.read() if process.stderr else ""
    last = err.rstrip("\n").split("\n")[-1]
    return wall, int(last) / 1024 if last.isdigit() else float("nan"), peak, process.returncode


_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def installed_env() -> dict[str, str]:
    """The environment of an installed smscan: its bytecode cached, as pip compiles it at
    install (here in a scratch PYTHONPYCACHEPREFIX, so the checkout stays clean). The
    anchors run as installed too; this environment may set PYTHONDONTWRITEBYTECODE, which
    would compile every module from source on every run."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(SCRATCH / "pycache")
    return env


def smscan(*args: str) -> list[str]:
    return [sys.executable, "-m", "smscan", *args]
