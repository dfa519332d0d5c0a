"""The ScanResult JSON codec: the versioned, lossless document and its exact inverse.

The JSON report is this document (reports/schemas/scan-result.schema.json describes
it), and the core reads it back: `smscan merge` combines shard results, `--baseline`
compares against one. So `load()` is the exact inverse of `write()`, and neither the
gate nor merge needs a renderer. The verdict is written for readers; `load()` ignores
it, because a loaded result is judged again under the options of the run that reads it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any, TextIO

import orjson

from smscan.errors import SourceError
from smscan.findings import MemoryFindings
from smscan.gate.score import total_score
from smscan.gate.verdict import Verdict
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

if TYPE_CHECKING:
    from smscan.findings_runs import RunFindings

SCHEMA_VERSION = "1.0"

# The header comes first, the findings last: a reader can stop after the summary, and the
# writer never holds more than one finding's document.
_LONG_DIGITS = re.compile(r"\\d{19}")  # orjson reads integers past 64 bits as floats
HEADER_ORDER = ("schema_version", "tool", "generated_at", "scan", "verdict", "summary", "policies", "errors", "history")
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def write(result: ScanResult, verdict: Verdict, out: TextIO, *, generated_at: str | None = None) -> None:
    """Write the document, header first, findings last, each value indented by two spaces.

    Each finding is encoded on its own as it comes out of the store, so the documents of
    every finding never exist at once: a store on disk is streamed, never loaded whole.
    """
    doc = to_document(result, verdict, generated_at=generated_at, with_findings=False)
    separator = "{\n  "
    for key in HEADER_ORDER:
        out.write(f'{separator}"{key}": {_encode(doc[key], 1)}')
        separator = ",\n  "
    for key, findings in (("findings", result.findings), ("fixed", result.fixed)):
        out.write(f'{separator}"{key}": ')
        opening = "["
        if key == "findings" and (halves := _halves(findings, out)) is not None:
            from smscan.report_halves import write_in_halves

            opening = write_in_halves(out, *halves)
        else:
            opening = write_items(out, _text_batches(findings), "[")
        out.write("\n  ]" if opening == "," else "[]")
    out.write("\n}\n")


def write_items(out: TextIO, batches: Iterable[list[str]], opening: str) -> str:
    """Write findings' texts as items of a findings array that `opening` continues ("[":
    none written yet, ",": some); the opening of what follows. One write for many: a
    fleet has 100,000s."""
    for batch in batches:
        if batch:
            out.write(opening + "\n    ")  # apart: a copy of the batch's text less
            out.write(BETWEEN.join(batch))
            opening = ","
    return opening


BETWEEN = ",\n    "  # between two items of the findings array


def _batches(texts: Iterable[str], size: int = 256) -> Iterator[list[str]]:
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def finding_text(f: Finding) -> str:
    """The finding's document exactly as `write` puts it in the findings array."""
    return _encode(finding_fields(f), 2)


def _halves(findings: Iterable[Finding], out: TextIO) -> tuple[RunFindings, str] | None:
    # Only a --jobs scan's runs split (smscan.report_halves), and they have text_batches.
    if getattr(findings, "text_batches", None) is None:
        return None
    from smscan.report_halves import worth_splitting

    return worth_splitting(findings, out)


def _text_batches(findings: Iterable[Finding]) -> Iterator[list[str]]:
    # A store whose findings were encoded where they were judged (a --jobs worker's runs,
    # smscan.findings_runs) hands over those texts: the parent only copies them, a batch
    # at a time as one string.
    joined = getattr(findings, "joined_texts", None)
    if joined is not None:
        for text in joined(BETWEEN):
            yield [text]
        return
    yield from _batches(map(finding_text, findings))


def _encode(value: Any, depth: int) -> str:
    """`value` as indented JSON starting at `depth` levels of two spaces, keys sorted."""
    text = indented(value, depth)
    if text is not None:
        return text
    # An integer beyond 64 bits: the standard library knows it.
    text = json.dumps(_plain(value), indent=2, sort_keys=True, default=str, allow_nan=False)
    return text.replace("\n", "\n" + "  " * depth) if depth else text


