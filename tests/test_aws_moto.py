"""AwsSource against moto in-process: pagination, statuses, tags, regions, accounts, plans."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from smscan.models import Problem, Record
from smscan.sources.aws.accounts import AccountSpec, Shard
from smscan.sources.aws.plans import Filters, describe_only_fields
from smscan.sources.aws.source import AwsOptions, AwsSource
from tests.moto_server import ACCOUNT, STATUSES, aws_env, create_jobs, job_spec, sagemaker

__all__ = ["aws_env"]  # the fixture, imported for pytest

OTHER = "111111111111"


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


def scan(
    fields: frozenset[str] | None = frozenset(), **options: Any
) -> tuple[dict[str, Record], list[Problem], AwsSource]:
    source = AwsSource(AwsOptions(**options), fields)
    records: dict[str, Record] = {}
    problems: list[Problem] = []
    for item in source.items():
        if isinstance(item, Record):
            assert item.key not in records, f"{item.key} yielded twice"
            records[item.key] = item
        else:
            problems.append(item)
    return records, problems, source


def assumed_sagemaker(account: str, region: str = "us-east-1") -> Any:
    creds = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="tests",
    )["Credentials"]
    return sagemaker(
        region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def test_describe_plan_pages_past_100_in_two_regions_with_all_statuses_and_tags(moto: None) -> None:
    us = create_jobs(sagemaker("us-east-1"), 230)
    eu = create_jobs(sagemaker("eu-west-1"), 20, prefix="eu")
    records, problems, source = scan(fetch="describe", regions=("us-east-1", "eu-west-1"))
    assert problems == []
    names = {r.data["training_job_name"] for r in records.values()}
    assert names == set(us) | set(eu)
    assert {r.data["training_job_status"] for r in records.values()} == set(STATUSES)
    job7 = records[f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/job-0007"].data
    assert job7["tags"] == {"team": "t3", "index": "7"}
    assert job7["region"] == "us-east-1" and job7["account_id"] == ACCOUNT
    calls = source.report().api_calls
    assert calls["ListTrainingJobs"] == 3 + 1  # 230 jobs: 3 pages of 100
    assert calls["DescribeTrainingJob"] == 250
    assert "ListTags" not in calls  # tags came from Search, in bulk
    assert source.report().scope["fetch_plan"] == "describe"


def test_search_plan_makes_no_per_job_call(moto: None) -> None:
    create_jobs(sagemaker(), 150)
    records, problems, source = scan(
        frozenset({"enable_network_isolation"}), regions=("us-east-1",)
    )
    assert len(records) == 150 and problems == []
    calls = source.report().api_calls
    assert set(calls) == {"GetCallerIdentity", "Search"}
    assert source.report().scope["fetch_plan"] == "search"


def test_every_plan_gives_the_same_records_for_the_fields_both_carry(moto: None) -> None:
    create_jobs(sagemaker(), 40)
    shared = None
    for fetch in ("search", "auto", "describe"):
        records, problems, source = scan(None, fetch=fetch, regions=("us-east-1",))
        assert problems == []
        view = {
            arn: {k: v for k, v in r.data.items() if k not in describe_only_fields()}
            for arn, r in records.items()
        }
        shared = shared or view
        assert view == shared, fetch
    assert source.report().scope["fetch_plan"] == "describe"


def test_filters_reach_list_training_jobs(moto: None) -> None:
    create_jobs(sagemaker(), 30)
    records, _, source = scan(
        fetch="describe",
        regions=("us-east-1",),
        filters=Filters(statuses=("Failed", "Stopped"), name_contains="job-001"),
    )
    assert sorted(r.data["training_job_name"] for r in records.values()) == [
        "job-0011",
        "job-0012",
        "job-0016",
        "job-0017",
    ]
    assert source.report().api_calls["ListTrainingJobs"] == 2  # one listing per status


def test_assume_role_scans_the_other_account(moto: None) -> None:
    client = assumed_sagemaker(OTHER)
    client.create_training_job(**job_spec("theirs"))
    sagemaker().create_training_job(**job_spec("ours"))
    records, problems, source = scan(
        regions=("us-east-1",),
        accounts=(AccountSpec(OTHER, f"arn:aws:iam::{OTHER}:role/Audit", "ext"),),
    )
    assert problems == []
    assert [r.data["training_job_name"] for r in records.values()] == ["theirs"]
    assert next(iter(records.values())).data["account_id"] == OTHER
    assert source.report().api_calls["AssumeRole"] == 1
    assert source.report().scope["accounts"] == [OTHER]


def test_org_scans_management_and_member_accounts(moto: None) -> None:
    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="ml", Email="ml@example.com")["CreateAccountStatus"]
    member_id = member["AccountId"]
    sagemaker().create_training_job(**job_spec("mgmt-job"))
    assumed_sagemaker(member_id).create_training_job(**job_spec("member-job"))
    records, problems, source = scan(regions=("us-east-1",), org=True)
    assert problems == []
    by_account = {r.data["account_id"]: r.data["training_job_name"] for r in records.values()}
    assert by_account == {ACCOUNT: "mgmt-job", member_id: "member-job"}
    calls = source.report().api_calls
    assert calls["ListAccounts"] == 1 and calls["AssumeRole"] == 1  # not for the caller's own


def test_shards_partition_the_pairs(moto: None) -> None:
    regions = ("us-east-1", "eu-west-1", "us-west-2", "ap-south-1")
    for region in regions:
        create_jobs(sagemaker(region), 3, prefix=region)
    seen: list[str] = []
    for k in (1, 2):
        records, _, source = scan(regions=regions, shard=Shard(k, 2))
        seen.extend(records)
        assert source.report().scope["shard"] == f"{k}/2"
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 12


def test_all_regions_asks_ec2_which_are_enabled(moto: None) -> None:
    create_jobs(sagemaker("eu-west-1"), 2, prefix="eu")
    records, problems, source = scan(all_regions=True)
    assert problems == [] and len(records) == 2
    assert {"us-east-1", "eu-west-1"} <= set(source.report().scope["regions"])
    assert source.report().api_calls["DescribeRegions"] == 1


def test_stopping_early_winds_the_workers_down(moto: None) -> None:
    for region in ("us-east-1", "eu-west-1"):
        create_jobs(sagemaker(region), 120, prefix=region)
    threads_before = threading.active_count()
    source = AwsSource(AwsOptions(regions=("us-east-1", "eu-west-1"), fetch="describe"), None)
    items = source.items()
    first = next(items)
    items.close()  # returns only once every worker has stopped
    assert isinstance(first, Record)
    assert threading.active_count() == threads_before
