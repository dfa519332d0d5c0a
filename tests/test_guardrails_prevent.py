"""The `prevent:` section is checked at load like the rest of a policy: FILE:LINE:COL problems.

The condition keys and their types come from the Service Authorization Reference for SageMaker
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smscan.errors import PolicyError
from smscan.guardrails.compile import compile_guardrails
from smscan.policy.loader import load_policies
from tests.policy_helpers import load_one, write_policy

CHECK = "check: {path: $.enable_network_isolation, equals: true}\n"


def problems(tmp_path: Path, body: str) -> list[str]:
    path = write_policy(tmp_path, CHECK + body)
    with pytest.raises(PolicyError) as info:
        load_policies([path])
    return [str(p).replace(str(path), "P") for p in info.value.problems]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "prevent:\n  deny_when:\n    - Bool:\n        sagemaker:VpcSubnets: false\n",
            "P:9:9: policy test-policy: prevent.deny_when[0].Bool.sagemaker:VpcSubnets: sagemaker:VpcSubnets is of type String: use a String* operator",
        ),
        (
            "prevent:\n  deny_when:\n    - StringNotEquals:\n        sagemaker:VpcSubnets: subnet-1\n",
            "P:9:9: policy test-policy: prevent.deny_when[0].StringNotEquals.sagemaker:VpcSubnets: sagemaker:VpcSubnets is multivalued: prefix the operator with ForAnyValue: or ForAllValues:",
        ),
        (
            "prevent:\n  deny_when:\n    - ForAnyValue:Bool:\n        sagemaker:NetworkIsolation: false\n",
            "P:9:9: policy test-policy: prevent.deny_when[0].ForAnyValue:Bool.sagemaker:NetworkIsolation: sagemaker:NetworkIsolation is single-valued: use Bool without ForAnyValue:",
        ),
        (
            "prevent:\n  deny_when:\n    - Bool:\n        sagemaker:TrainingImage: false\n",
            "P:9:9: policy test-policy: prevent.deny_when[0].Bool.sagemaker:TrainingImage: unknown condition key for training jobs (see docs/GUARDRAILS.md for the keys)",
        ),
        (
            "prevent:\n  deny_when:\n    - DateGreaterThan:\n        aws:CurrentTime: '2026-01-01'\n",
            "P:8:7: policy test-policy: prevent.deny_when[0].DateGreaterThan: unknown condition operator 'DateGreaterThan' (expected one of StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike, StringNotLike, NumericEquals, NumericNotEquals, NumericLessThan, NumericLessThanEquals, NumericGreaterThan, NumericGreaterThanEquals, Bool, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Null, optionally with ForAnyValue:/ForAllValues: or IfExists)",
        ),
        (
            "prevent:\n  deny_when:\n    - NumericGreaterThan:\n        sagemaker:MaxRuntimeInSeconds: {param: max_seconds}\n",
            "P:9:9: policy test-policy: prevent.deny_when[0].NumericGreaterThan.sagemaker:MaxRuntimeInSeconds: unknown param 'max_seconds' (declared: none)",
        ),
        (
            "prevent:\n  deny_when:\n    - NumericGreaterThan:\n        sagemaker:MaxRuntimeInSeconds: a day\n",
            "P:9:9: policy test-policy: prevent.deny_when[0].NumericGreaterThan.sagemaker:MaxRuntimeInSeconds: expected a number, got 'a day'",
        ),
        (
            "prevent:\n  deny_when:\n    - StringNotLike:\n        aws:RequestTag/${TagKey}: '?*'\n",
            "P:9:9: policy test-policy: prevent.deny_when[0].StringNotLike.aws:RequestTag/${TagKey}: ${TagKey} needs a for_each list",
        ),
        (
            "prevent:\n  actions: [UpdateTrainingJob]\n  deny_when:\n    - \"Null\":\n        sagemaker:VpcSubnets: true\n",
            "P:9:7: policy test-policy: prevent.deny_when[0]: no action carries all of these condition keys together",
        ),
        (
            "prevent:\n  actions: [CreateModel]\n  deny_when:\n    - Bool: {sagemaker:NetworkIsolation: 'false'}\n",
            "P:7:3: policy test-policy: prevent.actions: unknown action 'sagemaker:CreateModel' (expected sagemaker:CreateTrainingJob, sagemaker:CreateHyperParameterTuningJob, sagemaker:UpdateTrainingJob)",
        ),
        (
            "prevent:\n  detect_only: no key\n  deny_when: []\n",
            "P:8:3: policy test-policy: prevent.deny_when: not allowed with detect_only",
        ),
        (
            "prevent: {deny: []}\n",
            "P:6:11: policy test-policy: prevent.deny: unknown key (expected one of deny_when, actions, stricter_than_detection, detect_only)",
        ),
    ],
)
def test_a_bad_prevent_section_is_reported_where_it_is(tmp_path: Path, body: str, expected: str) -> None:
    assert expected in problems(tmp_path, body)


def test_a_for_each_entry_is_reported_once_and_must_use_the_item(tmp_path: Path) -> None:
    body = "params: {tags: [a, b, c]}\nprevent:\n  deny_when:\n    - for_each: {param: tags}\n      StringNotLike:\n        aws:RequestTag/${TagKey}: 3\n"
    assert problems(tmp_path, body) == [
        "P:11:9: policy test-policy: prevent.deny_when[0].StringNotLike.aws:RequestTag/${TagKey}: expected a string, got 3"
    ]
    body = "params: {tags: [a]}\nprevent:\n  deny_when:\n    - for_each: {param: tags}\n      StringNotLike:\n        aws:RequestTag/owner: '?*'\n"
    assert problems(tmp_path, body) == ["P:9:7: policy test-policy: prevent.deny_when[0].for_each: no condition key uses ${TagKey}"]


def test_yaml_reads_a_bare_null_key_as_null(tmp_path: Path) -> None:
    # `Null:` unquoted is YAML's null, not the IAM operator: the loader says so instead of guessing.
    found = problems(tmp_path, "prevent:\n  deny_when:\n    - Null:\n        sagemaker:VpcSubnets: true\n")
    assert found == ["P:8:7: policy test-policy: mapping keys must be plain scalars"]


def test_params_resolve_into_the_statement_and_for_each_makes_one_per_item(tmp_path: Path) -> None:
    policy = load_one(
        tmp_path,
        """\
