"""Every input shape becomes the same seed-schema record; bad values are RecordErrors."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from smscan.errors import RecordError
from smscan.models import Origin
from smscan.record.normalize import (
    NormalizeStats,
    detect_shape,
    from_describe,
    from_seed,
    normalize,
    origin_key,
)
from smscan.record.schema import SEED_FIELDS
from smscan.record.timestamps import to_iso_utc

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"
ORIGIN = Origin("jobs.json", pointer="")
FIELD_NAMES = [f.name for f in SEED_FIELDS]


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def with_datetimes(value: Any) -> Any:
    """The fixture as boto3 returns it: every timestamp a timezone-aware datetime."""
    if isinstance(value, dict):
        return {k: with_datetimes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_datetimes(v) for v in value]
    if isinstance(value, str) and value[:4].isdigit() and value[4:5] == "-" and "T" in value:
        return datetime.fromisoformat(value)
    return value


# --- describe ---


def test_boto3_describe_with_datetimes() -> None:
    doc = with_datetimes(load("describe_boto3.json"))
    assert isinstance(doc["CreationTime"], datetime)
    data = from_describe(doc, ORIGIN).data
    assert list(data) == FIELD_NAMES
    arn = "arn:aws:sagemaker:eu-west-1:210987654321:training-job/churn-xgb-2024-01-02-03-04-05"
    assert data["_key"] == arn
    assert (data["account_id"], data["region"]) == ("210987654321", "eu-west-1")
    assert data["training_job_name"] == "churn-xgb-2024-01-02-03-04-05"
    assert data["vpc_config"]["Subnets"] == ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"]
    assert data["environment"] == {"SAGEMAKER_PROGRAM": "train.py", "MODEL_STAGE": "prod"}
    assert data["hyper_parameters"]["max_depth"] == "6"
    assert data["enable_network_isolation"] is True
    assert data["billable_time_in_seconds"] == 302
    assert data["creation_time"] == "2024-01-02T03:04:05.123000Z"
    assert data["training_end_time"] == "2024-01-02T03:19:12.004000Z"
    transitions = data["secondary_status_transitions"]
    assert transitions[1]["EndTime"] == "2024-01-02T03:17:58Z"
    assert data["profiler_rule_evaluation_statuses"][0]["LastModifiedTime"] == (
        "2024-01-02T03:21:33.880000Z"
    )
    assert data["final_metric_data_list"][0]["Timestamp"] == "2024-01-02T03:17:50Z"
    assert data["tags"] is None and data["failure_reason"] is None
    json.dumps(data)  # nothing left that JSON cannot carry


def test_boto3_and_iso_forms_give_the_same_record() -> None:
    as_text = from_describe(load("describe_boto3.json"), ORIGIN).data
    as_datetimes = from_describe(with_datetimes(load("describe_boto3.json")), ORIGIN).data
    assert as_text == as_datetimes


def test_describe_does_not_mutate_the_input() -> None:
    doc = with_datetimes(load("describe_boto3.json"))
    before = repr(doc)
    from_describe(doc, ORIGIN)
    assert repr(doc) == before


def test_cli_describe_with_epoch_floats_and_gov_partition() -> None:
    data = from_describe(load("describe_cli.json"), ORIGIN).data
    assert (data["account_id"], data["region"]) == ("123456789012", "us-gov-west-1")
    assert data["creation_time"] == "2024-01-02T03:04:05.123000Z"
    assert data["training_end_time"] == "2024-01-02T03:19:12Z"
    assert data["secondary_status_transitions"][0]["EndTime"] == "2024-01-02T03:06:41.500000Z"
    assert data["environment"]["NCCL_DEBUG"] == "INFO"
    assert data["enable_network_isolation"] is False
    assert data["vpc_config"] is None
    assert data["failure_reason"].startswith("AlgorithmError")


def test_describe_drops_response_metadata_and_counts_unknown_keys() -> None:
    doc = load("describe_boto3.json") | {"SomeNewAwsField": {"x": 1}}
    stats = NormalizeStats()
    data = from_describe(doc, ORIGIN, stats=stats).data
    assert "ResponseMetadata" not in data
    assert stats.records == 1
    assert dict(stats.unknown_keys) == {"SomeNewAwsField": 1}


def test_tags_in_the_doc_or_passed_separately() -> None:
    doc = load("describe_boto3.json")
    tags = [{"Key": "team", "Value": "churn"}, {"Key": "cost-center", "Value": "42"}]
    assert from_describe(doc, ORIGIN, tags=tags).data["tags"] == {
        "team": "churn",
        "cost-center": "42",
    }
    assert from_describe(doc | {"Tags": tags}, ORIGIN).data["tags"]["team"] == "churn"
    separate = from_describe(doc | {"Tags": tags}, ORIGIN, tags={"team": "other"})
    assert separate.data["tags"] == {"team": "other"}


def test_search_result_item() -> None:
    item = {"TrainingJob": load("describe_cli.json") | {"Tags": [{"Key": "k", "Value": "v"}]}}
    data = normalize(item, ORIGIN).data
    assert data["training_job_name"] == "fraud-pt-0042"
    assert data["tags"] == {"k": "v"}


def test_china_partition() -> None:
    arn = "arn:aws-cn:sagemaker:cn-northwest-1:111122223333:training-job/x"
    data = normalize({"TrainingJobArn": arn}, ORIGIN).data
    assert (data["account_id"], data["region"], data["training_job_name"]) == (
        "111122223333",
        "cn-northwest-1",
        "x",
    )


def test_request_file_without_arn_is_keyed_by_origin() -> None:
    doc = {"TrainingJobName": "requested", "EnableNetworkIsolation": False}
    data = normalize(doc, Origin("requests/train.json", line=1, pointer="")).data
    assert data["_key"] == "requests/train.json#"
    assert (data["account_id"], data["region"]) == ("", "")
    assert normalize(doc, Origin("a.json", line=3, pointer="/2")).data["_key"] == "a.json#/2"
    assert normalize(doc, Origin("a.jsonl", line=7)).data["_key"] == "a.jsonl:7"


def test_origin_key_forms() -> None:
    assert origin_key(Origin("f.json")) == "f.json"
    assert origin_key(Origin("f.json", line=2, pointer="/0")) == "f.json#/0"


# --- seed and inventory ---


def test_seed_record() -> None:
    stats = NormalizeStats()
    record = from_seed(load("seed_record.json"), ORIGIN, stats=stats)
    data = record.data
    assert list(data) == FIELD_NAMES
    assert record.key == "arn:aws-cn:sagemaker:cn-north-1:998877665544:training-job/ranker-v3"
    assert (data["account_id"], data["region"]) == ("998877665544", "cn-north-1")
    assert data["vpc_config"]["Subnets"] == ["subnet-aaaa1111", "subnet-bbbb2222"]
    assert data["environment"] == {"STAGE": "beta", "EMPTY": ""}
    assert data["training_time_in_seconds"] == 3600
    assert data["creation_time"] == "2025-06-30T23:59:59Z"
    assert data["model_artifacts"] is None
    assert "owner_note" not in data
    assert dict(stats.unknown_keys) == {"owner_note": 1}


def test_inventory_row() -> None:
    data = from_seed(load("inventory_row.json"), ORIGIN).data
    assert list(data) == FIELD_NAMES
    assert (data["account_id"], data["region"]) == ("123456789012", "us-east-1")
    assert data["vpc_config"] == {
        "SecurityGroupIds": ["sg-0123abcd"],
        "Subnets": ["subnet-01", "subnet-02"],
    }
    assert data["input_data_config"][0]["ChannelName"] == "train"
    assert data["environment"] == {
        "HF_HOME": "/opt/ml/cache",
        "QUOTED": 'say "hi"',
        "WIN_PATH": "C:\\models",
        "UNSET": None,
    }
    assert data["tags"] == {}
    assert (
        data["enable_network_isolation"],
        data["enable_inter_container_traffic_encryption"],
        data["enable_managed_spot_training"],
    ) == (True, False, True)
    assert data["billable_time_in_seconds"] == 5400
    assert data["creation_time"] == "2024-01-02T03:04:05.123000Z"
    assert data["training_start_time"] == "2024-01-02T03:04:05Z"
    assert data["training_end_time"] == "2024-01-02T04:34:05Z"
    assert data["last_modified_time"] is None


def test_region_comes_from_the_arn_even_when_the_row_disagrees() -> None:
    row = load("inventory_row.json") | {"region": "eu-central-1"}
    assert from_seed(row, ORIGIN).data["region"] == "us-east-1"


def test_seed_key_only_fills_arn_and_name() -> None:
    arn = "arn:aws:sagemaker:us-west-2:123456789012:training-job/only-key"
    data = from_seed({"_key": arn}, ORIGIN).data
    assert (data["training_job_arn"], data["training_job_name"]) == (arn, "only-key")


def test_seed_without_arn_keeps_given_account() -> None:
    data = from_seed({"training_job_name": "n", "account_id": "123456789012"}, ORIGIN).data
    assert (data["_key"], data["account_id"], data["region"]) == ("jobs.json#", "123456789012", "")


def test_normalized_record_normalizes_to_itself() -> None:
    once = normalize(load("inventory_row.json"), ORIGIN).data
    assert detect_shape(once) == "seed"
    assert normalize(once, ORIGIN).data == once


# --- shapes ---


@pytest.mark.parametrize(
    ("fixture", "shape"),
    [
        ("describe_boto3.json", "describe"),
        ("describe_cli.json", "describe"),
        ("seed_record.json", "seed"),
        ("inventory_row.json", "inventory"),
    ],
)
def test_detect_shape(fixture: str, shape: str) -> None:
    assert detect_shape(load(fixture)) == shape


def test_detect_shape_of_search_item_and_partial_docs() -> None:
    assert detect_shape({"TrainingJob": {}}) == "describe"
    assert detect_shape({"VpcConfig": {}}) == "describe"
    assert detect_shape({"vpc_config": {}}) == "seed"
    assert detect_shape({"vpc_config": "{}"}) == "inventory"


@pytest.mark.parametrize("doc", [{}, {"foo": 1}, {"TrainingJobSummaries": []}, [1, 2], "text"])
def test_detect_shape_rejects_what_is_no_training_job(doc: Any) -> None:
    with pytest.raises(RecordError):
        detect_shape(doc)


# --- errors: name the field and the expected type, never the value ---

SECRET = "planted-secret-value-0123456789"
ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/j"


@pytest.mark.parametrize(
    ("fields", "field", "expected"),
    [
        ({"enable_network_isolation": "maybe-" + SECRET}, "enable_network_isolation", "boolean"),
        ({"enable_network_isolation": 1}, "enable_network_isolation", "boolean"),
        ({"vpc_config": 5}, "vpc_config", "JSON object"),
        ({"vpc_config": "{" + SECRET}, "vpc_config", "JSON object"),
        ({"vpc_config": "[1]"}, "vpc_config", "JSON object"),
        ({"input_data_config": {"ChannelName": SECRET}}, "input_data_config", "JSON array"),
        ({"environment": [1, 2]}, "environment", "map of strings"),
        ({"environment": {"K": {"nested": SECRET}}}, "environment", "string values"),
        ({"environment": '"K"=>"' + SECRET}, "environment", "closing"),
        ({"tags": [SECRET]}, "tags", "Key"),
        ({"training_time_in_seconds": SECRET}, "training_time_in_seconds", "64-bit integer"),
        ({"training_time_in_seconds": 2**63}, "training_time_in_seconds", "64-bit integer"),
        ({"training_time_in_seconds": 1.5}, "training_time_in_seconds", "64-bit integer"),
        ({"creation_time": SECRET}, "creation_time", "timestamp"),
        ({"role_arn": {"arn": SECRET}}, "role_arn", "string"),
        (
            {"training_job_arn": "arn:aws:iam::123456789012:role/" + SECRET},
            "training_job_arn",
            "ARN",
        ),
    ],
)
def test_wrong_types_raise_record_error(fields: dict[str, Any], field: str, expected: str) -> None:
    doc = {"training_job_arn": ARN, **fields}
    with pytest.raises(RecordError) as info:
        from_seed(doc, ORIGIN)
    message = str(info.value)
    assert info.value.field == field
    assert field in message and expected in message
    assert SECRET not in message
    # The field travels as a value; the printed form names it once.
    assert message == f"field {field}: {info.value.detail}" and not info.value.detail.startswith("field ")


def test_describe_wrong_type_names_seed_field() -> None:
    with pytest.raises(RecordError) as info:
        from_describe({"TrainingJobArn": ARN, "Environment": ["A=" + SECRET]}, ORIGIN)
    assert info.value.field == "environment"
    assert SECRET not in str(info.value)


def test_record_needs_a_name_or_arn() -> None:
    whole_file = Origin("fleet.jsonl", line=3)
    with pytest.raises(RecordError) as info:
        normalize({"EnableNetworkIsolation": True}, whole_file)
    assert info.value.field == "training_job_name"
    with pytest.raises(RecordError):
        from_seed({"vpc_config": {}}, whole_file)


def test_a_job_inside_a_document_may_be_nameless() -> None:
    # A pipeline step names its job only at run time: its identity is file#pointer.
    record = from_describe({"EnableNetworkIsolation": True}, Origin("p.json", line=9, pointer="/Steps/0/Arguments"))
    assert record.key == "p.json#/Steps/0/Arguments"
    assert record.data["training_job_name"] is None


def test_nested_describe_too_deep_is_record_error() -> None:
    deep: Any = {}
    for _ in range(300):
        deep = {"x": deep}
    with pytest.raises(RecordError) as info:
        from_describe({"TrainingJobArn": ARN, "VpcConfig": deep}, ORIGIN)
    assert info.value.field == "vpc_config"


# --- timestamps (smscan.record.timestamps) ---


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05Z"),
        ("2024-01-02T05:04:05.123456+02:00", "2024-01-02T03:04:05.123456Z"),
        ("2024-01-02 03:04:05.123+00", "2024-01-02T03:04:05.123000Z"),
        ("2024-01-02 03:04:05", "2024-01-02T03:04:05Z"),
        ("2024-01-01 22:04:05-05", "2024-01-02T03:04:05Z"),
        ("2024-01-02T08:34:05+0530", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05.000Z", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.123456Z"),
        ("2024-01-02", "2024-01-02T00:00:00Z"),
        (" 2024-01-02T03:04:05z ", "2024-01-02T03:04:05Z"),
    ],
)
def test_iso_text_variants(value: str, expected: str) -> None:
    assert to_iso_utc(value) == expected


def test_datetimes_naive_means_utc_and_aware_are_converted() -> None:
    assert to_iso_utc(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05Z"
    tz = timezone(timedelta(hours=-8))
    assert (
        to_iso_utc(datetime(2024, 1, 1, 19, 4, 5, 500, tzinfo=tz)) == "2024-01-02T03:04:05.000500Z"
    )
    assert to_iso_utc(date(2024, 1, 2)) == "2024-01-02T00:00:00Z"


def test_epoch_seconds() -> None:
    assert to_iso_utc(1704164645) == "2024-01-02T03:04:05Z"
    assert to_iso_utc(1704164645.123) == "2024-01-02T03:04:05.123000Z"
    assert to_iso_utc(0) == "1970-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "yesterday",
        "2024-13-01T00:00:00Z",
        "2024-01-02T25:00:00Z",
        "2024-01-02T03:04:05+24:00",
        "2024-01-02T03:04:05ZZ",
        "2024-01-02T03:04:0xZ",
        "2024-01-02X03:04:05Z",
        "\uff12\uff10\uff12\uff14-01-02T03:04:05Z",
        float("nan"),
        float("inf"),
        1e20,
        True,
        None,
        [2024],
    ],
)
def test_unparseable_raises_value_error(value: Any) -> None:
    with pytest.raises(ValueError):
        to_iso_utc(value)


def test_error_echoes_at_most_40_characters() -> None:
    value = "x" * 35 + "PLANTED-SECRET-TAIL" + "y" * 100
    with pytest.raises(ValueError) as info:
        to_iso_utc(value)
    assert "PLANTED-SECRET-TAIL" not in str(info.value)
    assert "x" * 35 in str(info.value)
