"""SARIF 2.1.0 for GitHub code scanning: one run, one result per failing, waived or unknown job.

An UNKNOWN finding (a value known only at run time) is a result of `kind: "open"` and
level "none", as SARIF defines for a check that could not conclude; it is never left out,
since leaving it out would read as a pass. `invocations[0].executionSuccessful` is false
exactly when the verdict is INCOMPLETE, and the run's properties carry the verdict.

A cloud resource is not a file, and GitHub rejects an upload whose results lack a file
location; so each result points at a file in the repository (the policy's YAML at its
`id:` line, or a request file's offending line) and carries the job itself as a logical
location. `partialFingerprints` hash the job's identity, not the file's lines, so an alert
follows its job from scan to scan. See docs/SARIF.md.

Pure: the same ScanResult and options give byte-identical text.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections.abc import Iterator
from itertools import islice
from typing import Any, TextIO

from smscan import __version__
from smscan.findings import FindingStore, count_of
from smscan.gate.verdict import Verdict, VerdictStatus
from smscan.models import Finding, PolicyInfo, ScanResult, Status
from smscan.reports.interface import RenderOptions
from smscan.reports.jsonsafe import jsonable
from smscan.reports.sarif.category import category
from smscan.reports.sarif.dump import Placeholder, gzip_size, pieces, result_text
from smscan.reports.sarif.notes import (
    error_notes,
    fallback_note,
    note,
    problem_notes,
)
from smscan.reports.sarif.notifications import descriptors as notification_descriptors
from smscan.reports.sarif.paths import Where, locate
from smscan.reports.sarif.rules import LEVELS, placeholder, rule

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/smscan/smscan"

# GitHub's limits; module constants so tests can shrink them.
MAX_RESULTS = 25_000
MAX_GZIP_BYTES = 10 * 1024 * 1024

FINGERPRINT_KEY = "primaryLocationLineHash"  # the key GitHub matches alerts on
OWN_FINGERPRINT_KEY = "smscanResourceHash/v1"  # same value, under a key no uploader rewrites

REPORTED = (Status.FAIL, Status.WAIVED, Status.UNKNOWN)

_FIRST_SENTENCE = re.compile(r"(?<=[.!?])\s")
_SEMVER = re.compile(r"\d+\.\d+\.\d+")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\Z")


def render(result: ScanResult, verdict: Verdict, options: RenderOptions, out: TextIO) -> None:
    policies = {p.id: p for p in result.policies}
    for policy_id, (top, _) in result.findings.facets().policy_severities().items():
        if policy_id not in policies:  # a finding of a policy missing from the pack still gets a rule
            policies[policy_id] = placeholder(policy_id, top)
    ordered = sorted(policies.values(), key=lambda p: p.id)
    rule_index = {p.id: i for i, p in enumerate(ordered)}

    reported_count = count_of(result.findings, REPORTED)
    kept, dropped = _cap(result.findings, reported_count)
    encoded: list[tuple[tuple[str, str, str], str]] = []  # each result as text, once made
    fallbacks: set[str] = set()
    placed: dict[tuple[Any, str], Where] = {}  # a path is resolved once, not once per result
    for f in kept:
        where = placed.get((f.location, f.policy_id))
        if where is None:
            where = placed[(f.location, f.policy_id)] = locate(f, policies[f.policy_id], options.sarif_root)
        if not where.inside_root:
            fallbacks.add(where.uri)
        made = _result(f, policies[f.policy_id], rule_index[f.policy_id], where)
        encoded.append((_result_order(made), result_text(made)))
    encoded.sort(key=lambda pair: pair[0])
    results = [text for _, text in encoded]
    del encoded

    notes = problem_notes(result) + error_notes(result, rule_index)
    if fallbacks:
        notes.append(fallback_note(fallbacks))
    if dropped:
        text = (
            f"{dropped} of {reported_count} results were left out to stay within GitHub's limit"
            f" of {MAX_RESULTS} results per run; the most severe were kept. The JSON report"
            " lists every finding."
        )
        notes.append(note("results-truncated", "warning", text))

    here = Placeholder()
    log = _log(result, verdict, options, ordered, here.text, notes, dropped)
    size = gzip_size(pieces(log, here, results))
    if size > MAX_GZIP_BYTES:
        notes.append(
            note(
                "output-too-large",
                "warning",
                f"The gzipped SARIF is {size} bytes, over GitHub's upload limit of"
                f" {MAX_GZIP_BYTES} bytes; split the scan (per account or region, each with"
                " its own --sarif-category) so every file uploads.",
            )
        )  # `notes` is shared with the log, so the warning is in it now
    for part in pieces(log, here, results):
        out.write(part)


def fingerprint(finding: Finding) -> str:
    """A stable hash of (policy, account, region, job): unique per alert, blind to lines."""
    r = finding.resource
    subject = r.arn or (finding.location.path if finding.location else "") or r.name
    key = "\x1f".join(("smscan/v1", finding.policy_id, r.account_id, r.region, subject))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + ":1"


def message_text(finding: Finding, policy: PolicyInfo) -> str:
    """First sentence: which job fails which policy, and how (the engine's masked message).

    The engine's message is used as is when its first sentence already names the job;
    otherwise it follows a sentence that does. Nothing else from the record is added.
    """
    r = finding.resource
    job = r.name or r.arn or "(unnamed job)"
    what = " ".join(finding.message.split())
    if what and _names_job(_FIRST_SENTENCE.split(what, 1)[0], job):
        text = what
    else:
        context = ", ".join(x for x in (r.account_id, r.region) if x)
        subject = f"Training job {job}" + (f" ({context})" if context else "")
        how = "cannot be checked against" if finding.status is Status.UNKNOWN else "fails"
        text = f"{subject} {how} {finding.policy_id}: {what or policy.title or policy.id}"
    return text if text.endswith((".", "!", "?")) else text + "."


def _names_job(sentence: str, job: str) -> bool:
    """`job` occurs in `sentence` as a whole name (no word character or '-' either side)."""
    if not job:
        return re.search(r"(?<![\w-])(?![\w-])", sentence) is not None
    at = sentence.find(job)
    while at >= 0:
        end = at + len(job)
        if (at == 0 or not _wordish(sentence[at - 1])) and (end == len(sentence) or not _wordish(sentence[end])):
            return True
        at = sentence.find(job, at + 1)
    return False


def _wordish(ch: str) -> bool:
    return ch.isalnum() or ch in "_-"  # what the regex \w (plus '-') matches in str patterns


def _cap(store: FindingStore, count: int) -> tuple[Iterator[Finding], int]:
    """At most MAX_RESULTS findings, most severe first and, at one severity, waived last.

    The store's order is already by severity, policy and job, so the open findings and the
    waived ones are each in order: merging the two reads (sorted(...)[:n] of both, ties in
    the store's order) stops after MAX_RESULTS, whatever the store holds.
    """
    if count <= MAX_RESULTS:
        return store.where(REPORTED), 0
    open_ones = store.where(tuple(s for s in REPORTED if s is not Status.WAIVED))
    waived = store.where((Status.WAIVED,))
    merged = heapq.merge(open_ones, waived, key=lambda f: (-f.severity.rank, f.status is Status.WAIVED))
    return islice(merged, MAX_RESULTS), count - MAX_RESULTS


def _result(finding: Finding, policy: PolicyInfo, index: int, where: Where) -> dict[str, Any]:
    r = finding.resource
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": where.uri},
            "region": {"startLine": where.line},
        }
    }
    if r.arn:
        logical = {"fullyQualifiedName": r.arn, "kind": "resource"}
        location["logicalLocations"] = [{**logical, "name": r.name} if r.name else logical]
    hashed = fingerprint(finding)
    properties: dict[str, Any] = {
        "account_id": r.account_id,
        "region": r.region,
        "job_name": r.name,
        "job_arn": r.arn,
        "job_status": r.status,
        "status": finding.status.value,
        "severity": finding.severity.value,
        "evidence": [_evidence(e) for e in finding.evidence],
    }
    if finding.baseline:
        properties["baseline"] = finding.baseline
    out: dict[str, Any] = {
        "ruleId": finding.policy_id,
        "ruleIndex": index,
        "level": "none" if finding.status is Status.UNKNOWN else LEVELS[finding.severity],
        "message": {"text": message_text(finding, policy)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: hashed, OWN_FINGERPRINT_KEY: hashed},
        "properties": properties,
    }
    if finding.status is Status.UNKNOWN:
        out["kind"] = "open"  # SARIF: the tool could not tell whether the rule holds
    if finding.status is Status.WAIVED:
        waiver = finding.waiver
        reason = waiver.reason if waiver and waiver.reason else "waived"
        out["suppressions"] = [{"kind": "external", "status": "accepted", "justification": reason}]
        if waiver:
            properties["waiver"] = {
                k: v for k, v in (("owner", waiver.owner), ("expires", waiver.expires)) if v
            }
    return out


def _result_order(res: dict[str, Any]) -> tuple[str, str, str]:
    return (
        res["ruleId"],
        res["properties"]["job_arn"],
        res["partialFingerprints"][FINGERPRINT_KEY],
    )


def _evidence(e: Any) -> dict[str, Any]:
    return {
        "path": e.path,
        "operator": e.operator,
        "expected": jsonable(e.expected),
        "actual": jsonable(e.actual),
        "satisfied": e.satisfied,
        "note": e.note,
    }


def _log(
    result: ScanResult,
    verdict: Verdict,
    options: RenderOptions,
    policies: list[PolicyInfo],
    results: Any,  # the results array, or a placeholder for it (smscan.reports.sarif.dump)
    notes: list[dict[str, Any]],
    dropped: int,
) -> dict[str, Any]:
    meta = result.meta
    version = meta.tool_version or __version__
    semver = _SEMVER.match(version)
    invocation: dict[str, Any] = {
        "executionSuccessful": verdict.status is not VerdictStatus.INCOMPLETE,
        "toolExecutionNotifications": notes,
    }
    for key, stamp in (("startTimeUtc", meta.started_at), ("endTimeUtc", meta.finished_at)):
        if _TIMESTAMP.match(stamp or ""):
            invocation[key] = stamp
    driver = {
        "name": "smscan",
        "version": version,
        "semanticVersion": semver.group(0) if semver else "0.0.0",
        "informationUri": INFORMATION_URI,
        "rules": [rule(p) for p in policies],
        "notifications": notification_descriptors(),
    }
    run = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"smscan/{category(result, options)}/"},
        "invocations": [invocation],
        "results": results,
        "properties": {
            "generatedAt": options.generated_at,
            "recordsScanned": meta.records_scanned,
            "resultsOmitted": dropped,
            "complete": result.complete,
            "verdict": verdict.as_dict(),
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
