"""Fetch-plan choice, filters, shards, the --accounts file and option checking: no AWS calls."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

import pytest

from smscan.cli.aws_options import add_aws_arguments, aws_options, parse_when
from smscan.errors import UsageError
from smscan.record.schema import FIELDS_BY_NAME
from smscan.sources.aws.accounts import Shard, load_accounts_file
from smscan.sources.aws.plans import Filters, Plan, choose_plan, describe_only_fields

FIXTURES = Path(__file__).parent / "fixtures" / "aws"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_aws_arguments(parser)
    return parser.parse_args(["--aws", *argv])


def test_describe_only_fields_come_from_botocore_and_map_to_seed_names() -> None:
    fields = describe_only_fields()
    assert {
        "infra_check_config",
        "profiler_rule_configurations",
        "profiler_rule_evaluation_statuses",
        "profiling_status",
        "remote_debug_config",
    } <= fields
    assert fields <= set(FIELDS_BY_NAME)
    # Search carries these: they must never force a describe.
    assert not fields & {"environment", "hyper_parameters", "vpc_config", "tags", "retry_strategy"}


def test_auto_uses_search_alone_when_no_describe_only_field_is_read() -> None:
    choice = choose_plan("auto", frozenset({"enable_network_isolation", "tags"}))
    assert choice.plan is Plan.SEARCH


def test_auto_adds_describe_for_a_describe_only_field() -> None:
    choice = choose_plan("auto", frozenset({"remote_debug_config", "tags"}))
    assert choice.plan is Plan.SEARCH_DESCRIBE
    assert "remote_debug_config" in choice.reason


def test_unknown_fields_read_means_describe_everything() -> None:
    assert choose_plan("auto", None).plan is Plan.SEARCH_DESCRIBE


def test_forced_search_reports_what_it_will_miss() -> None:
    choice = choose_plan("search", frozenset({"profiling_status"}))
    assert (choice.plan, choice.missing) == (Plan.SEARCH, ("profiling_status",))
    assert choose_plan("describe", frozenset()).plan is Plan.DESCRIBE


def test_search_expression_ands_time_and_name_and_ors_statuses() -> None:
    when = datetime(2026, 1, 2, tzinfo=timezone.utc)
    expr = Filters(("Failed", "Stopped"), when, "bert").search_expression()
    assert expr == {
        "Operator": "And",
        "Filters": [
            {
                "Name": "CreationTime",
                "Operator": "GreaterThanOrEqualTo",
                "Value": "2026-01-02T00:00:00Z",
            },
            {"Name": "TrainingJobName", "Operator": "Contains", "Value": "bert"},
        ],
        "SubExpressions": [
            {
                "Operator": "Or",
                "Filters": [
                    {"Name": "TrainingJobStatus", "Operator": "Equals", "Value": "Failed"},
                    {"Name": "TrainingJobStatus", "Operator": "Equals", "Value": "Stopped"},
                ],
            }
        ],
    }
    assert Filters().search_expression() is None


def test_list_calls_one_per_status_because_status_equals_takes_one() -> None:
    calls = Filters(("Failed", "Completed")).list_calls()
    assert [c["StatusEquals"] for c in calls] == ["Completed", "Failed"]
    assert all(c["MaxResults"] == 100 for c in calls)
    assert Filters().list_calls() == [{"MaxResults": 100}]


def test_client_side_filter_matches_the_server_side_one() -> None:
    f = Filters(("Failed",), datetime(2026, 1, 1, tzinfo=timezone.utc), "BeRt")
    job = {
        "TrainingJobName": "my-bert-1",
        "TrainingJobStatus": "Failed",
        "CreationTime": datetime(2026, 2, 1, tzinfo=timezone.utc),
    }
    assert f.matches(job)
    assert not f.matches({**job, "TrainingJobStatus": "Completed"})
    assert not f.matches({**job, "TrainingJobName": "gpt"})
    assert not f.matches({**job, "CreationTime": datetime(2025, 1, 1, tzinfo=timezone.utc)})


def test_shard_parse_and_partition_is_exact() -> None:
    assert Shard.parse("2/3") == Shard(2, 3)
    for bad in ("3/2", "0/2", "x", "1/0"):
        with pytest.raises(UsageError, match="--shard"):
            Shard.parse(bad)
    pairs = [(f"{a:012d}", r) for a in range(20) for r in ("us-east-1", "eu-west-1", "ap-south-1")]
    shards = [Shard(k, 4) for k in range(1, 5)]
    owners = [[s for s in shards if s.keeps(*p)] for p in pairs]
    assert all(len(o) == 1 for o in owners)  # every pair in exactly one shard
    assert all(any(o[0] == s for o in owners) for s in shards)


def test_accounts_file(tmp_path: Path) -> None:
    specs = load_accounts_file(FIXTURES / "accounts.yaml")
    assert [s.account_id for s in specs] == ["111111111111", "012345670123", "222222222222"]
    assert specs[0].role_arn == "arn:aws:iam::111111111111:role/SmscanReadOnly"
    assert specs[0].regions == ("us-east-1", "eu-west-1")
    assert specs[1].external_id == "ext-1" and specs[1].regions == ("us-west-2",)
    assert specs[2].role_arn == "arn:aws:iam::222222222222:role/Other"
    bad = tmp_path / "bad.yaml"
    bad.write_text("accounts:\n  - id: 123456789012\n    role_name: R\n  - id: abc\n")
    with pytest.raises(UsageError, match="entry 2: account id should be 12 digits"):
        load_accounts_file(bad)
    with pytest.raises(UsageError, match="cannot read"):
        load_accounts_file(tmp_path / "missing.yaml")


def test_options_reject_bad_values(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--shard"):
        aws_options(parse("--shard", "3/2"))
    with pytest.raises(UsageError, match="--accounts"):
        aws_options(parse("--accounts", str(tmp_path / "nope.yaml")))
    with pytest.raises(UsageError, match="--concurrency"):
        aws_options(parse("--concurrency", "0"))
    with pytest.raises(UsageError, match="--role-arn"):
        aws_options(parse("--role-arn", "arn:aws:iam::1:user/x"))
    with pytest.raises(UsageError, match="cannot be combined"):
        aws_options(parse("--org", "--role-arn", "arn:aws:iam::111111111111:role/R"))
    with pytest.raises(UsageError, match="--created-after"):
        aws_options(parse("--since", "last tuesday"))


def test_options_from_args() -> None:
    opts = aws_options(
        parse(
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--status",
            "Failed",
            "--since",
            "2026-01-02",
            "--fetch",
            "describe",
            "--shard",
            "1/2",
            "--max-attempts",
            "4",
        )
    )
    assert opts.regions == ("us-east-1", "eu-west-1")
    assert opts.filters.statuses == ("Failed",)
    assert opts.filters.created_after == datetime(2026, 1, 2, tzinfo=timezone.utc)
    assert opts.settings.max_attempts == 4 and opts.shard == Shard(1, 2)


def test_parse_when_accepts_ages() -> None:
    now = datetime(2026, 3, 10, tzinfo=timezone.utc)
    assert parse_when("7d", now) == datetime(2026, 3, 3, tzinfo=timezone.utc)
    assert parse_when("2026-03-01T12:00:00Z") == datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
