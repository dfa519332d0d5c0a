"""`--format asff`: the findings Security Hub would receive, as one JSON array.

For pipelines that import findings with their own credentials (or review them first). The
documents are exactly those the Security Hub sink sends when a finding is new; a waived
finding carries Workflow SUPPRESSED and the waiver's reason as its Note, which
BatchImportFindings accepts when it creates a finding. Findings without an AWS account and
region (request files) cannot be expressed in ASFF and are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from smscan.gate.verdict import Verdict
from smscan.models import ScanResult
from smscan.reports.interface import RenderOptions
from smscan.sinks import asff


def documents(result: ScanResult, generated_at: str, include_passed: bool = False) -> list[dict[str, Any]]:
    return list(iter_documents(result, generated_at, include_passed))


def iter_documents(result: ScanResult, generated_at: str, include_passed: bool = False) -> Iterator[dict[str, Any]]:
    """The findings Security Hub would receive, made one at a time as the store yields them."""
    policies = {p.id: p for p in result.policies}
    wanted = asff.SENT_STATUSES | ({"PASS"} if include_passed else set())
    for f in result.findings:
        if f.status.value not in wanted or not asff.can_send(f):
            continue
        waived = f.waiver is not None and f.status.value == "WAIVED"
        doc = asff.to_asff(
            f, policies.get(f.policy_id), generated_at=generated_at, tool_version=result.meta.tool_version,
            workflow="SUPPRESSED" if waived else ("RESOLVED" if f.status.value == "PASS" else "NEW"),
            record_state="ARCHIVED" if f.status.value == "PASS" else "ACTIVE",
        )
        if waived and f.waiver is not None:
            note = asff.shorten(f"Waived by smscan: {f.waiver.reason}", asff.NOTE_MAX)
            doc["Note"] = {"Text": note, "UpdatedBy": "smscan", "UpdatedAt": generated_at}
        yield doc


def render(result: ScanResult, verdict: Verdict, options: RenderOptions, out: TextIO) -> None:
    # The verdict belongs to the run, not to any one finding: ASFF has no place for it.
    # The array is written a document at a time, in the layout json.dumps(docs, indent=2) gives.
    opening = "["
    for doc in iter_documents(result, options.generated_at, options.include_passed):
        text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
        out.write(opening + "\n  " + text.replace("\n", "\n  "))
        opening = ","
    out.write("\n]\n" if opening == "," else "[]\n")
