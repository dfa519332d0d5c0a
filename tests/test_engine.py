"""The condition language's semantics, one rule per test (docs/POLICIES.md is the spec)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smscan.models import Status
from tests.policy_helpers import judge, load_one

ISOLATION = """
check:
  path: $.enable_network_isolation
  equals: true
"""


@pytest.mark.parametrize(
    ("record", "status"),
    [
        ({"enable_network_isolation": True}, Status.PASS),
        ({"enable_network_isolation": False}, Status.FAIL),
        ({}, Status.FAIL),  # missing never satisfies a value operator
        ({"enable_network_isolation": None}, Status.FAIL),  # null counts as missing
        ({"enable_network_isolation": 1}, Status.FAIL),  # true never equals 1
    ],
)
def test_equals_true_and_missing_field(tmp_path: Path, record: dict, status: Status) -> None:
    assert judge(load_one(tmp_path, ISOLATION), record).status is status


def test_multi_match_defaults_to_all_and_any_is_optional(tmp_path: Path) -> None:
    body = """
    check:
      path: $.vpc_config.Subnets[*]
      in: [subnet-a, subnet-b]
      match: {match}
    """
    all_policy = load_one(tmp_path, body.format(match="all"))
    any_policy = load_one(tmp_path, body.format(match="any"))
    mixed = {"vpc_config": {"Subnets": ["subnet-a", "subnet-x"]}}
    assert judge(all_policy, mixed).status is Status.FAIL
    assert judge(any_policy, mixed).status is Status.PASS
    assert judge(all_policy, {"vpc_config": {"Subnets": ["subnet-a", "subnet-b"]}}).status is Status.PASS
    assert judge(all_policy, {"vpc_config": {"Subnets": []}}).status is Status.FAIL  # nothing matched


def test_wrong_type_is_error_never_pass(tmp_path: Path) -> None:
    policy = load_one(
        tmp_path,
        """
        check:
          path: $.stopping_condition.MaxRuntimeInSeconds
          le: 86400
        """,
    )
    verdict = judge(policy, {"stopping_condition": {"MaxRuntimeInSeconds": "forever"}})
    assert verdict.status is Status.ERROR
    assert verdict.finding is not None
    assert "le needs a number" in verdict.finding.message
    assert "forever" not in verdict.finding.message  # values never appear in errors


def test_when_scopes_to_not_applicable(tmp_path: Path) -> None:
    policy = load_one(
        tmp_path,
        """
        when:
          path: $.enable_managed_spot_training
          equals: true
        check:
          path: $.checkpoint_config.S3Uri
          not_empty: true
        """,
    )
    assert judge(policy, {"enable_managed_spot_training": False}).status is Status.NOT_APPLICABLE
    assert judge(policy, {"enable_managed_spot_training": True}).status is Status.FAIL
    ok = {"enable_managed_spot_training": True, "checkpoint_config": {"S3Uri": "s3://b/ckpt"}}
    assert judge(policy, ok).status is Status.PASS


def test_param_leaf_and_param_value_with_override(tmp_path: Path) -> None:
    body = """
    params:
      allowed: []
    when:
      param: allowed
      not_empty: true
    check:
      path: $.vpc_config.Subnets[*]
      in: {param: allowed}
    """
    record = {"vpc_config": {"Subnets": ["subnet-a"]}}
    assert judge(load_one(tmp_path, body), record).status is Status.NOT_APPLICABLE
    assert judge(load_one(tmp_path, body, allowed=["subnet-a"]), record).status is Status.PASS
    assert judge(load_one(tmp_path, body, allowed=["subnet-b"]), record).status is Status.FAIL


def test_path_reference_value(tmp_path: Path) -> None:
    policy = load_one(
        tmp_path,
        """
        check:
          path: $.stopping_condition.MaxWaitTimeInSeconds
          ge: {path: $.stopping_condition.MaxRuntimeInSeconds}
        """,
    )
    sc = "stopping_condition"
    assert judge(policy, {sc: {"MaxWaitTimeInSeconds": 7200, "MaxRuntimeInSeconds": 3600}}).status is Status.PASS
    assert judge(policy, {sc: {"MaxWaitTimeInSeconds": 60, "MaxRuntimeInSeconds": 3600}}).status is Status.FAIL
    assert judge(policy, {sc: {"MaxWaitTimeInSeconds": 60}}).status is Status.FAIL  # reference missing


@pytest.mark.parametrize(
    ("operator", "value", "record_value", "status"),
    [
        ("exists", True, "x", Status.PASS),
        ("absent", True, None, Status.PASS),
        ("empty", True, [], Status.PASS),
        ("not_empty", True, [], Status.FAIL),
        ("not_equals", "Failed", "Completed", Status.PASS),
        ("not_in", ["a"], "b", Status.PASS),
        ("matches", "^ml\\.p[345]", "ml.p4d.24xlarge", Status.PASS),
        ("not_matches", "^ml\\.p", "ml.m5.large", Status.PASS),
        ("contains", "k", {"k": "v"}, Status.PASS),
        ("contains", "b", ["a"], Status.FAIL),
        ("starts_with", ["763104351884.dkr.ecr."], "763104351884.dkr.ecr.us-east-1.amazonaws.com/x", Status.PASS),
        ("has_keys", ["owner"], {"owner": ""}, Status.FAIL),  # an empty value is not a tag
        ("gt", 1, 2, Status.PASS),
        ("lt", 1, 2, Status.FAIL),
        ("length_ge", 2, ["a", "b"], Status.PASS),
        ("length_le", 1, "abc", Status.FAIL),
    ],
)
def test_operator_table(tmp_path: Path, operator: str, value: object, record_value: object, status: Status) -> None:
    import json

    policy = load_one(tmp_path, f"check:\n  path: $.environment.FIELD\n  {operator}: {json.dumps(value)}\n")
    assert judge(policy, {"environment": {"FIELD": record_value}}).status is status


def test_no_secrets_masks_evidence_and_message(tmp_path: Path) -> None:
    secret = "AKIA" + "Q3EGRIMZ7XP5JKTW"
    policy = load_one(
        tmp_path,
        """
        check:
          path: $.environment
          no_secrets: true
        message: "Training job {{ job_name }} has {{ evidence[0].actual | length }} secret(s): {{ record.environment }}"
        """,
    )
    verdict = judge(policy, {"training_job_name": "j1", "environment": {"AWS_ACCESS_KEY_ID": secret, "MODE": "x"}})
    assert verdict.status is Status.FAIL
    assert verdict.finding is not None
    text = repr(verdict.finding)
    assert secret not in text
    assert "AWS_ACCESS_KEY_ID" in verdict.finding.evidence[0].actual[0]
    assert verdict.finding.message.startswith("Training job j1 has 1 secret(s)")
    assert judge(policy, {"environment": {"MODE": "x"}}).status is Status.PASS
    assert judge(policy, {}).status is Status.PASS  # a missing map holds no secret


def test_evidence_names_path_operator_and_values(tmp_path: Path) -> None:
    verdict = judge(load_one(tmp_path, ISOLATION), {"enable_network_isolation": False})
    assert verdict.finding is not None
    [ev] = verdict.finding.evidence
    assert (ev.path, ev.operator, ev.expected, ev.actual, ev.satisfied) == (
        "$.enable_network_isolation", "equals", True, (False,), False
    )


def test_shared_paths_are_looked_up_once_per_record(tmp_path: Path) -> None:
    from smscan.models import Origin, Record
    from smscan.policy.conditions import EvalContext

    policy = load_one(tmp_path, ISOLATION)
    ctx = EvalContext({"enable_network_isolation": True})
    assert policy.check.holds(ctx) and policy.check.holds(ctx)
    assert list(ctx.cache) == ["$.enable_network_isolation"]
    assert Record(data={}, origin=Origin("x")).key == ""


def test_fields_read_reports_top_level_fields(tmp_path: Path) -> None:
    from smscan.engine import Engine

    policy = load_one(
        tmp_path,
        """
        when: {path: $.enable_managed_spot_training, equals: true}
        check: {path: $.stopping_condition.MaxWaitTimeInSeconds, ge: {path: $.resource_config.X}}
        """,
    )
    assert Engine([policy]).fields_read() == {"enable_managed_spot_training", "stopping_condition", "resource_config"}
    wild = load_one(tmp_path, "check: {path: '$..Subnets', exists: true}\n")
    assert Engine([wild]).fields_read() is None


def test_request_file_findings_point_at_the_offending_key_or_the_job(tmp_path: Path) -> None:
    from smscan.engine import Engine
    from smscan.models import Origin, Record

    policy = load_one(tmp_path, "check: {path: '$.vpc_config.Subnets[*]', in: [subnet-ok]}\n")
    lines = {"": 3, "/vpc_config": 10, "/vpc_config/Subnets": 11}
    record = Record(data={"vpc_config": {"Subnets": ["subnet-bad"]}}, origin=Origin("job.json", 3, ""), key_lines=lines)
    finding = next(Engine([policy]).evaluate(record)).finding
    assert finding is not None and finding.location is not None
    assert (finding.location.path, finding.location.line) == ("job.json", 11)
    missing = Record(data={}, origin=Origin("job.json", 3, ""), key_lines={"": 3})
    finding = next(Engine([policy]).evaluate(missing)).finding
    assert finding is not None and finding.location is not None and finding.location.line == 3


def test_evidence_masks_a_secret_read_without_its_key(tmp_path: Path) -> None:
    # `$.environment.*` yields bare values: DB_PASSWORD's value alone looks harmless,
    # but it is a secret by its key, so it must be masked wherever evidence shows it.
    policy = load_one(tmp_path, "check: {path: '$.environment.*', length_le: 3}\n")
    verdict = judge(policy, {"training_job_name": "j", "environment": {"DB_PASSWORD": "hunter2hunter2", "A": "b"}})
    assert verdict.status is Status.FAIL and verdict.finding is not None
    assert "hunter2hunter2" not in repr(verdict.finding)
    assert "b" in verdict.finding.evidence[0].actual  # what is not a secret stays readable


def test_contains_with_a_list_on_a_map_is_error_not_a_crash(tmp_path: Path) -> None:
    policy = load_one(tmp_path, "check: {path: $.tags, contains: [owner]}\n")
    assert judge(policy, {"tags": {"owner": "me"}}).status is Status.ERROR
    assert judge(policy, {"tags": ["x", ["owner"]]}).status is Status.PASS
