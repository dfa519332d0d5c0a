"""The fast path is exact: smscan's engine and the straightforward jsonpath-ng baseline
(bench/baseline_engine.py) give the same status for every (policy, record) of a generated
fleet, and the engine's three ways to a verdict (statuses, judge, holds) agree. No timings."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest

from bench.baseline_engine import BaselineEngine
from bench.fleet import fleet
from smscan.cli.config import load_config
from smscan.cli.scan import DEMO_CONFIG
from smscan.engine import Engine
from smscan.models import Origin, Record, Status
from smscan.policy.conditions import EvalContext
from smscan.policy.loader import load_policies
from smscan.policy.operators import TypeMismatch


def _odd_records() -> list[dict[str, Any]]:
    """Shapes a generated fleet rarely has: wrong types, empty values, missing maps."""
    base = next(fleet(1, seed=3))
    odd: list[dict[str, Any]] = [{}, {"training_job_name": "bare"}]
    for field, value in (
        ("enable_network_isolation", 1),
        ("enable_network_isolation", "true"),
        ("stopping_condition", {"MaxRuntimeInSeconds": True}),
        ("stopping_condition", {"MaxRuntimeInSeconds": 10, "MaxWaitTimeInSeconds": "x"}),
        ("stopping_condition", "3600"),
        ("enable_managed_spot_training", True),
        ("tags", {"owner": "", "cost-center": None}),
        ("tags", ["owner"]),
        ("environment", {"API_TOKEN": "changeme", "nested": {"PASSWORD": "hunter2"}}),
        ("environment", "AKIAABCDEFGHIJKLMNOP"),
        ("hyper_parameters", {}),
        ("vpc_config", {"Subnets": [], "SecurityGroupIds": ["sg-1"]}),
        ("vpc_config", {"Subnets": ["subnet-x", None], "SecurityGroupIds": "sg-1"}),
        ("resource_config", {"InstanceGroups": [{"InstanceCount": "2", "InstanceType": 5}]}),
        ("resource_config", {"InstanceGroups": "g", "InstanceCount": 2.5}),
        ("algorithm_specification", {"TrainingImage": 7}),
        ("algorithm_specification", {"TrainingImage": "img", "AlgorithmName": "x"}),
        ("input_data_config", [{"DataSource": {"FileSystemDataSource": {"FileSystemAccessMode": None}}}]),
        ("input_data_config", {"DataSource": 1}),
        ("retry_strategy", {"MaximumRetryAttempts": None}),
        ("remote_debug_config", {"EnableRemoteDebug": "true"}),
        ("output_data_config", {"KmsKeyId": "", "S3OutputPath": 3}),
    ):
        record = copy.deepcopy(base)
        record[field] = value
        odd.append(record)
    return odd


def _records() -> list[dict[str, Any]]:
    return list(fleet(3000, seed=11)) + list(fleet(500, seed=12, remediated=0.9)) + _odd_records()


@pytest.mark.parametrize("params", ["defaults", "demo-allowlists"])
def test_engine_and_baseline_agree_on_every_policy_and_record(params: str) -> None:
    settings = load_config(str(DEMO_CONFIG)).params if params == "demo-allowlists" else {}
    policies = load_policies((), settings)
    engine, baseline = Engine(policies), BaselineEngine(policies)
    seen: Counter[Status] = Counter()
    for i, data in enumerate(_records()):
        fast = engine.statuses(data)
        slow = [status for _, status in baseline.evaluate(data)]
        assert fast == slow, {p.id: (a, b) for p, a, b in zip(policies, fast, slow, strict=True) if a != b} | {"record": i}
        seen.update(fast)
    # Not vacuous: the fleet reaches every status.
    assert set(seen) == {Status.PASS, Status.FAIL, Status.NOT_APPLICABLE, Status.ERROR}


def _holds_status(policy: Any, data: dict[str, Any]) -> Status:
    ctx = EvalContext(data)
    try:
        if policy.when is not None and not policy.when.holds(ctx):
            return Status.NOT_APPLICABLE
        return Status.PASS if policy.check.holds(ctx) else Status.FAIL
    except (TypeMismatch, RecursionError):
        return Status.ERROR


def test_compiled_verdicts_match_the_evidence_path_and_findings() -> None:
    policies = load_policies((), load_config(str(DEMO_CONFIG)).params)
    engine = Engine(policies)
    for i, data in enumerate(list(fleet(400, seed=5)) + _odd_records()):
        record = Record(data, Origin("fleet", i + 1))
        judged = engine.judge(record)
        assert [s for _, s, _ in judged] == engine.statuses(data)
        assert [s for _, s, _ in judged] == [_holds_status(p, data) for p in policies]
        for _, status, finding in judged:
            assert (finding is not None) == (status in (Status.FAIL, Status.ERROR))
            assert finding is None or finding.status is status
