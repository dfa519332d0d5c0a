"""Run sources through the engine and gather a ScanResult.

Memory stays bounded by what will be reported: PASS and NOT_APPLICABLE results
are only counted (unless listing them was asked for), so a million-record scan
keeps its failures, not its passes. Findings go to a FindingStore, which sorts them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smscan import __version__
from smscan.engine import Engine
from smscan.findings import FindingStore, MemoryFindings
from smscan.findings_disk import DEFAULT_BUDGET, SpillingFindings
from smscan.gate.baseline import record_key
from smscan.gate.waivers import WaiverSet
from smscan.models import Finding, Problem, Record, ScanMeta, ScanResult, Status
from smscan.policy.model import Policy
from smscan.sources.files import FileSource
from smscan.sources.interface import Source

if TYPE_CHECKING:
    from smscan.chunks import Plan


@dataclass
class Tally:
    counts: dict[str, dict[Status, int]]
    findings: FindingStore = field(default_factory=MemoryFindings)
    errors: list[Problem] = field(default_factory=list)
    records: int = 0

    @classmethod
    def for_policies(cls, policies: Iterable[Policy], findings_in_memory: int | None = None) -> Tally:
        counts = {p.id: {s: 0 for s in Status} for p in policies}
        if findings_in_memory is None:
            return cls(counts=counts)
        return cls(counts=counts, findings=SpillingFindings(budget=findings_in_memory))


WAIVABLE = (Status.FAIL, Status.UNKNOWN)


@dataclass(frozen=True)
class ScanSettings:
    include_passed: bool = False
    fail_on: str = "high"
    findings_in_memory: int = DEFAULT_BUDGET  # past this many, findings go to SQLite on disk
    jobs: int = 1  # processes judging JSON Lines files (smscan.parallel)
    json_texts: bool = True  # a JSON report will be written: --jobs workers encode each finding's text
    # Something besides the JSON report reads every finding (other reports, sinks, baseline,
    # history): --jobs workers keep each finding's flat tuple too, instead of decoding the text.
    findings_read: bool = True


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def evaluate_items(
    items: Iterable[Record | Problem],
    engine: Engine,
    tally: Tally,
    *,
    waivers: WaiverSet | None = None,
    present: set[str] | None = None,
    on_record: Callable[[int], None] | None = None,
) -> None:
    counts = tally.counts
    for item in items:
        if isinstance(item, Problem):
            tally.errors.append(item)
            continue
        tally.records += 1
        if present is not None:
            present.add(record_key(item))
        for policy, status, finding in engine.judge(item):
            if finding is None:
                counts[policy.id][status] += 1
                continue
            if status in WAIVABLE and waivers is not None:
                finding = waive(waivers, policy.id, item, finding)
                status = finding.status
            counts[policy.id][status] += 1
            tally.findings.add(finding)
        if on_record is not None:
            on_record(tally.records)


def waive(waivers: WaiverSet, policy_id: str, record: Record, finding: Finding) -> Finding:
    """`finding` (a FAIL or UNKNOWN) as WAIVED if a waiver matches, else unchanged.

    A FAIL or an UNKNOWN can be waived, never an ERROR (what could not be judged must be
    seen); the waived finding stays in every report.
    """
    waiver = waivers.match(policy_id, record)
    if waiver is None:
        return finding
    return dataclasses.replace(finding, status=Status.WAIVED, waiver=waiver)


def run_scan(
    sources: Sequence[Source],
    policies: Sequence[Policy],
    settings: ScanSettings,
    *,
    clock: Callable[[], str] = utc_now,
    waivers: WaiverSet | None = None,
    present: set[str] | None = None,
    on_record: Callable[[int], None] | None = None,
) -> ScanResult:
    started_at, started = clock(), time.monotonic()
    engine = Engine(policies, explain_passed=settings.include_passed)
    plans = [_parallel_plan(source, settings.jobs) for source in sources]
    tally = Tally.for_policies(policies, settings.findings_in_memory)
    if any(plans):
        # The workers keep their findings in runs on disk; the parent's own adds join them.
        from smscan.findings_runs import RunFindings

        tally.findings = RunFindings.for_workers(
            settings.jobs, budget=settings.findings_in_memory, texts=settings.json_texts, flats=settings.findings_read
        )
    for source, planned in zip(sources, plans, strict=True):
        if planned:
            from smscan.parallel import Shared, evaluate

            assert isinstance(source, FileSource)
            shared = Shared(waivers, present, on_record, budget=settings.findings_in_memory)
            evaluate(source, planned, engine, tally, settings.jobs, shared)
            continue
        evaluate_items(source.items(), engine, tally, waivers=waivers, present=present, on_record=on_record)
    scope: dict[str, Any] = {}
    api_calls: dict[str, int] = {}
    notes: list[str] = []
    for source in sources:
        report = source.report()
        scope.update(report.scope)
        for op, n in report.api_calls.items():
            api_calls[op] = api_calls.get(op, 0) + n
        notes.extend(str(note) for note in report.notes)
    if waivers is not None:
        waived = waivers.report()
        notes.extend(waived.expired + waived.stale + waived.tag_notes)
    meta = ScanMeta(
        tool_version=__version__,
        started_at=started_at,
        finished_at=clock(),
        inputs=tuple(s.describe() for s in sources),
        scope=scope,
        params={p.id: dict(p.info.params) for p in policies if p.info.params},
        fail_on=settings.fail_on,
        duration_seconds=round(time.monotonic() - started, 3),
        records_scanned=tally.records,
        api_calls=api_calls,
        notes=tuple(notes),
    )
    return build_result(meta, policies, tally)


def _parallel_plan(source: Source, jobs: int) -> Plan | None:
    # Exactly a FileSource: a subclass (the event source) reads its files its own way.
    if jobs < 2 or type(source) is not FileSource:
        return None
    from smscan.chunks import plan

    return plan(source, jobs)


def build_result(meta: ScanMeta, policies: Sequence[Policy], tally: Tally) -> ScanResult:
    return ScanResult(
        meta=meta,
        policies=tuple(p.info for p in policies),
        findings=tally.findings,
        counts=tally.counts,
        errors=tuple(tally.errors),
    )
