"""`--format csv`: one row per finding, for a spreadsheet or an auditor's tooling.

RFC 4180: a header row, comma separated, CRLF line ends, fields quoted when they hold a
comma, a quote or a line break (quotes doubled). UTF-8 without a byte-order mark. The
columns are fixed (COLUMNS) and only ever appended to, so a sheet's formulas keep working.

A cell that a spreadsheet would read as a formula (one starting with =, +, -, @, a tab or a
carriage return, as OWASP's "CSV Injection" lists) gets a leading apostrophe: a scanned
job's name or tag is someone else's text, and must not run in the auditor's Excel.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import TextIO

from smscan.gate.verdict import Verdict
from smscan.models import Finding, PolicyInfo, ScanResult
from smscan.reports.interface import RenderOptions

COLUMNS = (
    "policy_id", "title", "severity", "status", "job_name", "job_arn", "account_id", "region",
    "message", "evidence_path", "evidence_value", "waiver_reason", "waiver_owner", "waiver_expires",
    "baseline", "location",
)  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def row(finding: Finding, policy: PolicyInfo | None) -> dict[str, str]:
    r = finding.resource
    first = finding.evidence[0] if finding.evidence else None
    value = ""
    if first is not None:
        actual = first.actual[0] if len(first.actual) == 1 else list(first.actual)
        value = actual if isinstance(actual, str) else json.dumps(actual, default=str, ensure_ascii=False)
    waiver = finding.waiver
    location = finding.location
    if location is None and r.origin.line is not None and not r.arn:
        where = f"{r.origin.source}:{r.origin.line}"
    else:
        where = f"{location.path}:{location.line}" if location else ""
    return {
        "policy_id": finding.policy_id,
        "title": policy.title if policy else "",
        "severity": finding.severity.value,
        "status": finding.status.value,
        "job_name": r.name,
        "job_arn": r.arn,
        "account_id": r.account_id,
        "region": r.region,
        "message": finding.message,
        "evidence_path": first.path if first else "",
        "evidence_value": value,
        "waiver_reason": waiver.reason if waiver else "",
        "waiver_owner": waiver.owner if waiver else "",
        "waiver_expires": waiver.expires if waiver else "",
        "baseline": finding.baseline or "",
        "location": where,
    }


def rows(result: ScanResult) -> Iterator[dict[str, str]]:
    policies = {p.id: p for p in result.policies}
    for f in result.findings:
        yield {k: neutralise(str(v)) for k, v in row(f, policies.get(f.policy_id)).items()}


def render(result: ScanResult, verdict: Verdict, options: RenderOptions, out: TextIO) -> None:
    # Rows are findings; the run's verdict is in the summary and the other reports.
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    writer.writerows(rows(result))