def indented(value: Any, depth: int) -> str | None:
    """`value` as `_encode` writes it when orjson can (None: only the standard library can)."""
    try:
        text = orjson.dumps(value, default=_fallback, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return None
    return text.replace("\n", "\n" + "  " * depth) if depth else text


def _fallback(value: Any) -> Any:
    if isinstance(value, tuple):  # namedtuples and the like: as lists, as json would write them
        return list(value)
    return str(value)


def _plain(value: Any) -> Any:
    """Dataclasses as dicts, for the standard library's encoder (orjson writes them itself)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def finding_fields(f: Finding) -> dict[str, Any]:
    """A finding's document with its dataclasses left for orjson to write (no asdict copies)."""
    return {
        "policy_id": f.policy_id,
        "severity": f.severity.value,
        "status": f.status.value,
        "message": f.message,
        "resource": resource_fields(f.resource),
        "evidence": f.evidence,
        "location": f.location,
        "waiver": f.waiver,
        "baseline": f.baseline,
    }


def resource_fields(r: Resource) -> dict[str, Any]:
    return {
        "arn": r.arn,
        "name": r.name,
        "account_id": r.account_id,
        "region": r.region,
        "status": r.status,
        "origin": r.origin,
    }


def to_document(
    result: ScanResult, verdict: Verdict, *, generated_at: str | None = None, with_findings: bool = True
) -> dict[str, Any]:
    meta = result.meta
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "smscan", "version": meta.tool_version},
        "generated_at": generated_at or meta.finished_at,
        "verdict": verdict.as_dict(),
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
        "summary": summary_document(result),
        "policies": [_policy(p, result.counts.get(p.id, {})) for p in result.policies],
        "findings": [finding_document(f) for f in result.findings] if with_findings else [],
        "fixed": [finding_document(f) for f in result.fixed] if with_findings else [],
        "errors": [asdict(p) for p in result.errors],
        "history": [dict(h) for h in result.history],
    }


def summary_document(result: ScanResult) -> dict[str, Any]:
    counts = result.findings.counts()

    def by_severity(status: Status) -> dict[str, int]:
        return {s.value: counts.get((status, s), 0) for s in Severity}

    return {
        "records": result.meta.records_scanned,
        "by_status": {s.value: result.total(s) for s in Status},
        "failures_by_severity": by_severity(Status.FAIL),
        "unknown_by_severity": by_severity(Status.UNKNOWN),
        "compliance_score": total_score(result.counts.values()).fraction,
        "errors": len(result.errors),
    }


def _policy(info: PolicyInfo, counts: Mapping[Status, int]) -> dict[str, Any]:
    doc = asdict(info)
    doc["severity"] = info.severity.value
    doc["references"] = list(info.references)
    doc["frameworks"] = {k: list(v) for k, v in info.frameworks.items()}
    doc["counts"] = {s.value: counts.get(s, 0) for s in Status}
    return doc


def finding_document(f: Finding) -> dict[str, Any]:
    """A finding's document as plain dicts and lists: what `write` encodes, for other encoders."""
    doc = finding_fields(f)
    doc["resource"]["origin"] = asdict(f.resource.origin)
    doc["evidence"] = [{**asdict(e), "actual": list(e.actual)} for e in f.evidence]
    doc["location"] = asdict(f.location) if f.location else None
    doc["waiver"] = asdict(f.waiver) if f.waiver else None
    return doc


def load(text: str, source: str = "<json>") -> ScanResult:
    """Parse a document written by `write`. Raises SourceError naming the source."""
    try:
        doc = orjson.loads(text) if not _LONG_DIGITS.search(text) else json.loads(text)
    except json.JSONDecodeError as exc:  # orjson's error is a subclass, with the same fields
        raise SourceError(f"{source}:{exc.lineno}: not a JSON report ({exc.msg})") from None
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise SourceError(f"{source}: not an smscan JSON report (schema_version {SCHEMA_VERSION} expected)")
    try:
        return _from_document(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
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
        findings=MemoryFindings(_load_finding(f) for f in doc["findings"]),
        counts=counts,
        errors=tuple(Problem(**e) for e in doc.get("errors", ())),
        fixed=tuple(_load_finding(f) for f in doc.get("fixed", ())),
        history=tuple(doc.get("history", ())),
    )


def decode_finding(text: str) -> Finding:
    """The Finding whose text (finding_text) this is."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:  # a lone surrogate, which only the standard library writes
        doc = json.loads(text)
    return _load_finding(doc)


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
