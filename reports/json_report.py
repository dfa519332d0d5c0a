"""The JSON report: the versioned, lossless form of a ScanResult.

It is the source of truth the other tools read back: `smscan merge` combines shard
results from it, `--baseline` compares against it. So `load()` is the exact
inverse of `to_document()`, and reports/schemas/scan-result.schema.json describes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from smscan.errors import SourceError
from smscan.models import (
    Evidence,
    Finding,
    Location,
    Origin,
    PolicyInfo,
    Problem,
    Resource,
    ScanMeta,
    ScanResult,
    Severity,
    Status,
    Waiver,
)
from smscan.reports import RenderOptions

SCHEMA_VERSION = "1.0"


def render(result: ScanResult, options: RenderOptions) -> str:
    # Byte for byte what json.dumps(to_document(...), indent=2, sort_keys=True) gives, but
    # each finding is encoded on its own and spliced in at its depth (2): the dicts of
    # every finding never exist at once, which cuts the peak memory of a large report.
    doc = to_document(result, options, with_findings=False)
    encode = json.JSONEncoder(indent=2, sort_keys=True, default=str, allow_nan=False).encode
    lists = [(n, fs) for n, fs in (("findings", result.findings), ("fixed", result.fixed)) if fs]
    for name, _ in lists:
        doc[name] = _SPLICE
    pieces = encode(doc).split(_SPLICE_JSON)
    if len(pieces) != len(lists) + 1:  # the marker also occurs in scanned text: no splicing
        return json.dumps(to_document(result, options), indent=2, sort_keys=True, default=str, allow_nan=False) + "\n"
    out = [pieces[0]]
    for (_, findings), rest in zip(lists, pieces[1:], strict=True):
        separator = "[\n    "
        for f in findings:
            out.append(separator)
            out.append(encode(_finding(f)).replace("\n", "\n    "))
            separator = ",\n    "
        out.append("\n  ]")
        out.append(rest)
    out.append("\n")
    return "".join(out)


_SPLICE = "\x00smscan-splice\x00"
_SPLICE_JSON = json.dumps(_SPLICE)


def to_document(
    result: ScanResult, options: RenderOptions | None = None, *, with_findings: bool = True
) -> dict[str, Any]:
    meta = result.meta
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "smscan", "version": meta.tool_version},
        "generated_at": options.generated_at if options else meta.finished_at,
        "scan": {
            "started_at": meta.started_at,
            "finished_at": meta.finished_at,
            "duration_seconds": meta.duration_seconds,
            "inputs": list(meta.inputs),
            "scope": dict(meta.scope),
            "params": {k: dict(v) for k, v in meta.params.items()},
            "fail_on": meta.fail_on,
            "records_scanned": meta.records_scanned,
            "api_calls": dict(meta.api_calls),
            "notes": list(meta.notes),
            "complete": result.complete,
        },
        "summary": _summary(result),
        "policies": [_policy(p, result.counts.get(p.id, {})) for p in result.policies],
        "findings": [_finding(f) for f in result.findings] if with_findings else [],
        "fixed": [_finding(f) for f in result.fixed] if with_findings else [],
        "errors": [asdict(p) for p in result.errors],
        "history": [dict(h) for h in result.history],
    }


def _summary(result: ScanResult) -> dict[str, Any]:
    failing: dict[str, int] = {s.value: 0 for s in Severity}
    for f in result.findings:
        if f.status is Status.FAIL:
            failing[f.severity.value] += 1
    score = result.compliance_score
    return {
        "records": result.meta.records_scanned,
        "by_status": {s.value: result.total(s) for s in Status},
        "failures_by_severity": failing,
        "compliance_score": None if score is None else round(score, 4),
        "errors": len(result.errors),
    }


def _policy(info: PolicyInfo, counts: Mapping[Status, int]) -> dict[str, Any]:
    doc = asdict(info)
    doc["severity"] = info.severity.value
    doc["references"] = list(info.references)
    doc["frameworks"] = {k: list(v) for k, v in info.frameworks.items()}
    doc["counts"] = {s.value: counts.get(s, 0) for s in Status}
    return doc


def _finding(f: Finding) -> dict[str, Any]:
    r = f.resource
    return {
        "policy_id": f.policy_id,
        "severity": f.severity.value,
        "status": f.status.value,
        "message": f.message,
        "resource": {
            "arn": r.arn,
            "name": r.name,
            "account_id": r.account_id,
            "region": r.region,
            "status": r.status,
            "origin": asdict(r.origin),
        },
        "evidence": [
            {**asdict(e), "actual": list(e.actual)} for e in f.evidence
        ],
        "location": asdict(f.location) if f.location else None,
        "waiver": asdict(f.waiver) if f.waiver else None,
        "baseline": f.baseline,
    }


# --- reading a JSON report back -----------------------------------------------------


def load(text: str, source: str = "<json>") -> ScanResult:
    """Parse a JSON report written by `render`. Raises SourceError naming the source."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{source}:{exc.lineno}: not a JSON report ({exc.msg})") from None
    if not isinstance(doc, dict) or doc.get("schema_version", "").split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise SourceError(f"{source}: not an smscan JSON report (schema_version {SCHEMA_VERSION} expected)")
    try:
        return _from_document(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceError(f"{source}: malformed smscan JSON report ({type(exc).__name__}: {exc})") from None


def _from_document(doc: dict[str, Any]) -> ScanResult:
    scan = doc["scan"]
    meta = ScanMeta(
        tool_version=doc["tool"]["version"],
        started_at=scan["started_at"],
        finished_at=scan["finished_at"],
        inputs=tuple(scan["inputs"]),
        scope=scan.get("scope", {}),
        params=scan.get("params", {}),
        fail_on=scan.get("fail_on", "high"),
        duration_seconds=scan.get("duration_seconds", 0.0),
        records_scanned=scan.get("records_scanned", 0),
        api_calls=scan.get("api_calls", {}),
        notes=tuple(scan.get("notes", ())),
    )
    policies, counts = [], {}
    for p in doc["policies"]:
        counts[p["id"]] = {s: p["counts"].get(s.value, 0) for s in Status}
        fields = {k: v for k, v in p.items() if k != "counts"}
        fields["severity"] = Severity(p["severity"])
        fields["references"] = tuple(p.get("references", ()))
        fields["frameworks"] = {k: tuple(v) for k, v in p.get("frameworks", {}).items()}
        policies.append(PolicyInfo(**fields))
    return ScanResult(
        meta=meta,
        policies=tuple(policies),
        findings=tuple(_load_finding(f) for f in doc["findings"]),
        counts=counts,
        errors=tuple(Problem(**e) for e in doc.get("errors", ())),
        fixed=tuple(_load_finding(f) for f in doc.get("fixed", ())),
        history=tuple(doc.get("history", ())),
    )


def _load_finding(f: dict[str, Any]) -> Finding:
    r = f["resource"]
    return Finding(
        policy_id=f["policy_id"],
        severity=Severity(f["severity"]),
        status=Status(f["status"]),
        resource=Resource(
            arn=r["arn"],
            name=r["name"],
            account_id=r["account_id"],
            region=r["region"],
            status=r.get("status"),
            origin=Origin(**r["origin"]),
        ),
        message=f["message"],
        evidence=tuple(Evidence(**{**e, "actual": tuple(e["actual"])}) for e in f.get("evidence", ())),
        location=Location(**f["location"]) if f.get("location") else None,
        waiver=Waiver(**f["waiver"]) if f.get("waiver") else None,
        baseline=f.get("baseline"),
    )
