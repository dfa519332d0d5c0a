"""Combine shard results (JSON reports) into one ScanResult.

Shards partition (account, region) pairs, so a job appears in one shard only. Counts
are summed over the inputs, so overlapping inputs (the same file twice, or a job found
in two shards) are refused rather than counted twice. Policies must agree (same ids and
digests): merging results of different packs would mix incomparable verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from smscan.codec import load
from smscan.errors import SourceError, UsageError
from smscan.findings import MemoryFindings
from smscan.gate.baseline import finding_key
from smscan.models import Finding, ScanMeta, ScanResult, Status


def merge_results(paths: Sequence[Path]) -> ScanResult:
    results = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
        results.append(load(text, str(path)))
    first = results[0]
    digests = {p.id: p.digest for p in first.policies}
    for path, result in zip(paths, results, strict=True):
        if {p.id: p.digest for p in result.policies} != digests:
            raise UsageError(f"{path}: was scanned with a different policy pack than {paths[0]}")
    if len(set(map(Path.resolve, paths))) != len(paths):
        raise UsageError("the same result is given twice; merge each shard once")
    seen: set[tuple[str, str]] = set()
    findings: list[Finding] = []
    for path, result in zip(paths, results, strict=True):
        for f in result.findings:
            key = finding_key(f)
            if key in seen:
                # Counts are sums over shards: overlapping shards would count jobs twice.
                raise UsageError(f"{path}: job {key[1]} was scanned in another input too; merge disjoint shards only")
            seen.add(key)
            findings.append(f)
    counts = {p.id: {s: sum(r.counts.get(p.id, {}).get(s, 0) for r in results) for s in Status} for p in first.policies}
    api_calls: dict[str, int] = {}
    for r in results:
        for op, n in r.meta.api_calls.items():
            api_calls[op] = api_calls.get(op, 0) + n
    notes = [n for r in results for n in r.meta.notes]
    meta = ScanMeta(
        tool_version=first.meta.tool_version,
        started_at=min(r.meta.started_at for r in results),
        finished_at=max(r.meta.finished_at for r in results),
        inputs=tuple(i for r in results for i in r.meta.inputs),
        scope={"merged_from": [str(p) for p in paths], "shards": [dict(r.meta.scope) for r in results]},
        params=first.meta.params,
        fail_on=first.meta.fail_on,
        duration_seconds=round(sum(r.meta.duration_seconds for r in results), 3),
        records_scanned=sum(r.meta.records_scanned for r in results),
        api_calls=api_calls,
        notes=tuple(notes),
    )
    return ScanResult(
        meta=meta,
        policies=first.policies,
        findings=MemoryFindings(findings),
        counts=counts,
        errors=tuple(e for r in results for e in r.errors),
    )
