"""The lifecycle rules, without a network: what a scan creates, updates, archives and suppresses.

The "existing" findings are what GetFindings returns: ASFF plus the service's own fields
(Workflow, Note, ProcessedAt), shaped like the GetFindings example response of the AWS
Security Hub API Reference. The rules answer the problems Prowler's users reported:
findings of deleted resources left active (prowler#2843), and a scan of other checks
archiving everything else (prowler#1626).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from smscan.models import Finding, Problem, ScanResult, Status, Waiver
from smscan.sinks import asff
from smscan.sinks.lifecycle import plan_sync
from tests.factories import job_arn, make_finding, make_policy_info, make_result

NOW = "2026-11-25T03:00:00Z"
BEFORE = "2026-11-24T03:00:00Z"
AWS_SCOPE = {
    "source": "aws",
    "accounts": ["123456789012"],
    "regions": ["us-east-1"],
    "scanned_pairs": ["123456789012/us-east-1"],
    "filters": {"statuses": ["Completed", "Failed", "InProgress", "Stopped", "Stopping"], "created_after": None, "name_contains": None},
    "shard": None,
}


def aws_result(findings: list[Finding], scope: dict[str, Any] | None = None, errors: list[Problem] | None = None) -> ScanResult:
    result = make_result(findings, policies=[make_policy_info("network-isolation"), make_policy_info("vpc-configured")], errors=errors)
    return dataclasses.replace(result, meta=dataclasses.replace(result.meta, scope=scope or AWS_SCOPE))


def held(name: str, policy: str = "network-isolation", **service: Any) -> dict[str, Any]:
    doc = asff.to_asff(make_finding(policy, name=name), make_policy_info(policy), generated_at=BEFORE, tool_version="0.1.0")
    doc.update({"Workflow": {"Status": "NEW"}, "ProcessedAt": BEFORE, "WorkflowState": "NEW", **service})
    return doc


def test_a_new_failure_is_created_and_a_known_one_updated_keeping_created_at() -> None:
    result = aws_result([make_finding(name="old"), make_finding(name="new")])
    plan = plan_sync(result, {job_arn("old"), job_arn("new")}, [held("old")], generated_at=NOW)
    kinds = {d["Resources"][0]["Details"]["Other"]["TrainingJobName"]: plan.kinds[d["Id"]] for d in plan.imports}
    assert kinds == {"old": "updated", "new": "created"}
    updated = next(d for d in plan.imports if plan.kinds[d["Id"]] == "updated")
    assert updated["CreatedAt"] == BEFORE and updated["UpdatedAt"] == NOW
    assert "Workflow" not in updated  # a customer's workflow is not the provider's to reset
    created = next(d for d in plan.imports if plan.kinds[d["Id"]] == "created")
    assert created["Workflow"] == {"Status": "NEW"}


def test_a_fixed_finding_is_passed_and_archived() -> None:
    result = aws_result([make_finding(name="a", status=Status.PASS)])
    plan = plan_sync(result, {job_arn("a")}, [held("a")], generated_at=NOW)
    (doc,) = plan.imports
    assert plan.kinds[doc["Id"]] == "archived"
    assert doc["RecordState"] == "ARCHIVED" and doc["Compliance"]["Status"] == "PASSED"
    assert "Workflow" not in doc and "ProcessedAt" not in doc  # service fields are not sent back


def test_a_job_that_vanished_is_archived_after_a_complete_whole_scope_scan() -> None:
    plan = plan_sync(aws_result([]), set(), [held("gone")], generated_at=NOW)
    (doc,) = plan.imports
    assert doc["RecordState"] == "ARCHIVED" and doc["Compliance"]["Status"] == "FAILED"


def test_an_incomplete_scan_archives_nothing() -> None:
    result = aws_result([], errors=[Problem("aws:123456789012/us-east-1", "AccessDenied", kind="aws")])
    plan = plan_sync(result, {job_arn("fixed")}, [held("gone"), held("fixed")], generated_at=NOW)
    assert plan.imports == [] and plan.kinds == {}
    assert any("incomplete" in n for n in plan.notes)


def test_a_narrowed_scan_archives_fixed_findings_but_keeps_unseen_ones() -> None:
    scope = {**AWS_SCOPE, "filters": {**AWS_SCOPE["filters"], "name_contains": "team-a"}}
    plan = plan_sync(aws_result([], scope), {job_arn("fixed")}, [held("gone"), held("fixed")], generated_at=NOW)
    assert [d["Resources"][0]["Id"] for d in plan.imports] == [job_arn("fixed")]
    assert any("a job filter narrows the jobs" in n for n in plan.notes)
    shard = {**AWS_SCOPE, "shard": "1/2"}
    assert plan_sync(aws_result([], shard), set(), [held("gone")], generated_at=NOW).imports == []


def test_findings_of_policies_not_in_this_scan_are_left_alone() -> None:
    plan = plan_sync(aws_result([]), set(), [held("x", policy="retry-limit")], generated_at=NOW)
    assert plan.imports == []


def test_other_integrations_findings_under_the_default_product_are_never_touched() -> None:
    foreign = held("x")
    foreign["Id"] = "custodian/policy-1/" + job_arn("x")
    foreign["ProductFields"] = {"ProviderName": "CloudCustodian"}
    assert plan_sync(aws_result([]), set(), [foreign], generated_at=NOW).imports == []


def test_a_waived_finding_is_imported_then_suppressed_once() -> None:
    waived = dataclasses.replace(make_finding(name="w"), status=Status.WAIVED, waiver=Waiver("accepted until Q3", "ml-platform"))
    plan = plan_sync(aws_result([waived]), {job_arn("w")}, [], generated_at=NOW)
    assert [plan.kinds[d["Id"]] for d in plan.imports] == ["created"]
    (s,) = plan.suppressions
    assert (s.workflow, s.note) == ("SUPPRESSED", "Waived by smscan: accepted until Q3")
    already = held("w", Workflow={"Status": "SUPPRESSED"}, Note={"Text": s.note, "UpdatedBy": "smscan", "UpdatedAt": BEFORE})
    again = plan_sync(aws_result([waived]), {job_arn("w")}, [already], generated_at=NOW)
    assert again.suppressions == [] and [again.kinds[d["Id"]] for d in again.imports] == ["updated"]


def test_an_expired_waiver_reopens_what_smscan_suppressed_but_not_what_a_person_did() -> None:
    ours = held("a", Workflow={"Status": "SUPPRESSED"}, Note={"Text": "Waived by smscan: x", "UpdatedBy": "smscan", "UpdatedAt": BEFORE})
    theirs = held("b", Workflow={"Status": "SUPPRESSED"}, Note={"Text": "false positive", "UpdatedBy": "alice", "UpdatedAt": BEFORE})
    plan = plan_sync(aws_result([make_finding(name="a"), make_finding(name="b")]), {job_arn("a"), job_arn("b")}, [ours, theirs], generated_at=NOW)
    assert [(s.finding_id, s.workflow) for s in plan.suppressions] == [(ours["Id"], "NEW")]


def test_only_failed_sends_open_findings_and_nothing_else() -> None:
    waived = dataclasses.replace(make_finding(name="w"), status=Status.WAIVED, waiver=Waiver("r"))
    error = make_finding(name="e", status=Status.ERROR)
    result = aws_result([make_finding(name="f"), waived, error])
    plan = plan_sync(result, {job_arn("f"), job_arn("w"), job_arn("e")}, [held("gone")], generated_at=NOW, only_failed=True)
    assert sorted(d["Resources"][0]["Details"]["Other"]["TrainingJobName"] for d in plan.imports) == ["e", "f"]
    assert plan.suppressions == []


def test_findings_without_an_account_are_counted_as_skipped() -> None:
    plan = plan_sync(aws_result([make_finding(name="r", account_id="", region="")]), set(), [], generated_at=NOW)
    assert plan.imports == [] and plan.skipped == 1
