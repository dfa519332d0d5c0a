"""`--format ocsf`: one OCSF Compliance Finding (class 2003) per finding, as JSON Lines.

OCSF 1.5.0, with the `cloud` profile (every finding names an account and region when it
has them). A Compliance Finding rather than a Detection Finding (2004): smscan checks a
configuration against a policy, which is what `compliance` (control, standards,
requirements, status) describes. The tests validate every record against the JSON Schema
that ocsf-json-schema generates from OCSF's own 1.5.0 export.

Two statuses, kept apart as OCSF does: `compliance.status_id` says what the check found
(Pass, Fail, Warning for a check that could not judge, Unknown for a value known only at
run time); the finding's `status_id` says where it is in triage (New, Suppressed for a
waived failure, Resolved for a pass).
"""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Iterator
from typing import Any, TextIO

from smscan.gate.verdict import Verdict
from smscan.models import Finding, PolicyInfo, ScanResult
from smscan.reports.interface import RenderOptions
from smscan.sinks.asff import finding_id, partition_of, related_requirements

OCSF_VERSION = "1.5.0"
CLASS_UID, CATEGORY_UID, ACTIVITY_CREATE = 2003, 2, 1
SEVERITY_ID = {"info": (1, "Informational"), "low": (2, "Low"), "medium": (3, "Medium"), "high": (4, "High"), "critical": (5, "Critical")}
# Status value -> compliance.status_id / status; every status has one, none falls back to a pass.
COMPLIANCE_STATUS = {
    "PASS": (1, "Pass"),
    "FAIL": (3, "Fail"),
    "WAIVED": (3, "Fail"),
    "ERROR": (2, "Warning"),  # "did not yield a result due to missing information"
    "UNKNOWN": (0, "Unknown"),
    "NOT_APPLICABLE": (99, "Not applicable"),
}
FINDING_STATUS = {"WAIVED": (3, "Suppressed"), "PASS": (4, "Resolved")}  # else 1 New


def epoch_ms(stamp: str) -> int:
    """OCSF timestamp_t: milliseconds since the epoch, from smscan's UTC ISO time."""
    return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) * 1000


def to_event(finding: Finding, policy: PolicyInfo | None, *, generated_at: str, tool_version: str) -> dict[str, Any]:
    r = finding.resource
    status = finding.status.value
    sev_id, sev = SEVERITY_ID[finding.severity.value]
    comp_id, comp = COMPLIANCE_STATUS.get(status, (0, "Unknown"))
    find_id, find = FINDING_STATUS.get(status, (1, "New"))
    uid = finding_id(finding.policy_id, r.arn or str(r.origin))
    resource: dict[str, Any] = {"type": "AWS::SageMaker::TrainingJob", "uid": r.arn or str(r.origin)}
    if r.name:
        resource["name"] = r.name
    if r.region:
        resource["region"] = r.region
        resource["cloud_partition"] = partition_of(r.region)
    if r.account_id:
        resource["owner"] = {"account": _account(r.account_id)}
    resource["data"] = {"status": r.status, "origin": str(r.origin), "evidence": _evidence(finding)}
    compliance: dict[str, Any] = {
        "control": finding.policy_id,
        "status_id": comp_id,
        "status": comp,
        "status_detail": finding.message,
        "standards": sorted(policy.frameworks) if policy and policy.frameworks else ["smscan"],
    }
    requirements = related_requirements(policy)
    if requirements:
        compliance["requirements"] = requirements
    event: dict[str, Any] = {
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "severity_id": sev_id,
        "severity": sev,
        "status_id": find_id,
        "status": find,
        "time": epoch_ms(generated_at),
        "message": finding.message,
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "product": {"name": "smscan", "vendor_name": "smscan", "version": tool_version},
            "uid": uid,
        },
        "cloud": _cloud(r.account_id, r.region),
        "finding_info": {
            "uid": uid,
            "title": policy.title if policy else finding.policy_id,
            "desc": policy.description.strip() if policy else finding.message,
            "types": ["Software and Configuration Checks"],
        },
        "compliance": compliance,
        "resources": [resource],
    }
    if policy is not None:
        text = policy.remediation.get("summary") or next(iter(policy.remediation.values()), "")
        if text or policy.references:
            event["remediation"] = {"desc": (text or policy.title).strip(), "references": list(policy.references)}
    if finding.waiver is not None:
        event["status_detail"] = f"waived: {finding.waiver.reason}"
    if finding.location is not None:
        event["unmapped"] = {"location": f"{finding.location.path}:{finding.location.line}"}
    return event


def _account(account_id: str) -> dict[str, Any]:
    return {"uid": account_id, "type_id": 10, "type": "AWS Account"}


def _cloud(account_id: str, region: str) -> dict[str, Any]:
    cloud: dict[str, Any] = {"provider": "AWS"}
    if region:
        cloud["region"] = region
    if account_id:
        cloud["account"] = _account(account_id)
    return cloud


def _evidence(finding: Finding) -> list[dict[str, Any]]:
    return [
        {"path": e.path, "operator": e.operator, "actual": list(e.actual), "satisfied": e.satisfied}
        for e in finding.evidence
    ]


def events(result: ScanResult, generated_at: str) -> Iterator[dict[str, Any]]:
    """One event per finding, made as the store yields it: never a list of every event."""
    policies = {p.id: p for p in result.policies}
    version = result.meta.tool_version
    for f in result.findings:
        yield to_event(f, policies.get(f.policy_id), generated_at=generated_at, tool_version=version)


def render(result: ScanResult, verdict: Verdict, options: RenderOptions, out: TextIO) -> None:
    # One event per finding, written as it is built; the run's verdict is no finding's.
    for event in events(result, options.generated_at):
        out.write(json.dumps(event, sort_keys=True, ensure_ascii=False, allow_nan=False, default=str) + "\n")
