"""Findings as AWS Security Finding Format (ASFF) documents: shared by the Security Hub
sink and `--format asff`.

Everything here is a pure function of a Finding, its policy and the clock, so the same job
and policy always give the same `Id`: a rescan updates the finding in Security Hub instead
of adding a duplicate. Limits are Security Hub's (AWS Security Hub User Guide, "ASFF
syntax"; Partner Guide, "Guidelines for using the BatchImportFindings API"): Title 256
characters, Description 1,024, Remediation.Recommendation.Text 512, at most 32 resources,
240 KB a finding. A field over its limit is shortened with an ellipsis, never rejected:
Security Hub would refuse the whole finding.

Severity and Types go both at the top level and in FindingProviderFields: Security Hub
keeps the provider's values in FindingProviderFields, and a customer's own changes (made
with BatchUpdateFindings) in the top-level fields, which a re-import must not overwrite.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from smscan.models import Finding, PolicyInfo, Status

SCHEMA_VERSION = "2018-10-08"
ID_PREFIX = "smscan/"
TITLE_MAX = 256
DESCRIPTION_MAX = 1024
RECOMMENDATION_MAX = 512
NOTE_MAX = 512
OTHER_DETAILS_MAX = 50  # Resources[].Details.Other: at most 50 pairs ...
OTHER_KEY_MAX, OTHER_VALUE_MAX = 128, 1024  # ... of these lengths
RELATED_REQUIREMENTS_MAX = 32
REQUIREMENT_MAX = 64  # each item: Security Hub refuses longer ones (Prowler cuts them to 63 too)
FINDING_MAX_BYTES = 240 * 1024

# Status value -> Compliance.Status. Every status has an entry: none may fall back to a pass.
COMPLIANCE = {
    "PASS": "PASSED",
    "FAIL": "FAILED",
    "WAIVED": "FAILED",  # a waiver accepts a failure; the finding is suppressed, not passed
    "ERROR": "WARNING",  # the check ran but could not judge the job from what it read
    "UNKNOWN": "NOT_AVAILABLE",
    "NOT_APPLICABLE": "NOT_AVAILABLE",
}
SEVERITY_LABEL = {"info": "INFORMATIONAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH", "critical": "CRITICAL"}

# The ASFF types taxonomy (namespace/category/classifier). Every finding is a best-practice
# configuration check; a policy mapped to a framework Security Hub names also gets that
# framework's classifier. Anything else would be refused by the Types pattern.
BEST_PRACTICES = "Software and Configuration Checks/AWS Security Best Practices"
STANDARDS = "Software and Configuration Checks/Industry and Regulatory Standards/"
FRAMEWORK_TYPES = {
    "nist-800-53": "NIST 800-53 Controls (USA)",
    "nist-csf": "NIST CSF Controls (USA)",
    "iso-27001": "ISO 27001 Controls",
    "iso-27017": "ISO 27017 Controls",
    "iso-27018": "ISO 27018 Controls",
    "pci-dss": "PCI-DSS Controls",
    "hipaa": "HIPAA Controls (USA)",
    "soc2": "SOC 2",
    "soc-2": "SOC 2",
    "cis-aws": "CIS AWS Foundations Benchmark",
    "gdpr": "GDPR Controls (Europe)",
}
# Statuses sent to Security Hub as open findings (a PASS only ever updates one).
OPEN_STATUSES = frozenset({"FAIL", "ERROR", "UNKNOWN"})
SENT_STATUSES = OPEN_STATUSES | {"WAIVED"}


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-iso-"):
        return "aws-iso"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    return "aws"


def product_arn(account_id: str, region: str) -> str:
    """The default product ARN of a custom integration: findings an account sends about itself."""
    return f"arn:{partition_of(region)}:securityhub:{region}:{account_id}:product/{account_id}/default"


def finding_id(policy_id: str, job_arn: str) -> str:
    """Stable for (policy, job): the key Security Hub updates a finding by."""
    return f"{ID_PREFIX}{policy_id}/{job_arn}"


def can_send(finding: Finding) -> bool:
    """ASFF needs an account, a region and a resource id: request files have none of them."""
    r = finding.resource
    return bool(r.arn.startswith("arn:") and len(r.account_id) == 12 and r.account_id.isdigit() and r.region)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def to_asff(
    finding: Finding,
    policy: PolicyInfo | None,
    *,
    generated_at: str,
    created_at: str | None = None,
    tool_version: str = "",
    record_state: str = "ACTIVE",
    compliance: str | None = None,
    workflow: str | None = "NEW",
) -> dict[str, Any]:
    """One ASFF finding. `created_at` is when Security Hub first saw it (kept across rescans);
    `workflow` None leaves Workflow out (Security Hub ignores it on updates anyway)."""
    r = finding.resource
    status = finding.status.value
    title = policy.title if policy else finding.policy_id
    doc: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(finding.policy_id, r.arn),
        "ProductArn": product_arn(r.account_id, r.region),
        "GeneratorId": finding.policy_id,
        "AwsAccountId": r.account_id,
        "Region": r.region,
        "Types": types_of(policy),
        "CreatedAt": created_at or generated_at,
        "UpdatedAt": generated_at,
        "FirstObservedAt": created_at or generated_at,
        "LastObservedAt": generated_at,
        "Severity": severity_of(finding),
        "Title": shorten(f"{title} ({r.name or r.arn})", TITLE_MAX),
        "Description": shorten(_description(finding, policy), DESCRIPTION_MAX),
        "Resources": [_resource(finding)],
        "Compliance": _compliance(policy, compliance or COMPLIANCE.get(status, "NOT_AVAILABLE")),
        "RecordState": record_state,
        "ProductFields": _product_fields(finding, policy, tool_version),
    }
    doc["FindingProviderFields"] = {"Severity": dict(doc["Severity"]), "Types": list(doc["Types"])}
    remediation = _remediation(policy)
    if remediation:
        doc["Remediation"] = remediation
    if workflow:
        doc["Workflow"] = {"Status": workflow}
    return doc


def severity_of(finding: Finding) -> dict[str, str]:
    return {"Label": SEVERITY_LABEL[finding.severity.value], "Original": finding.severity.value}


def types_of(policy: PolicyInfo | None) -> list[str]:
    types = [BEST_PRACTICES]
    for name in (policy.frameworks if policy else {}):
        classifier = _framework_type(name)
        if classifier and STANDARDS + classifier not in types:
            types.append(STANDARDS + classifier)
    return types


def _framework_type(name: str) -> str | None:
    key = name.lower()
    return next((v for k, v in FRAMEWORK_TYPES.items() if key == k or key.startswith(k + "-")), None)


def _description(finding: Finding, policy: PolicyInfo | None) -> str:
    text = finding.message
    if finding.status is Status.ERROR or finding.status.value == "UNKNOWN":
        text += " (the check could not decide: it fails closed)"
    if policy and policy.description:
        text += " " + policy.description.strip()
    return text


def _resource(finding: Finding) -> dict[str, Any]:
    r = finding.resource
    other = {"TrainingJobName": r.name, "TrainingJobStatus": r.status or "", "SmscanStatus": finding.status.value}
    for i, e in enumerate(finding.evidence):
        if len(other) + 2 > OTHER_DETAILS_MAX:
            break
        other[f"Evidence{i}Path"] = e.path
        other[f"Evidence{i}Actual"] = json.dumps(list(e.actual), default=str, ensure_ascii=False)
    return {
        "Type": "Other",
        "Id": r.arn,
        "Partition": partition_of(r.region),
        "Region": r.region,
        "Details": {"Other": {shorten(k, OTHER_KEY_MAX): shorten(v, OTHER_VALUE_MAX) for k, v in other.items() if v}},
    }


def _compliance(policy: PolicyInfo | None, status: str) -> dict[str, Any]:
    compliance: dict[str, Any] = {"Status": status}
    requirements = related_requirements(policy)
    if requirements:
        compliance["RelatedRequirements"] = requirements
    return compliance


def related_requirements(policy: PolicyInfo | None) -> list[str]:
    if policy is None:
        return []
    out = [
        shorten(f"{name} {control}", REQUIREMENT_MAX)
        for name, controls in sorted(policy.frameworks.items())
        for control in controls
    ]
    return out[:RELATED_REQUIREMENTS_MAX]


def _remediation(policy: PolicyInfo | None) -> dict[str, Any] | None:
    if policy is None:
        return None
    text = policy.remediation.get("summary") or next(iter(policy.remediation.values()), "")
    recommendation: dict[str, str] = {}
    if text:
        recommendation["Text"] = shorten(text.strip(), RECOMMENDATION_MAX)
    url = next((u for u in policy.references if u.startswith(("https://", "http://"))), None)
    if url:
        recommendation["Url"] = url
    return {"Recommendation": recommendation} if recommendation else None


def _product_fields(finding: Finding, policy: PolicyInfo | None, tool_version: str) -> dict[str, str]:
    fields = {
        "ProviderName": "smscan",
        "ProviderVersion": tool_version,
        "smscan/PolicyId": finding.policy_id,
        "smscan/PolicyVersion": policy.digest if policy else "",
        "smscan/Status": finding.status.value,
    }
    if finding.waiver is not None:
        fields["smscan/WaiverReason"] = shorten(finding.waiver.reason, 1024)
    return {k: v for k, v in fields.items() if v}


def size_of(doc: Mapping[str, Any]) -> int:
    return len(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def batches(docs: Iterable[dict[str, Any]], max_count: int = 100, max_bytes: int = 6 * 1024 * 1024) -> list[list[dict[str, Any]]]:
    """Split into BatchImportFindings requests: at most 100 findings and 6 MB a request."""
    out: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    used = 64  # the request's own braces and key
    for doc in docs:
        size = size_of(doc) + 1
        if current and (len(current) >= max_count or used + size > max_bytes):
            out.append(current)
            current, used = [], 64
        current.append(doc)
        used += size
    if current:
        out.append(current)
    return out
