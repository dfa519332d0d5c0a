"""Benchmark 1: the whole built-in pack over a generated fleet, smscan's engine vs the baseline."""

from __future__ import annotations

import gc
import time

from bench.baseline_engine import BaselineEngine
from bench.common import header, line, peak_rss_mb
from bench.fleet import fleet
from smscan.engine import Engine
from smscan.models import Origin, Record, Status
from smscan.policy.fast import _detect_memo
from smscan.policy.loader import load_policies


def run(records: int) -> None:
    header(f"evaluation: {records:,} records x the built-in pack")
    policies = load_policies((), {})
    started = time.perf_counter()
    fleet_records = [Record(d, Origin("bench", i + 1)) for i, d in enumerate(fleet(records))]
    line("fleet generated in", f"{time.perf_counter() - started:.1f} s")
    line("policies", str(len(policies)))
    evaluations = records * len(policies)

    def clock(label: str, fn: object) -> float:
        _detect_memo.cache_clear()  # every run starts cold: no run profits from another's memo
        gc.collect()
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        seconds = time.perf_counter() - t
        line(label, f"{seconds:6.2f} s  {records / seconds:>9,.0f} records/s  {evaluations / seconds:>10,.0f} evaluations/s")
        return seconds

    engine = Engine(policies)
    baseline = BaselineEngine(policies)
    verdicts = clock("smscan engine, verdicts", lambda: [engine.statuses(r.data) for r in fleet_records])
    findings = [0]

    def full() -> None:
        for r in fleet_records:
            findings[0] += sum(1 for _, _, f in engine.judge(r) if f is not None)

    judged = clock("smscan engine, verdicts + FAIL/ERROR findings", full)
    base = clock("baseline (jsonpath-ng find + plain Python)", lambda: [list(baseline.evaluate(r.data)) for r in fleet_records])
    line("findings built (FAIL + ERROR)", f"{findings[0]:,}")
    line("ratio baseline / engine verdicts", f"{base / verdicts:.2f}x  (target >= 3x)")
    line("ratio baseline / engine with findings", f"{base / judged:.2f}x  (the baseline builds none)")

    # What bounds the ratio: the secret detector, which both sides call.
    plain = [p for p in policies if not p.id.startswith("no-secrets-")]
    e2, b2 = Engine(plain), BaselineEngine(plain)
    _detect_memo.cache_clear()
    gc.collect()
    t = time.perf_counter()
    for r in fleet_records:
        e2.statuses(r.data)
    tv = time.perf_counter() - t
    t = time.perf_counter()
    for r in fleet_records:
        list(b2.evaluate(r.data))
    tb = time.perf_counter() - t
    line(f"without the 3 no-secrets policies ({len(plain)})", f"engine {tv:.2f} s, baseline {tb:.2f} s: {tb / tv:.2f}x")
    line("secret policies' share of engine verdict time", f"{max(0.0, 1 - tv / verdicts):.0%}")

    # Request-file records with values known only at run time take the three-valued path
    # (AWS and inventory records never do); what it costs, on a tenth of the fleet.
    dynamic = [_with_run_time_values(r) for r in fleet_records[: max(1, records // 10)]]
    _detect_memo.cache_clear()
    gc.collect()
    t = time.perf_counter()
    unknown = sum(1 for r in dynamic for _, s, _ in engine.judge(r) if s is Status.UNKNOWN)
    td = time.perf_counter() - t
    line(f"{len(dynamic):,} records with 3 run-time values, judged", f"{td:6.2f} s  {len(dynamic) / td:>9,.0f} records/s  ({unknown:,} UNKNOWN)")
    line("peak RSS (fleet held in memory)", f"{peak_rss_mb():.0f} MB")


def _with_run_time_values(record: Record) -> Record:
    """The record as a Step Functions request with S3OutputPath.$, Subnets.$ and a dynamic tag value."""
    data = {**record.data, "output_data_config": dict(record.data["output_data_config"] or {})}
    data["output_data_config"].pop("S3OutputPath", None)
    data["vpc_config"] = {k: v for k, v in (data["vpc_config"] or {}).items() if k != "Subnets"}
    data["tags"] = {**(data["tags"] or {}), "owner": None}
    how = "set at run time (Step Functions JSONPath) at bench.asl.json:1"
    unknown = dict.fromkeys(("/output_data_config/S3OutputPath", "/vpc_config/Subnets", "/tags/owner"), how)
    return Record(data, record.origin, unknown=unknown)
