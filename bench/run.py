"""Run smscan's benchmarks: `python3 bench/run.py [custodian|throughput|memory|jobs|live|startup|evaluation|streaming|rendering|shiftleft|event|all] [--quick]`.

The first six are the six targets of docs/PERFORMANCE.md, each printed with its target.

Each benchmark prints its figures and the ratios measured in the same run; nothing here
asserts on time. `all` runs each benchmark in its own process, so every peak RSS is its
own. --quick shrinks every size about tenfold (a smoke run, a couple of minutes).
Scratch files (generated fleets, reports, the cache) go to $SMSCAN_BENCH_DIR
(default /tmp/smscan-bench); generated fleets are reused between runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NAMES = ("custodian", "throughput", "memory", "jobs", "live", "startup", "evaluation", "streaming", "rendering", "shiftleft", "event")


def machine() -> str:
    model = "unknown CPU"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU(s), {model}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def run_one(name: str, quick: bool, records: int | None) -> None:
    if name == "evaluation":
        from bench import evaluation

        evaluation.run(records or (10_000 if quick else 100_000))
    elif name == "custodian":
        from bench import custodian

        custodian.run(records or (10_000 if quick else 100_000))
    elif name == "throughput":
        from bench import targets

        targets.throughput(records or (10_000 if quick else 100_000))
    elif name == "memory":
        from bench import targets

        small = records or (10_000 if quick else 100_000)
        targets.memory(small, 3 * small, None if quick else 1_000_000)
    elif name == "jobs":
        from bench import targets

        targets.jobs(records or (10_000 if quick else 100_000))
    elif name == "streaming":
        from bench import streaming

        streaming.run(records or (100_000 if quick else 1_000_000), 10_000 if quick else 100_000)
    elif name == "live":
        from bench import live

        live.run(records or (500 if quick else 5_000))
    elif name == "rendering":
        from bench import rendering

        rendering.run(records or (5_000 if quick else 50_000))
    elif name == "startup":
        from bench import startup

        startup.run(15 if quick else 21)
    elif name == "shiftleft":
        from bench import shiftleft

        shiftleft.run(records or (100 if quick else 1_000))
    elif name == "event":
        from bench import event

        event.run(5 if quick else 11, records or (20 if quick else 200))


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "rendering-one":
        from bench.rendering import render_one

        render_one(sys.argv[2], int(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmark", nargs="?", default="all", choices=(*NAMES, "all"))
    parser.add_argument("--quick", action="store_true", help="about a tenth of every size")
    parser.add_argument("--records", type=int, help="override the benchmark's size (records, jobs or findings)")
    args = parser.parse_args()
    if not os.environ.get("SMSCAN_BENCH_CHILD"):
        print(f"machine: {machine()}", flush=True)
    if args.benchmark != "all":
        run_one(args.benchmark, args.quick, args.records)
        return 0
    status = 0
    for name in NAMES:
        argv = [sys.executable, __file__, name] + (["--quick"] if args.quick else [])
        env = {**os.environ, "SMSCAN_BENCH_CHILD": "1"}
        status |= subprocess.run(argv, stdout=sys.stdout, stderr=sys.stderr, env=env).returncode
    return status


if __name__ == "__main__":
    raise SystemExit(main())