params:
  max_runtime_seconds: 3600
  required_tags: [owner, cost-center]
check: {path: $.enable_network_isolation, equals: true}
prevent:
  deny_when:
    - NumericGreaterThanIfExists:
        sagemaker:MaxRuntimeInSeconds: {param: max_runtime_seconds}
    - for_each: {param: required_tags}
      StringNotLike:
        aws:RequestTag/${TagKey}: "?*"
""",
        max_runtime_seconds=7200,
    )
    statements = {s.sid: s.to_json() for s in compile_guardrails([policy]).statements}
    assert statements["TestPolicy1"]["Condition"] == {"NumericGreaterThanIfExists": {"sagemaker:MaxRuntimeInSeconds": "7200"}}
    assert statements["TestPolicyCostCenter"]["Condition"] == {"StringNotLike": {"aws:RequestTag/cost-center": "?*"}}
    assert set(statements) == {"TestPolicy1", "TestPolicyOwner", "TestPolicyCostCenter"}
    # Tag conditions exist only on the Create actions; the reference lists none for UpdateTrainingJob.
    assert statements["TestPolicyOwner"]["Action"] == ["sagemaker:CreateTrainingJob", "sagemaker:CreateHyperParameterTuningJob"]


def test_an_empty_allowlist_leaves_its_statement_out_and_says_so(tmp_path: Path) -> None:
    policy = load_one(
        tmp_path,
        """\
params: {allowed_subnets: []}
check: {path: $.enable_network_isolation, equals: true}
prevent:
  deny_when:
    - ForAnyValue:StringNotEquals:
        sagemaker:VpcSubnets: {param: allowed_subnets}
""",
    )
    compiled = compile_guardrails([policy])
    assert compiled.statements == ()
    assert compiled.skipped == (("test-policy", "param allowed_subnets is empty"),)


def test_remote_debug_is_also_denied_on_update(tmp_path: Path) -> None:
    policy = load_one(tmp_path, CHECK + "prevent:\n  deny_when:\n    - Bool: {sagemaker:EnableRemoteDebug: true}\n")
    [statement] = compile_guardrails([policy]).statements
    assert statement.actions == ("sagemaker:CreateTrainingJob", "sagemaker:UpdateTrainingJob")
