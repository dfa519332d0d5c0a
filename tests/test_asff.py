"""ASFF documents: required attributes, Security Hub's limits, the Types taxonomy, stable Ids,
batches, and the `--format asff` file.

Limits and attribute rules are those of the AWS Security Hub User Guide ("Required top-level
ASFF attributes", "ASFF syntax") and the Partner Guide ("Guidelines for mapping findings into
ASFF", "Guidelines for using the BatchImportFindings API": 100 findings, 240 KB a finding,
6 MB a batch).
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from smscan.models import Evidence, Status, Waiver
from smscan.reports import RenderOptions
from smscan.reports.asff import documents
from smscan.sinks import asff
from tests.factories import make_finding, make_policy_info, make_result
from tests.report_helpers import render as render_report

REQUIRED = {
    "AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "Resources",
    "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt",
}  # fmt: skip
# namespace/category/classifier, namespaces as the ASFF types taxonomy lists them
TYPES_RE = re.compile(
    r"^(Software and Configuration Checks|TTPs|Effects|Unusual Behaviors|Sensitive Data Identifications)(/[^/]+){0,2}$"
)
NOW = "2026-11-24T10:00:02Z"


def test_a_failing_finding_has_every_required_attribute() -> None:
    f = make_finding()
    doc = asff.to_asff(f, make_policy_info(), generated_at=NOW, tool_version="0.1.0")
    assert set(doc) >= REQUIRED
    assert doc["SchemaVersion"] == "2018-10-08"
    assert doc["ProductArn"] == "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    assert doc["GeneratorId"] == "network-isolation"
    assert doc["AwsAccountId"] == "123456789012" and doc["Region"] == "us-east-1"
    assert doc["Severity"] == {"Label": "HIGH", "Original": "high"} == doc["FindingProviderFields"]["Severity"]
    assert doc["Compliance"] == {"Status": "FAILED", "RelatedRequirements": ["nist-800-53 SC-7"]}
    assert doc["Workflow"] == {"Status": "NEW"} and doc["RecordState"] == "ACTIVE"
    assert doc["Remediation"]["Recommendation"] == {"Text": "Fix it.", "Url": "https://docs.aws.amazon.com/sagemaker/"}
    resource = doc["Resources"][0]
    assert resource["Type"] == "Other" and resource["Id"] == f.resource.arn and resource["Partition"] == "aws"
    assert resource["Details"]["Other"]["Evidence0Path"] == "$.enable_network_isolation"
    assert all(TYPES_RE.match(t) for t in doc["Types"])


@pytest.mark.parametrize(
    ("status", "expected"),
    [("PASS", "PASSED"), ("FAIL", "FAILED"), ("WAIVED", "FAILED"), ("ERROR", "WARNING"), ("UNKNOWN", "NOT_AVAILABLE")],
)
def test_compliance_status_by_status_value(status: str, expected: str) -> None:
    doc = asff.to_asff(make_finding(status=Status(status)), make_policy_info(), generated_at=NOW)
    assert doc["Compliance"]["Status"] == expected


def test_the_id_is_stable_per_policy_and_job_and_differs_otherwise() -> None:
    a = asff.to_asff(make_finding(), make_policy_info(), generated_at=NOW)
    b = asff.to_asff(make_finding(), make_policy_info(), generated_at="2026-12-01T00:00:00Z")
    other_job = asff.to_asff(make_finding(name="job-2"), make_policy_info(), generated_at=NOW)
    other_policy = asff.to_asff(make_finding("vpc-configured"), make_policy_info("vpc-configured"), generated_at=NOW)
    assert a["Id"] == b["Id"]
    assert len({a["Id"], other_job["Id"], other_policy["Id"]}) == 3
    assert len(a["Id"]) <= 512


def test_title_and_description_are_cut_to_security_hubs_limits() -> None:
    policy = dataclasses.replace(make_policy_info(), title="T" * 400, description="word " * 600)
    f = dataclasses.replace(make_finding(), message="m" * 2000)
    doc = asff.to_asff(f, policy, generated_at=NOW)
    assert len(doc["Title"]) == asff.TITLE_MAX and doc["Title"].endswith("\u2026")
    assert len(doc["Description"]) <= asff.DESCRIPTION_MAX and doc["Description"].endswith("\u2026")
    long_fix = dataclasses.replace(policy, remediation={"summary": "x" * 900})
    assert len(asff.to_asff(f, long_fix, generated_at=NOW)["Remediation"]["Recommendation"]["Text"]) <= 512


def test_related_requirements_are_capped_in_number_and_length() -> None:
    frameworks = {"a-very-long-framework-name-" + "x" * 50: ("CONTROL-1",), "nist-800-53": tuple(f"AC-{i}" for i in range(40))}
    policy = dataclasses.replace(make_policy_info(), frameworks=frameworks)
    requirements = asff.to_asff(make_finding(), policy, generated_at=NOW)["Compliance"]["RelatedRequirements"]
    assert len(requirements) == asff.RELATED_REQUIREMENTS_MAX
    assert all(len(r) <= asff.REQUIREMENT_MAX for r in requirements)


def test_many_evidence_items_stay_under_the_details_limits() -> None:
    evidence = tuple(Evidence(f"$.p{i}", "equals", True, ("v" * 5000,), False) for i in range(80))
    f = dataclasses.replace(make_finding(), evidence=evidence)
    doc = asff.to_asff(f, make_policy_info(), generated_at=NOW)
    other = doc["Resources"][0]["Details"]["Other"]
    assert len(other) <= asff.OTHER_DETAILS_MAX
    assert all(len(k) <= 128 and len(v) <= 1024 for k, v in other.items())
    assert asff.size_of(doc) < asff.FINDING_MAX_BYTES


def test_types_follow_the_taxonomy_and_name_known_frameworks_only() -> None:
    policy = dataclasses.replace(
        make_policy_info(), frameworks={"nist-800-53": ("SC-7",), "iso-27001-2022": ("A.8.20",), "house-rules": ("R1",)}
    )
    types = asff.types_of(policy)
    assert types == [
        "Software and Configuration Checks/AWS Security Best Practices",
        "Software and Configuration Checks/Industry and Regulatory Standards/NIST 800-53 Controls (USA)",
        "Software and Configuration Checks/Industry and Regulatory Standards/ISO 27001 Controls",
    ]
    assert all(TYPES_RE.match(t) for t in types)


def test_partitions_in_product_arns() -> None:
    assert asff.product_arn("111122223333", "cn-north-1").startswith("arn:aws-cn:securityhub:cn-north-1:")
    assert asff.product_arn("111122223333", "us-gov-west-1").startswith("arn:aws-us-gov:")


def test_batches_respect_the_count_and_the_byte_limits() -> None:
    docs = [asff.to_asff(make_finding(name=f"job-{i}"), make_policy_info(), generated_at=NOW) for i in range(250)]
    assert [len(b) for b in asff.batches(docs)] == [100, 100, 50]
    size = asff.size_of(docs[0])
    small = asff.batches(docs, max_bytes=size * 10)
    assert all(sum(asff.size_of(d) + 1 for d in b) + 64 <= size * 10 for b in small)
    assert sum(len(b) for b in small) == 250 and max(len(b) for b in small) < 10


def test_request_file_findings_cannot_be_sent() -> None:
    f = make_finding(account_id="", region="")
    assert not asff.can_send(f)


def test_the_asff_file_holds_open_and_waived_findings_only() -> None:
    waived = dataclasses.replace(make_finding(name="w"), status=Status.WAIVED, waiver=Waiver("accepted risk", "ml"))
    findings = [make_finding(), waived, make_finding(name="p", status=Status.PASS), make_finding(name="r", account_id="", region="")]
    result = make_result(findings)
    docs = documents(result, NOW)
    assert [d["Resources"][0]["Details"]["Other"]["TrainingJobName"] for d in docs] == ["job-1", "w"]
    suppressed = docs[1]
    assert suppressed["Workflow"] == {"Status": "SUPPRESSED"}
    assert suppressed["Note"]["Text"] == "Waived by smscan: accepted risk"
    text = render_report("asff", result, RenderOptions(generated_at=NOW))
    assert json.loads(text) == json.loads(json.dumps(docs))
    with_passed = documents(result, NOW, include_passed=True)
    passed = next(d for d in with_passed if d["Compliance"]["Status"] == "PASSED")
    assert passed["RecordState"] == "ARCHIVED"


def test_every_status_has_a_mapping() -> None:
    from smscan.reports.ocsf import COMPLIANCE_STATUS

    assert set(asff.COMPLIANCE) == {s.value for s in Status} == set(COMPLIANCE_STATUS)
