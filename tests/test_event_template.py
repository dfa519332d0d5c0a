"""The SAM template of examples/lambda: cfn-lint clean, and least privilege by construction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

cfnlint_api = pytest.importorskip("cfnlint.api")

TEMPLATE = Path(__file__).parents[1] / "examples" / "lambda" / "template.yaml"


def _template() -> dict[str, Any]:
    decoded, matches = cfnlint_api.decode_str(TEMPLATE.read_text(encoding="utf-8"))
    assert not matches
    return dict(decoded)


def test_cfn_lint_finds_nothing() -> None:
    matches = cfnlint_api.lint(TEMPLATE.read_text(encoding="utf-8"), regions=["us-east-1", "eu-west-1"])
    assert [str(m) for m in matches] == []


def _statements(policy: Any) -> list[tuple[str | None, dict[str, Any]]]:
    """(condition, statement) of an inline policy, unwrapping `!If [Cond, policy, NoValue]`."""
    condition = None
    if isinstance(policy, dict) and "Fn::If" in policy:
        condition, policy, absent = policy["Fn::If"]
        assert absent == {"Ref": "AWS::NoValue"}
    return [(condition, s) for s in policy["PolicyDocument"]["Statement"]]


def test_the_role_grants_stop_and_add_tags_only_when_those_actions_are_on() -> None:
    role = _template()["Resources"]["FunctionRole"]["Properties"]
    granted: dict[str, set[str | None]] = {}
    for policy in role["Policies"]:
        for condition, statement in _statements(policy):
            assert statement["Effect"] == "Allow"
            assert statement["Resource"] != "*", statement
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                granted.setdefault(action, set()).add(condition)
    assert granted == {
        "sagemaker:DescribeTrainingJob": {None},
        "sagemaker:ListTags": {None},
        "sns:Publish": {None},
        "sqs:SendMessage": {None},  # the dead-letter queue of events Lambda gave up on
        "sagemaker:AddTags": {"TagOn"},
        "sagemaker:StopTrainingJob": {"StopOn"},
        "securityhub:BatchImportFindings": {"SecurityHubOn"},
        "securityhub:GetFindings": {"SecurityHubOn"},
        "securityhub:BatchUpdateFindings": {"SecurityHubOn"},
    }


def test_the_function_is_the_documented_handler_and_rules_match_the_readers() -> None:
    resources = _template()["Resources"]
    function = resources["JudgeFunction"]["Properties"]
    assert function["Handler"] == "smscan.events.lambda_handler.handler"
    from smscan.record.shapes import CLOUDTRAIL_VIA_EVENTBRIDGE, TRAINING_STATE_CHANGE

    pattern = function["Events"]["TrainingJobStateChange"]["Properties"]["Pattern"]
    assert pattern["detail-type"] == [TRAINING_STATE_CHANGE]
    assert resources["CreateTrainingJobRule"]["Properties"]["EventPattern"]["detail-type"] == [CLOUDTRAIL_VIA_EVENTBRIDGE]
    assert function["EventInvokeConfig"]["MaximumRetryAttempts"] == 2


def test_the_bundled_example_config_is_valid_and_all_dry_run() -> None:
    from smscan.events.lambda_handler import prepare

    prepared = prepare({"SMSCAN_CONFIG": str(TEMPLATE.parent / "smscan.yaml")})
    enabled = prepared.settings.enabled
    assert {rule.name for rule in enabled} == {"notify", "tag", "stop"}
    assert all(rule.dry_run for rule in enabled)
