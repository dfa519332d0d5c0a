"""The IAM condition evaluator, case by case, against the documented semantics.

Sources: IAM User Guide, "Condition operators"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
and "Single-valued vs. multivalued context keys"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html);
the published statements in tests/fixtures/guardrails (see its README).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smscan.guardrails.evaluate import EvaluationError, condition_holds, denying_statements

FIXTURES = Path(__file__).parent / "fixtures" / "guardrails"
CREATE = "sagemaker:CreateTrainingJob"


# "If the key that you specify in a policy condition is not present in the request context, the
# values do not match and the condition is false. If the policy condition requires that the key
# is not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
# condition is true."
@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", False),
        ("StringNotEquals", True),
        ("StringNotLike", True),
        ("ArnNotLike", True),
        ("NumericGreaterThan", False),
        ("NumericNotEquals", True),
        ("Bool", False),
        ("BoolIfExists", True),
        ("NumericGreaterThanIfExists", True),
        ("ForAnyValue:StringNotEquals", False),  # the corner case: absent -> false
        ("ForAnyValue:StringEquals", False),
        ("ForAllValues:StringEquals", True),  # "also returns true if there are no context keys"
        ("ForAllValues:StringNotLike", True),
    ],
)
def test_an_absent_key(operator: str, expected: bool) -> None:
    value = "false" if operator.startswith("Bool") else "1" if "Numeric" in operator else "arn:aws:iam::*:role/x" if "Arn" in operator else "x"
    assert condition_holds(operator, "sagemaker:Anything", value, {}) is expected


def test_null_tests_presence_only() -> None:
    assert condition_holds("Null", "sagemaker:VolumeKmsKey", "true", {}) is True
    assert condition_holds("Null", "sagemaker:VolumeKmsKey", "false", {}) is False
    assert condition_holds("Null", "sagemaker:VolumeKmsKey", "true", {"sagemaker:VolumeKmsKey": ("alias/k",)}) is False
    assert condition_holds("Null", "sagemaker:VolumeKmsKey", "false", {"sagemaker:VolumeKmsKey": ("alias/k",)}) is True


def test_multivalued_keys_with_set_operators() -> None:
    allowed = ["subnet-a", "subnet-b"]
    ctx = {"sagemaker:VpcSubnets": ("subnet-a", "subnet-c")}
    # Deny if ANY requested subnet is outside the allowlist.
    assert condition_holds("ForAnyValue:StringNotEquals", "sagemaker:VpcSubnets", allowed, ctx) is True
    assert condition_holds("ForAnyValue:StringNotEquals", "sagemaker:VpcSubnets", allowed, {"sagemaker:VpcSubnets": ("subnet-b", "subnet-a")}) is False
    # ForAllValues: the request's set must be a subset of the policy's.
    assert condition_holds("ForAllValues:StringEquals", "sagemaker:VpcSubnets", allowed, ctx) is False
    assert condition_holds("ForAllValues:StringEquals", "sagemaker:VpcSubnets", allowed, {"sagemaker:VpcSubnets": ("subnet-a",)}) is True


def test_negated_operators_are_a_nor_of_the_policy_values() -> None:
    key = "aws:RequestTag/team"
    assert condition_holds("StringNotEquals", key, ["a", "b"], {key: ("a",)}) is False
    assert condition_holds("StringNotEquals", key, ["a", "b"], {key: ("c",)}) is True
    assert condition_holds("StringEquals", key, ["a", "b"], {key: ("b",)}) is True


def test_string_wildcards_and_the_empty_value() -> None:
    key = "aws:RequestTag/owner"
    assert condition_holds("StringNotLike", key, "?*", {key: ("",)}) is True  # an empty tag value
    assert condition_holds("StringNotLike", key, "?*", {key: ("fraud-ml",)}) is False
    assert condition_holds("StringLike", key, "fraud-*", {key: ("fraud-ml",)}) is True
    assert condition_holds("StringLike", key, "fraud-?", {key: ("fraud-ml",)}) is False
    assert condition_holds("StringLike", key, "a.b", {key: ("aXb",)}) is False  # only * and ? are wild
    assert condition_holds("StringEqualsIgnoreCase", key, "OWNER", {key: ("owner",)}) is True


def test_numeric_and_bool() -> None:
    key = "sagemaker:MaxRuntimeInSeconds"
    assert condition_holds("NumericGreaterThan", key, "86400", {key: (86401,)}) is True
    assert condition_holds("NumericGreaterThan", key, "86400", {key: (86400,)}) is False
    assert condition_holds("NumericLessThanEquals", key, "86400", {key: ("86400",)}) is True
    assert condition_holds("Bool", "sagemaker:NetworkIsolation", "false", {"sagemaker:NetworkIsolation": (False,)}) is True
    assert condition_holds("Bool", "sagemaker:NetworkIsolation", "false", {"sagemaker:NetworkIsolation": (True,)}) is False
    with pytest.raises(EvaluationError):
        condition_holds("NumericGreaterThan", key, "86400", {key: ("a day",)})


def test_arn_operators_match_each_of_the_six_parts() -> None:
    key, pattern = "aws:PrincipalArn", "arn:aws:iam::*:role/BreakGlass"
    assert condition_holds("ArnLike", key, pattern, {key: ("arn:aws:iam::111122223333:role/BreakGlass",)}) is True
    assert condition_holds("ArnLike", key, pattern, {key: ("arn:aws:iam::111122223333:role/BreakGlassX",)}) is False
    assert condition_holds("ArnNotLike", key, pattern, {key: ("arn:aws:iam::111122223333:role/Dev",)}) is True
    assert condition_holds("ArnEquals", key, pattern, {key: ("not-an-arn",)}) is False
    sso = "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_BreakGlass_*"
    session_role = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_BreakGlass_0a1b2c3d4e5f6071"
    assert condition_holds("ArnLike", key, sso, {key: (session_role,)}) is True


def test_what_it_cannot_decide_is_an_error_never_an_allow() -> None:
    key = "sagemaker:FileSystemAccessMode"  # single-valued in the reference
    with pytest.raises(EvaluationError, match="single-valued"):
        condition_holds("StringNotEquals", key, "ro", {key: ("ro", "rw")})
    with pytest.raises(EvaluationError, match="unknown condition operator"):
        condition_holds("DateGreaterThan", "aws:CurrentTime", "2026-01-01", {})
    with pytest.raises(EvaluationError, match="policy variables"):
        condition_holds("StringEquals", "aws:RequestTag/owner", "${aws:username}", {})


def test_statement_action_matching() -> None:
    statement = {"Effect": "Deny", "Action": ["sagemaker:Create*Job"], "Resource": "*"}
    document = {"Statement": [statement | {"Sid": "S"}]}
    assert denying_statements([document], CREATE, {}) == ["S"]
    assert denying_statements([document], "sagemaker:UpdateTrainingJob", {}) == []
    with pytest.raises(EvaluationError):
        denying_statements([{"Statement": [{"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}]}], CREATE, {})


def _published(sid: str) -> dict[str, object]:
    doc = json.loads((FIXTURES / "aws_published_scps.json").read_text())
    return {"Statement": [s for s in doc["Statement"] if s["Sid"] == sid]}


def test_a_published_bool_false_statement_lets_an_omitted_flag_through() -> None:
    # A request that leaves out EnableNetworkIsolation runs without isolation, yet the key is
    # absent from its context: Bool false is false there. BoolIfExists false denies both.
    omitted: dict[str, tuple[object, ...]] = {}
    assert denying_statements([_published("DenyNotIsolated")], CREATE, omitted) == []
    assert denying_statements([_published("DenyNotIsolated")], CREATE, {"sagemaker:NetworkIsolation": (False,)}) == ["DenyNotIsolated"]
    ours = {"Statement": [{"Sid": "NetworkIsolation", "Effect": "Deny", "Action": [CREATE], "Resource": "*",
                           "Condition": {"BoolIfExists": {"sagemaker:NetworkIsolation": "false"}}}]}
    assert denying_statements([ours], CREATE, omitted) == ["NetworkIsolation"]


def test_two_keys_in_one_null_block_are_anded() -> None:
    subnets_only = {"sagemaker:VpcSubnets": ("subnet-0a1b2c3d",)}
    assert denying_statements([_published("VPCDeployment")], CREATE, subnets_only) == []
    assert denying_statements([_published("VPCDeployment")], CREATE, {}) == ["VPCDeployment"]


def test_the_published_exclusion_tag_exempts_a_principal() -> None:
    doc = _published("PreventNonVPCDeploymentSageMaker")
    assert denying_statements([doc], CREATE, {}) == ["PreventNonVPCDeploymentSageMaker"]
    assert denying_statements([doc], CREATE, {"aws:PrincipalTag/dp:exclude": ("true",)}) == []
    assert denying_statements([_published("DenyUnencryptedVolumes")], CREATE, {"sagemaker:VolumeKmsKey": ("alias/ml",)}) == []
