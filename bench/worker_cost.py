"""One `--jobs` worker's whole path, in this process, for an instruction count.

    python3 bench/worker_cost.py N [five|all]

reads the first N records of the target-1 fleet (bench.custodian's file, written if
missing) the way a worker does (smscan.parallel._Work: read, normalize, judge, TextRows or
the plain path, runs written at the worker's budget) in chunks of 1,000 records. Timings on
a shared machine move by half; instructions do not, so the figures of docs/PERFORMANCE.md
come from running this under cachegrind with two sizes and dividing the difference of the
totals by the difference of N (start-up and compiling cancel out):

    for n in 3000 9000; do PYTHONHASHSEED=0 valgrind --tool=cachegrind --cache-sim=no \\
        --cachegrind-out-file=/dev/null python3 bench/worker_cost.py $n five; done

`five` is target 1's checks with a JSON-only writer (texts, no flats: TextRows); `all` is the
whole pack with the writer json+sarif+html scans have. Valgrind's memchr and memcpy are
byte loops, so code that leans on those (bytes.find, large copies) counts more
instructions than it costs in time.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import SCRATCH  # noqa: E402 - after the path it needs
from bench.custodian import CHECKS, write_fleet  # noqa: E402
from smscan.chunks import Chunk  # noqa: E402
from smscan.engine import Engine, fields_needed  # noqa: E402
from smscan.findings_runs import RunFindings  # noqa: E402
from smscan.gate.waivers import WaiverSet  # noqa: E402
from smscan.parallel import Flush, _Work  # noqa: E402
from smscan.policy.loader import load_policies  # noqa: E402
from smscan.record.normalize import NormalizeStats  # noqa: E402
from smscan.sources.json_records import JsonRecords  # noqa: E402

_CHUNK = 1000  # records a chunk
_BUDGET = 25_000  # findings a worker holds before it writes a run, as with two workers


def main(records: int, which: str) -> None:
    fleet = write_fleet(SCRATCH / "describe-100000.jsonl", 100_000)
    policies = load_policies((), {})
    if which == "five":
        policies = [p for p in policies if p.id in CHECKS]
    engine = Engine(policies)
    reader = JsonRecords(64 * 1024 * 1024, 200, NormalizeStats(), fields_needed(policies))
    store = RunFindings.for_workers(1, budget=_BUDGET, texts=True, flats=which != "five")
    work = _Work(engine, reader, WaiverSet.empty(date(2026, 12, 1)), False, store, _BUDGET)
    work.start(0)
    ends, pos = [], 0
    with open(fleet, "rb") as handle:
        for _ in range(records):
            pos += len(handle.readline())
            ends.append(pos)
    judged = 0
    for first in range(0, records, _CHUNK):
        start = ends[first - 1] if first else 0
        end = ends[min(first + _CHUNK, records) - 1]
        judged += work.task(Chunk(str(fleet), start, end, first + 1, group=first // _CHUNK)).records
    work.task(Flush())
    print(f"{judged:,} records judged ({which})", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[2:3] not in ([], ["five"], ["all"]):
        raise SystemExit("usage: python3 bench/worker_cost.py N [five|all]")
    main(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "five")
