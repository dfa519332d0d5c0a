"""Compare a scan with a previous one: which failures are new, which are unchanged, which are fixed.

Findings are matched by key, never by position: the key is (policy id, job ARN). A record
without an ARN (a request file) falls back to its origin: file and JSON pointer when it has
one, so adding lines above a job does not make its findings "new".

An "open" finding is a FAIL, a WAIVED or an UNKNOWN one: a waiver accepts a failure, it does
not fix it. So a finding that was waived and now fails again (its waiver expired) is
"unchanged", and one that was failing and is now waived is not "fixed". An UNKNOWN is
compared with UNKNOWNs only: a job whose value was unknown and now FAILs is a new failure,
and one that failed and is now unknown is neither fixed nor a new failure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable
from pathlib import Path

from smscan.errors import SourceError
from smscan.findings import MemoryFindings
from smscan.models import Finding, Origin, Record, ScanResult, Status

FAILING = (Status.FAIL, Status.WAIVED)
OPEN = (*FAILING, Status.UNKNOWN)
NEW, UNCHANGED = "new", "unchanged"
ABSENT_NOTE = " [no longer present: the job was not in this scan]"
Key = tuple[str, str]


def origin_key(origin: Origin) -> str:
    return f"{origin.source}#{origin.pointer}" if origin.pointer else str(origin)


def record_key(record: Record) -> str:
    """The job part of a finding key, for a record (see `present` in apply_baseline)."""
    return record.key or origin_key(record.origin)


def finding_key(finding: Finding) -> Key:
    resource = finding.resource
    return finding.policy_id, resource.arn or origin_key(resource.origin)


def open_keys(findings: Iterable[Finding], statuses: Collection[Status] = OPEN) -> set[Key]:
    return {finding_key(f) for f in findings if f.status in statuses}


def _kind(status: Status) -> tuple[Status, ...]:
    return (Status.UNKNOWN,) if status is Status.UNKNOWN else FAILING


def apply_baseline(
    result: ScanResult, previous: ScanResult, present: Collection[str] | None = None
) -> ScanResult:
    """`result` with each open finding marked new/unchanged and `fixed` filled in.

    `fixed` holds the previous open findings whose key is no longer open. That includes jobs
    that vanished (deleted, or outside this scan's scope): with `present` (the record_key of
    every scanned record) their message says "no longer present". Without it they cannot be
    told apart, and when the scan is also incomplete a note warns that an unreadable job may
    show as fixed.
    """
    before: dict[tuple[Status, ...], set[Key]] = {
        kind: open_keys(previous.findings, kind) for kind in (FAILING, (Status.UNKNOWN,))
    }
    now = open_keys(result.findings)
    findings = MemoryFindings(
        dataclasses.replace(f, baseline=UNCHANGED if finding_key(f) in before[_kind(f.status)] else NEW)
        if f.status in OPEN
        else f
        for f in result.findings
    )
    fixed: list[Finding] = []
    seen: set[Key] = set()
    for f in previous.findings:
        key = finding_key(f)
        if f.status not in OPEN or key in now or key in seen:
            continue
        seen.add(key)
        gone = present is not None and key[1] not in present
        fixed.append(
            dataclasses.replace(
                f, baseline=None, message=f.message + (ABSENT_NOTE if gone else "")
            )
        )
    meta = result.meta
    if fixed and present is None and not result.complete:
        note = (
            "baseline: this scan is incomplete, so some findings listed as fixed may belong "
            "to jobs that could not be read"
        )
        meta = dataclasses.replace(meta, notes=(*meta.notes, note))
    return dataclasses.replace(
        result,
        meta=meta,
        findings=findings,
        fixed=tuple(sorted(fixed, key=lambda f: f.sort_key)),
    )


def load_baseline(path: Path) -> ScanResult:
    """Read a previous JSON result. Raises SourceError naming the file."""
    from smscan.codec import load

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError(f"{path}: baseline file not found (expected a JSON result of an earlier `smscan scan --format json`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SourceError(f"{path}: cannot read baseline: {why}") from None
    return load(text, str(path))
