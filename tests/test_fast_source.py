"""The generated verdicts (scanner/policy/fast_source.py) equal the closures they replace and
`Condition.holds`, status and error message alike, on any record; a policy file's strings
never reach the generated source."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.fleet import fleet
from smscan.engine import _FAIL, _NOT_APPLICABLE, _PASS, closure_judge
from smscan.models import Status
from smscan.policy.conditions import EvalContext
from smscan.policy.fast_source import MAX_DEPTH, compile_judge, generate
from smscan.policy.loader import load_policies
from smscan.policy.model import Policy
from smscan.policy.operators import TypeMismatch
from tests.policy_helpers import write_policy
from tests.test_engine_exactness import _odd_records
from tests.test_properties import json_values

SC, RC, VC = "$.stopping_condition", "$.resource_config", "$.vpc_config"
# when (or None) and check of each generated policy: every operator on one key, two keys and
# a wildcard, params alone, and trees whose parts can raise in either order.
POLICIES: list[tuple[Any, Any]] = [
    (None, {"path": "$.enable_network_isolation", "equals": True}),
    (None, {"path": "$.enable_network_isolation", "equals": False}),
    (None, {"path": "$.enable_network_isolation", "equals": 1}),
    (None, {"path": "$.enable_network_isolation", "equals": "true"}),
    (None, {"path": "$.enable_network_isolation", "equals": 2.5}),
    (None, {"path": "$.enable_network_isolation", "equals": None}),
    (None, {"path": "$.enable_network_isolation", "not_equals": "x"}),
    (None, {"path": "$.enable_network_isolation", "in": ["InProgress", "Stopping"]}),
    (None, {"path": "$.enable_network_isolation", "not_in": ["InProgress", ""]}),
    (None, {"path": "$.enable_network_isolation", "in": ["1", 1, True]}),
    (None, {"path": f"{SC}.MaxRuntimeInSeconds", "le": 86400}),
    (None, {"path": f"{SC}.MaxRuntimeInSeconds", "gt": 1}),
    (None, {"path": f"{SC}.MaxRuntimeInSeconds", "ge": 2.5}),
    (None, {"path": f"{SC}.MaxRuntimeInSeconds", "lt": -1}),
    (None, {"path": "$.stopping_condition", "gt": 0}),
    (None, {"path": f"{RC}.InstanceType", "matches": "^ml\\.p"}),
    (None, {"path": f"{RC}.InstanceType", "not_matches": "\\.p4d\\."}),
    (None, {"path": f"{RC}.InstanceType", "starts_with": ["ml.p", "ml.g"]}),
    (None, {"path": f"{RC}.InstanceType", "equals": "ml.p4d"}),
    (None, {"path": f"{RC}.InstanceType", "contains": "p4"}),
    (None, {"path": f"{RC}.InstanceGroups", "length_ge": 2}),
    (None, {"path": f"{RC}.InstanceGroups", "length_le": 1}),
    (None, {"path": "$.vpc_config", "has_keys": ["Subnets"]}),
    (None, {"path": f"{RC}.InstanceGroups[*].InstanceCount", "gt": 1, "match": "any"}),
    (None, {"path": f"{RC}.InstanceGroups[*].InstanceCount", "gt": 1}),
    (None, {"path": f"{RC}.InstanceGroups[*].InstanceType", "matches": "^ml\\.g"}),
    (None, {"path": f"{RC}.InstanceGroups[*]", "exists": True}),
    (None, {"path": f"{RC}.InstanceGroups[*].InstanceType", "absent": True}),
    (None, {"path": f"{VC}.Subnets[*]", "in": ["subnet-1", "subnet-2"]}),
    (None, {"path": f"{VC}.Subnets[*]", "empty": True}),
    (None, {"path": "$.vpc_config.*", "not_empty": True}),
    (None, {"path": f"{RC}.InstanceGroups[0].InstanceType", "exists": True}),
    (None, {"path": f"{RC}.InstanceGroups[?InstanceCount > 1]", "exists": True}),
    (None, {"path": f"{VC}.Subnets", "not_empty": True}),
    (None, {"path": f"{VC}.Subnets", "empty": True}),
    (None, {"path": "$.vpc_config", "exists": True}),
    (None, {"path": "$.vpc_config", "empty": True}),
    (None, {"path": f"{VC}.SecurityGroupIds", "absent": True}),
    (None, {"path": "$.vpc_config", "no_secrets": True}),
    (None, {"path": f"{SC}.MaxRuntimeInSeconds", "ge": {"path": f"{SC}.MaxWaitTimeInSeconds"}}),
    ({"param": "limit", "not_empty": True}, {"path": f"{SC}.MaxRuntimeInSeconds", "le": {"param": "limit"}}),
    ({"param": "none", "not_empty": True}, {"path": "$.vpc_config", "exists": True}),
    ({"param": "limit", "equals": 5}, {"path": "$.vpc_config", "exists": True}),
    ({"param": "word", "gt": 1}, {"path": "$.vpc_config", "exists": True}),  # raises for every record
    (
        {"any": [{"path": f"{RC}.InstanceCount", "gt": 1}, {"path": f"{RC}.InstanceType", "matches": "x"}]},
        {"all": [{"path": f"{SC}.MaxRuntimeInSeconds", "le": 9}, {"path": f"{RC}.InstanceGroups", "length_ge": 2}]},
    ),
    (
        {"not": {"all": [{"path": f"{RC}.InstanceType", "matches": "x"}, {"path": f"{RC}.InstanceCount", "gt": 1}]}},
        {"any": [{"path": f"{RC}.InstanceGroups", "length_le": 0}, {"path": f"{SC}.MaxRuntimeInSeconds", "lt": 9},
                 {"not": {"path": "$.vpc_config.Subnets[*]", "starts_with": "subnet-"}}]},
    ),
    (
        None,
        {"all": [{"param": "limit", "exists": True}, {"path": "$.vpc_config", "not_empty": True},
                 {"any": [{"param": "none", "not_empty": True}, {"path": f"{VC}.Subnets", "length_ge": 1}]},
                 {"param": "none", "exists": True}, {"path": f"{SC}.MaxRuntimeInSeconds", "gt": 1}]},
    ),
]  # fmt: skip
PARAMS = {"limit": 100, "none": [], "word": "w"}


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> list[Policy]:
    folder = tmp_path_factory.mktemp("generated")
    paths = []
    for i, (when, check) in enumerate(POLICIES):
        text = ("when: " + json.dumps(when) + "\n" if when is not None else "") + "check: " + json.dumps(check) + "\n"
        text += "params: " + json.dumps(PARAMS) + "\n"
        paths.append(write_policy(folder, text, f"generated-{i}"))
    return load_policies(paths) + load_policies(())


def _holds(policy: Policy, data: dict[str, Any]) -> tuple[Status, str]:
    ctx = EvalContext(data)
    try:
        if policy.when is not None and not policy.when.holds(ctx):
            return _NOT_APPLICABLE
        return _PASS if policy.check.holds(ctx) else _FAIL
    except TypeMismatch as exc:
        return Status.ERROR, str(exc)


def _assert_alike(policies: list[Policy], data: dict[str, Any]) -> None:
    for policy in policies:
        generated = compile_judge(policy, _PASS, _FAIL, _NOT_APPLICABLE)
        assert generated is not None, policy.id
        verdict = generated(data, {})
        assert verdict == closure_judge(policy)(data, {}) == _holds(policy, data), (policy.id, data)
        assert verdict[0] is not Status.ERROR or verdict[1]  # an ERROR always says why


odd_values = json_values | st.sampled_from([True, False, 1, 0, 1.0, 2**64, -2.5, "", "ml.p4d.24xlarge", [], {}, None])
groups = st.lists(st.dictionaries(st.sampled_from(["InstanceType", "InstanceCount"]), odd_values), max_size=3)
records = st.fixed_dictionaries(
    {},
    optional={
        "enable_network_isolation": odd_values | st.sampled_from(["InProgress", "Stopping", "true"]),
        "stopping_condition": st.dictionaries(st.sampled_from(["MaxRuntimeInSeconds", "MaxWaitTimeInSeconds"]), odd_values)
        | odd_values,
        "resource_config": st.dictionaries(
            st.sampled_from(["InstanceType", "InstanceGroups", "InstanceCount"]), odd_values | groups
        )
        | odd_values,
        "vpc_config": st.dictionaries(
            st.sampled_from(["Subnets", "SecurityGroupIds"]),
            odd_values | st.lists(st.sampled_from(["subnet-1", "subnet-3", None, 5]), max_size=3),
        )
        | odd_values,
    },
)


@settings(max_examples=400, deadline=None)
@given(data=records)
def test_generated_verdicts_equal_the_closures_and_holds(policies: list[Policy], data: dict[str, Any]) -> None:
    _assert_alike(policies, data)


def test_generated_verdicts_equal_the_closures_and_holds_on_the_fleet(policies: list[Policy]) -> None:
    for data in list(fleet(300, seed=7)) + list(fleet(100, seed=8, remediated=0.9)) + _odd_records():
        _assert_alike(policies, data)


def test_a_policys_strings_are_names_in_the_source(tmp_path: Any) -> None:
    """Keys, arguments and params that are Python themselves stay data."""
    hostile = 'x"] or __import__("os").system("echo owned") or rec["'
    check = {"all": [{"path": f"$.tags['{hostile}']", "equals": hostile},
                     {"path": f"$.environment['{hostile}']", "in": [hostile]},
                     {"path": "$.tags", "matches": hostile.replace("[", "")}]}  # fmt: skip
    policy = load_policies([write_policy(tmp_path, "check: " + json.dumps(check) + "\n", "hostile")])[0]
    generated = generate(policy, _PASS, _FAIL, _NOT_APPLICABLE)
    assert generated is not None
    source, env = generated
    assert "import" not in source and "owned" not in source and hostile in env.values() and "tags" not in source
    judge = compile_judge(policy, _PASS, _FAIL, _NOT_APPLICABLE)
    assert judge is not None
    record = {"tags": {hostile: hostile}, "environment": {hostile: hostile}}
    assert judge(record, {}) == closure_judge(policy)(record, {}) == (Status.ERROR, "matches needs a string, the record has a map")


def test_a_tree_deeper_than_the_generator_takes_keeps_the_closures(tmp_path: Any) -> None:
    condition: Any = {"path": "$.vpc_config", "exists": True}
    for _ in range(MAX_DEPTH + 1):
        condition = {"not": condition}
    policy = load_policies([write_policy(tmp_path, "check: " + json.dumps(condition) + "\n", "deep")])[0]
    assert compile_judge(policy, _PASS, _FAIL, _NOT_APPLICABLE) is None
    shallow = load_policies([write_policy(tmp_path, "check: " + json.dumps(condition["not"]["not"]) + "\n", "ok")])
    assert compile_judge(shallow[0], _PASS, _FAIL, _NOT_APPLICABLE) is not None
