"""The default live scan describes only the jobs a describe-reading policy applies to.

remote-debug-disabled reads RemoteDebugConfig, which only DescribeTrainingJob returns; its
`when:` admits running jobs (and jobs with no status yet). A fleet of finished jobs is then
judged from Search alone, at a few calls for hundreds of jobs, with every policy still
evaluated on every job it applies to.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from smscan.engine import Engine
from smscan.models import Record, Status
from smscan.policy.loader import load_policies
from smscan.policy.model import Policy
from smscan.policy.scope import expensive_scope
from smscan.sources.aws.plans import describe_only_fields
from smscan.sources.aws.source import AwsOptions, AwsSource
from tests.moto_server import aws_env, create_jobs, sagemaker, set_status
from tests.policy_helpers import load_one

__all__ = ["aws_env"]


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


def _scan(policies: list[Policy], fetch: str = "auto") -> tuple[dict[str, Record], AwsSource]:
    engine = Engine(policies)
    source = AwsSource(
        AwsOptions(regions=("us-east-1",), fetch=fetch),
        engine.fields_read(),
        describe_scope=expensive_scope(policies, describe_only_fields()),
    )
    records: dict[str, Record] = {}
    for item in source.items():
        assert isinstance(item, Record), item
        assert item.key not in records
        records[item.key] = item
    return records, source


def test_a_finished_fleet_costs_well_under_005_calls_a_job(moto: None) -> None:
    names = create_jobs(sagemaker(), 250)
    for name in names:
        set_status(name, "Completed")
    policies = load_policies((), {})
    records, source = _scan(policies)
    calls = source.report().api_calls
    assert len(records) == 250
    assert calls.get("DescribeTrainingJob", 0) == 0, calls
    assert sum(calls.values()) / 250 <= 0.05, calls
    assert source.report().scope["fetch_plan"] == "search+describe"
    assert any("250 job(s) not described" in note for note in map(str, source.report().notes))
    # Every policy is still judged on every job: remote-debug-disabled is out of scope of
    # finished jobs by its own when:, whatever a describe would have said.
    engine = Engine(policies)
    for record in records.values():
        statuses = dict(zip((p.id for p in policies), engine.statuses(record.data), strict=True))
        assert statuses["remote-debug-disabled"] is Status.NOT_APPLICABLE


def test_running_jobs_are_described_and_finished_ones_are_not(moto: None) -> None:
    names = create_jobs(sagemaker(), 40)
    running = {n for i, n in enumerate(names) if i % 4 == 0}
    for name in names:
        set_status(name, "InProgress" if name in running else "Stopped")
    records, source = _scan(load_policies((), {}))
    assert len(records) == 40
    assert source.report().api_calls["DescribeTrainingJob"] == len(running)


def test_judge_finished_jobs_describes_every_job(moto: None) -> None:
    names = create_jobs(sagemaker(), 30)
    for name in names:
        set_status(name, "Completed")
    policies = load_policies((), {"remote-debug-disabled": {"judge_finished_jobs": True}})
    records, source = _scan(policies)
    assert len(records) == 30
    assert source.report().api_calls["DescribeTrainingJob"] == 30


def test_fetch_describe_still_describes_every_job(moto: None) -> None:
    names = create_jobs(sagemaker(), 20)
    for name in names:
        set_status(name, "Completed")
    _, source = _scan(load_policies((), {}), fetch="describe")
    assert source.report().api_calls["DescribeTrainingJob"] == 20


EXPENSIVE = frozenset({"remote_debug_config"})


def test_a_describe_reading_policy_without_when_needs_every_job(tmp_path: Path) -> None:
    policy = load_one(tmp_path,
        "check: {path: $.remote_debug_config.EnableRemoteDebug, equals: false}\n"
    )
    assert expensive_scope([policy], EXPENSIVE) is None


def test_a_when_that_reads_the_expensive_field_needs_every_job(tmp_path: Path) -> None:
    policy = load_one(tmp_path,
        "when: {path: $.remote_debug_config, exists: true}\n"
        "check: {path: $.remote_debug_config.EnableRemoteDebug, equals: false}\n"
    )
    assert expensive_scope([policy], EXPENSIVE) is None


def test_policies_that_read_no_expensive_field_need_no_describe(tmp_path: Path) -> None:
    policy = load_one(tmp_path,
        "check: {path: $.enable_network_isolation, equals: true}\n"
    )
    scope = expensive_scope([policy], EXPENSIVE)
    assert scope is not None and scope({"enable_network_isolation": False}) is False


def test_the_scope_is_the_when_judged_on_the_cheap_fields(tmp_path: Path) -> None:
    policy = load_one(tmp_path,
        "when: {path: $.training_job_status, in: [InProgress]}\n"
        "check: {path: $.remote_debug_config.EnableRemoteDebug, equals: false}\n"
    )
    scope = expensive_scope([policy], EXPENSIVE)
    assert scope is not None
    assert scope({"training_job_status": "InProgress"}) is True
    assert scope({"training_job_status": "Completed"}) is False
