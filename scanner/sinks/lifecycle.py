"""What one scan changes in Security Hub: which findings to create, update, archive and suppress.

A pure function of the scan and of the smscan findings Security Hub holds, so every rule
is tested without a network:

- an open finding (FAIL, ERROR, UNKNOWN) is imported ACTIVE; one Security Hub already has
  keeps its CreatedAt, so the console shows how long it has been open;
- a WAIVED finding is imported too, then suppressed with the waiver's reason through
  BatchUpdateFindings: Workflow and Note belong to the customer's side of a finding, and
  BatchImportFindings ignores them once the finding exists;
- an active smscan finding whose job was scanned and no longer fails is updated to
  Compliance PASSED and archived;
- an active finding whose job was not seen at all is archived, but only after a complete
  scan of the same scope: every (account, region) pair read, the same policy, no job
  filter and no shard. Anything less archives nothing, or a scan of one team's jobs would
  close everyone else's findings;
- `only_failed` sends nothing but the open findings: no waiver, no archive.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smscan.models import Finding, ScanResult

from . import asff

ALL_JOB_STATUSES = frozenset({"InProgress", "Completed", "Failed", "Stopping", "Stopped"})


@dataclass(frozen=True)
class Suppression:
    finding_id: str
    product_arn: str
    workflow: str  # SUPPRESSED, or NEW when a waiver no longer applies
    note: str


@dataclass
class Plan:
    imports: list[dict[str, Any]] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # Id -> created | updated | archived
    suppressions: list[Suppression] = field(default_factory=list)
    skipped: int = 0
    notes: list[str] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for k in self.kinds.values() if k == kind)


def scope_is_whole(result: ScanResult) -> str | None:
    """None when an unseen job really is gone; else why this scan cannot tell."""
    scope = result.meta.scope
    if not result.complete:
        return "the scan is incomplete"
    if scope.get("source") != "aws":
        return "not a live AWS scan"
    filters = scope.get("filters") or {}
    if set(filters.get("statuses") or ALL_JOB_STATUSES) != ALL_JOB_STATUSES:
        return "--status narrows the jobs"
    if filters.get("created_after") or filters.get("name_contains"):
        return "a job filter narrows the jobs"
    if scope.get("shard"):
        return "--shard scans part of the accounts and regions"
    return None


def plan_sync(
    result: ScanResult,
    seen: Collection[str],
    existing: Iterable[Mapping[str, Any]],
    *,
    generated_at: str,
    only_failed: bool = False,
    findings: Iterable[Finding] | None = None,
) -> Plan:
    """`findings`: the part of the result to plan for (one account and region), default all."""
    plan = Plan()
    policies = {p.id: p for p in result.policies}
    current: dict[str, Finding] = {}
    for f in result.findings if findings is None else findings:
        status = f.status.value
        if status not in asff.SENT_STATUSES and status != "PASS":
            continue
        if not asff.can_send(f):
            if status in asff.SENT_STATUSES:
                plan.skipped += 1
            continue
        current[asff.finding_id(f.policy_id, f.resource.arn)] = f
    held = {str(doc["Id"]): doc for doc in existing if _ours(doc)}
    version = result.meta.tool_version

    for fid, f in sorted(current.items()):
        status = f.status.value
        before = held.get(fid)
        if status == "PASS" or (only_failed and status not in asff.OPEN_STATUSES):
            continue  # a PASS only closes a finding, below; never opens one
        doc = asff.to_asff(
            f, policies.get(f.policy_id), generated_at=generated_at, tool_version=version,
            created_at=str(before["CreatedAt"]) if before else None,
            workflow=None if before else "NEW",
        )
        plan.imports.append(doc)
        plan.kinds[fid] = "updated" if before else "created"
        workflow = str(((before or {}).get("Workflow") or {}).get("Status") or "NEW")
        if status == "WAIVED" and f.waiver is not None and workflow != "SUPPRESSED":
            reason = asff.shorten(f"Waived by smscan: {f.waiver.reason}", asff.NOTE_MAX)
            plan.suppressions.append(Suppression(fid, doc["ProductArn"], "SUPPRESSED", reason))
        elif status != "WAIVED" and workflow == "SUPPRESSED" and _suppressed_by_us(before):
            note = "smscan: the waiver no longer applies; the finding is open again"
            plan.suppressions.append(Suppression(fid, doc["ProductArn"], "NEW", note))

    if only_failed:
        return plan
    whole = scope_is_whole(result)
    kept = 0
    for fid, old in sorted(held.items()):
        if fid in plan.kinds or old.get("RecordState") == "ARCHIVED":
            continue
        if str(old.get("GeneratorId")) not in policies:
            continue  # another policy selection's finding: this scan did not judge it
        if not result.complete:
            kept += 1
        elif _job_arn(old) in seen:
            plan.imports.append(_archived(old, generated_at, compliance="PASSED"))
            plan.kinds[fid] = "archived"
        elif whole is None:
            plan.imports.append(_archived(old, generated_at))
            plan.kinds[fid] = "archived"
        else:
            kept += 1
    if kept and not result.complete:
        plan.notes.append(f"the scan is incomplete: nothing archived, {kept} active finding(s) kept")
    elif kept:
        plan.notes.append(f"{kept} active finding(s) of jobs this scan did not see were kept: {whole}")
    return plan


def _ours(doc: Mapping[str, Any]) -> bool:
    # The default product ARN is shared by every custom integration of the account.
    return str(doc.get("Id", "")).startswith(asff.ID_PREFIX) and (doc.get("ProductFields") or {}).get("ProviderName") == "smscan"


def _job_arn(doc: Mapping[str, Any]) -> str:
    resources = doc.get("Resources") or [{}]
    return str(resources[0].get("Id", ""))


def _suppressed_by_us(doc: Mapping[str, Any] | None) -> bool:
    note = str(((doc or {}).get("Note") or {}).get("Text") or "")
    return note.startswith("Waived by smscan")


def _archived(doc: Mapping[str, Any], generated_at: str, compliance: str | None = None) -> dict[str, Any]:
    """The finding as Security Hub holds it, closed: provider fields only, customer fields dropped."""
    out = {k: copy.deepcopy(v) for k, v in doc.items() if k in _PROVIDER_FIELDS}
    out["RecordState"] = "ARCHIVED"
    out["UpdatedAt"] = generated_at
    if compliance:
        out["Compliance"] = {**(out.get("Compliance") or {}), "Status": compliance}
        out.setdefault("ProductFields", {})["smscan/Status"] = "PASS"
    return out


# What a finding provider owns; the rest (Workflow, Note, ProcessedAt ...) is Security Hub's
# or the customer's, and GetFindings returns it too.
_PROVIDER_FIELDS = frozenset(
    {
        "SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Region", "Types",
        "CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt", "Severity", "Title",
        "Description", "Resources", "Compliance", "RecordState", "ProductFields",
        "FindingProviderFields", "Remediation",
    }
)  # fmt: skip
