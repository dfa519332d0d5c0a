"""Records by evidence: EventBridge events, CloudTrail, placebo recordings, refused shapes.

Fixtures in tests/fixtures/records (README.md there names each source): the AWS-documented
"SageMaker Training Job State Change" sample, a CloudTrail log file, an EventBridge
"AWS API Call via CloudTrail" event, and placebo recordings shaped like Cloud Custodian's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smscan.models import Problem, Record
from smscan.record.shapes import unwrap
from smscan.record.timestamps import to_iso_utc
from smscan.sources.files import FileOptions, FileSource
from smscan.sources.requests.source import RequestFileSource, RequestOptions

RECORDS = Path(__file__).parent / "fixtures" / "records"
SAMPLE = RECORDS / "eventbridge_training_state_change.json"


def read(*paths: Path | str) -> tuple[list[Record], list[Problem]]:
    items = list(FileSource(FileOptions(tuple(str(p) for p in paths))).items())
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Problem)]


def test_the_documented_eventbridge_sample_is_its_detail_not_a_seed_record() -> None:
    records, problems = read(SAMPLE)
    (record,) = records  # never a nameless job keyed "FILE#" from the top-level `region`
    assert record.key == "arn:aws:sagemaker:us-east-1:123456789012:training-job/kmeans-1"
    assert (record.origin.pointer, record.data["account_id"], record.data["region"]) == ("/detail", "123456789012", "us-east-1")
    assert record.data["training_job_name"] == "89c96cc8-dded-4739-afcc-6f1dc936701d"
    assert record.data["creation_time"] == "2020-03-10T09:18:09.050000Z"  # epoch ms as digit text
    assert record.data["resource_config"]["InstanceCount"] == 3
    assert record.data["tags"] == {}
    assert problems == []


def test_a_cloudtrail_log_file_gives_its_create_training_job_calls_only() -> None:
    path = RECORDS / "cloudtrail_log.json"
    records, problems = read(path)
    (record,) = records  # the failed call created no job
    data = record.data
    assert record.key == "arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-2024-03-05"
    assert record.origin.pointer == "/Records/1/requestParameters"
    assert data["enable_network_isolation"] is True and data["enable_inter_container_traffic_encryption"] is False
    assert data["vpc_config"] == {"SecurityGroupIds": ["sg-0a1b2c3d4e5f60718"], "Subnets": ["subnet-0a1b2c3d4e5f60718"]}
    assert data["hyper_parameters"] == {"max_depth": "5", "eta": "0.2", "objective": "binary:logistic"}  # user keys kept
    assert data["input_data_config"][0]["DataSource"]["S3DataSource"]["S3Uri"] == "s3://ml-data-123456789012/churn/train/"
    assert data["tags"] == {"team": "churn"}
    assert data["environment"] is None
    assert record.unknown == {"/environment": "not logged by CloudTrail (HIDDEN_DUE_TO_SECURITY_REASONS)"}
    assert [(p.kind, p.message) for p in problems] == [
        ("note", "Environment is not logged by CloudTrail (HIDDEN_DUE_TO_SECURITY_REASONS): policies that read it are UNKNOWN"),
        ("note", "skipped 3 CloudTrail record(s) that are not a SageMaker CreateTrainingJob call"),
    ]


def test_a_cloudtrail_record_delivered_by_eventbridge() -> None:
    records, _ = read(RECORDS / "eventbridge_cloudtrail_create_training_job.json")
    (record,) = records
    assert record.key.endswith("/churn-2024-03-06")
    assert record.origin.pointer == "/detail/requestParameters"


def test_a_jsonl_stream_of_events_skips_the_other_kinds_with_a_note() -> None:
    records, problems = read(RECORDS / "events.jsonl")
    assert [(r.key, r.origin.line) for r in records] == [("arn:aws:sagemaker:us-east-1:123456789012:training-job/kmeans-1", 1)]
    assert [(p.kind, p.line, p.message) for p in problems] == [
        ("note", 2, "skipped an EventBridge event 'SageMaker Endpoint Deployment State Change' from aws.sagemaker: not a training job")
    ]


def test_a_placebo_recorded_describe_is_unwrapped_with_its_datetimes() -> None:
    records, problems = read(RECORDS / "placebo" / "sagemaker.DescribeTrainingJob_1.json")
    (record,) = records
    assert record.origin.pointer == "/data"
    assert record.data["creation_time"] == "2024-03-05T10:12:44.406000Z"
    assert record.data["training_job_status"] == "Failed"
    assert problems == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("sagemaker.ListTrainingJobs_1.json", "not a job: a ListTrainingJobs page (1 summaries); record DescribeTrainingJob responses instead (at /data)"),
        ("sagemaker.ListTags_1.json", "not a job: a ListTags response (at /data)"),
    ],
)
def test_list_pages_are_refused_as_not_a_job(name: str, message: str) -> None:
    records, problems = read(RECORDS / "placebo" / name)
    assert records == []
    assert [(p.kind, p.message) for p in problems] == [("record", message)]


def test_a_recorded_error_and_an_unknown_recorded_class_are_refused() -> None:
    error = unwrap({"status_code": 400, "data": {"Error": {"Code": "ValidationException"}}})
    assert (error.jobs, error.refused) == ([], [("", "a recorded error response (status 400), not a job")])
    odd = unwrap({"status_code": 200, "data": {"TrainingJobName": "x", "CreationTime": {"__class__": "Decimal", "value": "1"}}})
    assert odd.jobs == [] and odd.refused == [("", "a recorded response that cannot be read: a recorded value of class 'Decimal'")]


def test_a_document_of_no_known_shape_names_the_keys_it_saw(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"region": "us-east-1", "account": "123456789012", "time": "2024-01-01T00:00:00Z"}))
    records, problems = read(path)
    assert records == []
    assert [(p.kind, p.message) for p in problems] == [
        ("record", "not a training job: no TrainingJobName, TrainingJobArn or training_job_name (keys: account, region, time)")
    ]


@pytest.mark.parametrize(
    ("path", "pointer"),
    [
        ("Environment", "/environment"),
        ("HyperParameters.learning_rate", "/hyper_parameters/learning_rate"),
        ("InputDataConfig[0].DataSource.S3DataSource.S3Uri", "/input_data_config/0/DataSource/S3DataSource/S3Uri"),
        ("VpcConfig.Subnets[1]", "/vpc_config/Subnets/1"),
        ("NotASeedField", None),
    ],
)
def test_hidden_cloudtrail_paths_become_seed_pointers(path: str, pointer: str | None) -> None:
    from smscan.record.wire import seed_pointer

    assert seed_pointer(path) == pointer


def test_a_nameless_request_given_as_a_record_is_refused_with_a_hint() -> None:
    found = unwrap({"AlgorithmSpecification": {"TrainingImage": "img"}, "RoleArn": "arn:aws:iam::123456789012:role/x"})
    assert found.jobs == []
    assert found.refused == [("", "a CreateTrainingJob request without TrainingJobName: scan request files as positional paths")]


def test_unknown_key_notes_name_the_file_they_came_from(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"TrainingJobName": "a", "Odd": 1}))
    (tmp_path / "b.json").write_text(json.dumps({"TrainingJobName": "b", "Strange": 2}))
    records, problems = read(tmp_path)
    assert len(records) == 2
    assert [(p.source, p.message) for p in problems] == [
        (str(tmp_path / "a.json"), "ignored 1 unknown top-level key(s): Odd"),
        (str(tmp_path / "b.json"), "ignored 1 unknown top-level key(s): Strange"),
    ]


def test_named_record_files_given_as_requests_get_a_hint() -> None:
    items = list(RequestFileSource(RequestOptions((str(SAMPLE),))).items())
    assert [(i.kind, i.message) for i in items if isinstance(i, Problem)] == [
        ("input", "no training-job request found; this looks like an EventBridge event (SageMaker Training Job State Change): scan it with --input")
    ]


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("1583831889050", "2020-03-10T09:18:09.050000Z"),
        (1583831889050, "2020-03-10T09:18:09.050000Z"),
        ("1583831889", "2020-03-10T09:18:09Z"),
        (1583831889.5, "2020-03-10T09:18:09.500000Z"),
    ],
)
def test_epoch_seconds_and_milliseconds_as_numbers_or_digit_text(value: object, iso: str) -> None:
    assert to_iso_utc(value) == iso


@pytest.mark.parametrize("value", ["2024", "15838318890501234567", "1583831889050x"])
def test_digit_text_that_is_no_epoch_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        to_iso_utc(value)


def test_a_json_array_of_cloudtrail_records_skips_other_calls_with_a_note(tmp_path: Path) -> None:
    log = json.loads((RECORDS / "cloudtrail_log.json").read_text())["Records"]
    path = tmp_path / "lookup-events.json"
    path.write_text(json.dumps([log[2], log[1]], indent=1))
    records, problems = read(path)
    assert [(r.key, r.origin.pointer) for r in records] == [
        ("arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-2024-03-05", "/1/requestParameters")
    ]
    assert [p.message for p in problems] == [
        "skipped a CloudTrail record of s3.amazonaws.com ListBuckets: not a CreateTrainingJob call",
        "Environment is not logged by CloudTrail (HIDDEN_DUE_TO_SECURITY_REASONS): policies that read it are UNKNOWN",
    ]


def test_a_named_json_array_of_describe_responses_gets_the_hint(tmp_path: Path) -> None:
    describe = json.loads((Path(__file__).parent / "fixtures" / "aws" / "describe_full.json").read_text())
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps([describe, describe]))
    items = list(RequestFileSource(RequestOptions((str(path),))).items())
    assert [(i.kind, i.message) for i in items if isinstance(i, Problem)] == [
        ("input", "no training-job request found; this looks like a DescribeTrainingJob response: scan it with --input")
    ]


def test_cloudtrail_lookup_events_output_reads_the_json_text_of_each_event() -> None:
    records, problems = read(RECORDS / "cloudtrail_lookup_events.json")
    (record,) = records
    assert record.key == "arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-2024-03-05"
    assert record.origin.pointer == "/Events/0/CloudTrailEvent/requestParameters"
    assert record.data["enable_network_isolation"] is True
    assert [p.message for p in problems] == [
        "Environment is not logged by CloudTrail (HIDDEN_DUE_TO_SECURITY_REASONS): policies that read it are UNKNOWN",
        "skipped 1 CloudTrail event(s) that are not a SageMaker CreateTrainingJob call",
    ]


def test_lookup_events_whose_text_is_not_a_record_is_refused() -> None:
    found = unwrap({"Events": [{"EventId": "1", "CloudTrailEvent": "{not json"}]})
    assert found.jobs == [] and found.refused == [("/Events/0/CloudTrailEvent", "not a CloudTrail record in JSON text")]


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("requests/templates/cdk.out/integ-stepfunctions-sagemaker.template.json", "a CloudFormation template"),
        ("requests/forms/partitions.asl.json", "a Step Functions state machine"),
        ("requests/repo/pipelines/pipeline.json", "a SageMaker Pipeline definition"),
    ],
)
def test_definitions_given_as_records_are_refused_with_a_hint(path: str, what: str) -> None:
    records, problems = read(Path(__file__).parent / "fixtures" / path)
    assert records == []
    assert [(p.kind, p.message) for p in problems] == [("record", f"not a job record: {what}; scan it as a positional path")]
