"""Request files in a repository: CreateTrainingJob requests, Pipelines, Step Functions."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from smscan.models import Record, Status
from smscan.sources.requests.jsonpos import JsonProblem, parse_json
from smscan.sources.requests.source import RequestFileSource, RequestOptions
from tests.request_helpers import line_of, scan

FIXTURES = Path(__file__).parent / "fixtures" / "requests"
REPO = FIXTURES / "repo"
REQUEST_JSON = REPO / "jobs" / "create_training_job.json"
REQUEST_YAML = REPO / "jobs" / "create_training_job.yaml"
PIPELINE = REPO / "pipelines" / "pipeline.json"
STATE_MACHINE = REPO / "stepfunctions" / "train.asl.json"

REQUEST = {
    "TrainingJobName": "tmp-job",
    "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
    "RoleArn": "arn:aws:iam::123456789012:role/x",
    "OutputDataConfig": {"S3OutputPath": "s3://b/"},
}


def test_create_training_job_json_gives_one_named_record_with_key_lines() -> None:
    records, problems = scan(REQUEST_JSON)
    assert problems == []
    (record,) = records
    data = record.data
    assert data["training_job_name"] == "churn-train"
    assert data["_key"] == f"{REQUEST_JSON}#"
    assert (record.origin.source, record.origin.line, record.origin.pointer) == (str(REQUEST_JSON), 1, "")
    assert data["enable_network_isolation"] is False
    assert data["vpc_config"]["Subnets"] == ["subnet-0a1b2c3d", "subnet-9f8e7d6c"]
    assert data["tags"] == {"team": "growth", "owner": "ana"}
    assert data["account_id"] == "" and data["training_job_arn"] is None
    lines = record.key_lines
    assert lines[""] == 1
    assert lines["/enable_network_isolation"] == line_of(REQUEST_JSON, '"EnableNetworkIsolation"')
    assert lines["/vpc_config"] == line_of(REQUEST_JSON, '"VpcConfig"')
    assert lines["/vpc_config/Subnets"] == line_of(REQUEST_JSON, '"Subnets"')
    assert lines["/vpc_config/Subnets/1"] == line_of(REQUEST_JSON, '"subnet-9f8e7d6c"')
    assert lines["/tags/owner"] == line_of(REQUEST_JSON, '"Key": "owner"')
    # RFC 6901 escaping, as scanner.policy.paths.pointer_prefixes builds it
    assert lines["/environment/path~1with~0slash"] == line_of(REQUEST_JSON, "path/with~slash")


def test_create_training_job_yaml() -> None:
    records, problems = scan(REQUEST_YAML)
    assert problems == []
    (record,) = records
    assert record.data["training_job_name"] == "fraud-train"
    assert record.data["enable_network_isolation"] is True
    assert record.data["hyper_parameters"] == {"epochs": "20", "lr": "0.01"}
    assert record.data["resource_config"]["InstanceCount"] == 2
    first_key = line_of(REQUEST_YAML, "TrainingJobName:")
    assert record.origin.line == record.key_lines[""] == first_key  # the comment is skipped
    assert record.key_lines["/output_data_config/KmsKeyId"] == line_of(REQUEST_YAML, "KmsKeyId:")
    assert record.key_lines["/hyper_parameters/lr"] == line_of(REQUEST_YAML, "lr:")


def test_pipeline_training_steps_and_expressions_are_unknown() -> None:
    records, problems = scan(PIPELINE)
    assert [r.origin.pointer for r in records] == [
        "/Steps/1/Arguments",
        "/Steps/2/Arguments/IfSteps/0/Arguments",  # inside a Condition step
    ]
    train, retrain = records
    assert train.data["_key"] == f"{PIPELINE}#/Steps/1/Arguments"
    assert train.data["training_job_name"] is None  # pipelines name jobs at run time
    assert train.origin.line == train.key_lines[""] == line_of(PIPELINE, '"Arguments"', line_of(PIPELINE, '"Train"'))
    # {"Get": ...} and {"Std:Join": ...} are not known until run time: never guessed, and
    # listed in `unknown`; the rest of the job is kept (a list keeps its known items)
    assert train.data["enable_network_isolation"] is None
    assert "InstanceType" not in train.data["resource_config"]
    assert train.data["vpc_config"] == {"Subnets": ["subnet-0a1b2c3d", None], "SecurityGroupIds": ["sg-0a1b2c3d"]}
    assert train.data["hyper_parameters"] == {"epochs": "10"}
    assert train.key_lines["/enable_network_isolation"] == line_of(PIPELINE, '"Parameters.Isolate"')
    get = f"set at run time (pipeline expression Get) at {PIPELINE}"
    instance_type = line_of(PIPELINE, 'Parameters.InstanceType"}')
    assert train.unknown == {
        "/resource_config/InstanceType": f"{get}:{instance_type}",
        "/enable_network_isolation": f"{get}:{line_of(PIPELINE, 'Parameters.Isolate')}",
        "/vpc_config/Subnets/1": f"{get}:{line_of(PIPELINE, 'Parameters.ExtraSubnet')}",
        "/hyper_parameters/run": f"set at run time (pipeline expression Std:Join) at {PIPELINE}:{line_of(PIPELINE, 'Std:Join')}",
    }
    notes = {(p.line, p.message) for p in problems}
    assert all(p.kind == "note" and p.source == str(PIPELINE) for p in problems)
    unknown = "policies that read it are UNKNOWN"
    assert notes == {
        (line_of(PIPELINE, "Parameters.InstanceType\"}"), f"ResourceConfig.InstanceType is set at run time (pipeline expression Get): {unknown}"),
        (line_of(PIPELINE, "Parameters.Isolate"), f"EnableNetworkIsolation is set at run time (pipeline expression Get): {unknown}"),
        (line_of(PIPELINE, "Parameters.ExtraSubnet"), f"VpcConfig.Subnets[1] is set at run time (pipeline expression Get): {unknown}"),
        (line_of(PIPELINE, "Std:Join"), f"HyperParameters.run is set at run time (pipeline expression Std:Join): {unknown}"),
    }
    assert retrain.unknown == {}
    assert all(p.resource == train.key for p in problems)
    assert retrain.data["enable_network_isolation"] is True
    assert retrain.data["algorithm_specification"]["TrainingImage"] == "docker.io/library/python:3.12"


def test_step_functions_dynamic_keys_are_unknown_and_reported() -> None:
    records, problems = scan(STATE_MACHINE)
    assert [r.origin.pointer for r in records] == [
        "/States/Train model/Parameters",
        "/States/Fan out/Branches/0/States/Train small/Parameters",  # inside a Parallel state
    ]
    train, small = records
    assert train.data["training_job_name"] is None  # TrainingJobName.$: not guessed
    assert train.data["_key"] == f"{STATE_MACHINE}#/States/Train model/Parameters"
    assert train.data["enable_network_isolation"] is None
    assert train.data["vpc_config"] == {"SecurityGroupIds": ["sg-0a1b2c3d"]}
    assert train.data["tags"] == {"team": "growth", "owner": None}
    isolation = line_of(STATE_MACHINE, '"EnableNetworkIsolation.$"')
    subnets, owner = line_of(STATE_MACHINE, '"Subnets.$"'), line_of(STATE_MACHINE, '"Value.$"')
    name = line_of(STATE_MACHINE, '"TrainingJobName.$"')
    assert train.key_lines["/enable_network_isolation"] == isolation
    assert train.key_lines["/vpc_config/Subnets"] == subnets
    how = "set at run time (Step Functions JSONPath) at " + str(STATE_MACHINE)
    assert train.unknown == {
        "/training_job_name": f"{how}:{name}",  # no note: the name is identity only
        "/enable_network_isolation": f"{how}:{isolation}",
        "/vpc_config/Subnets": f"{how}:{subnets}",
        "/tags/owner": f"{how}:{owner}",  # the tag's Key is known, so only its value is not
    }
    unknown = "(Step Functions JSONPath): policies that read it are UNKNOWN"
    assert [(p.kind, p.line, p.message) for p in problems] == [
        ("note", isolation, f"EnableNetworkIsolation is set at run time {unknown}"),
        ("note", subnets, f"VpcConfig.Subnets is set at run time {unknown}"),
        ("note", owner, f"Tags[1].Value is set at run time {unknown}"),
    ]
    assert small.data["training_job_name"] == "small-model"
    assert small.data["enable_network_isolation"] is True
    assert small.unknown == {}


def test_unknown_isolation_is_unknown_at_the_dynamic_key() -> None:
    from smscan.engine import Engine
    from smscan.policy.loader import load_policies

    (policy,) = [p for p in load_policies() if p.id == "network-isolation"]
    records, _ = scan(STATE_MACHINE)
    verdict = next(Engine([policy]).evaluate(records[0]))
    assert verdict.status is Status.UNKNOWN  # not known to be enabled, nor to be disabled
    assert verdict.finding is not None and verdict.finding.location is not None
    location = verdict.finding.location
    isolation = line_of(STATE_MACHINE, '"EnableNetworkIsolation.$"')
    assert (location.path, location.line) == (str(STATE_MACHINE), isolation)
    assert verdict.finding.message.endswith(
        f"EnableNetworkIsolation is set at run time (Step Functions JSONPath) at {STATE_MACHINE}:{isolation}."
    )


def test_jsonata_arguments_and_tasks_without_parameters(tmp_path: Path) -> None:
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": "arn:aws-cn:states:::sagemaker:createTrainingJob.sync",
                "Arguments": {**REQUEST, "EnableNetworkIsolation": "{% $states.input.isolate %}"},
                "Next": "B",
            },
            "B": {"Type": "Map", "ItemProcessor": {"StartAt": "C", "States": {"C": {
                "Type": "Task", "QueryLanguage": "JSONPath",
                "Resource": "arn:aws:states:::sagemaker:createTrainingJob",
            }}}, "End": True},
        },
    }
    path = tmp_path / "machine.asl.json"
    path.write_text(json.dumps(machine, indent=1))
    records, problems = scan(path)
    first, nested = records
    assert first.origin.pointer == "/States/A/Arguments"
    assert first.data["training_job_name"] == "tmp-job"
    assert first.data["enable_network_isolation"] is None
    assert nested.origin.pointer == "/States/B/ItemProcessor/States/C"
    assert all(nested.data[f] is None for f in ("role_arn", "algorithm_specification", "vpc_config"))
    assert [p.message for p in problems] == [
        "EnableNetworkIsolation is set at run time (Step Functions JSONata expression): policies that read it are UNKNOWN",
        "(all parameters) is set at run time (the state input): policies that read it are UNKNOWN",
    ]
    assert set(first.unknown) == {"/enable_network_isolation"}
    assert nested.unknown == {"": f"set at run time (the state input) at {path}:{nested.origin.line}"}


def test_a_directory_of_records_but_no_request_is_a_problem_with_a_hint() -> None:
    records, problems = scan(REPO / "other")
    # package.json, a JSON file that merely mentions AlgorithmSpecification and a YAML file
    # are skipped silently; the describe response says what to do with it.
    assert records == []
    describe = REPO / "other" / "describe_response.json"
    assert [(p.kind, p.message) for p in problems] == [
        ("input", f"no training-job request found; {describe}: this looks like a DescribeTrainingJob response: scan it with --input")
    ]


def test_a_directory_without_requests_or_records_is_a_note(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "app", "AlgorithmSpecification": 1}')
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    records, problems = scan(tmp_path)
    assert records == []
    assert [(p.kind, p.message) for p in problems] == [
        ("note", "no training-job request found in 2 file(s)")
    ]


def test_a_named_file_without_a_request_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text('{"title": "no job here"}')
    records, problems = scan(path)
    assert records == []
    assert [(p.kind, p.source, p.message) for p in problems] == [
        ("input", str(path), "no training-job request found in this file")
    ]


def test_a_directory_is_walked_in_sorted_order() -> None:
    source = RequestFileSource(RequestOptions((str(REPO),)))
    records = [i for i in source.items() if isinstance(i, Record)]
    assert [(Path(r.origin.source).relative_to(REPO).as_posix(), r.origin.pointer) for r in records] == [
        ("jobs/create_training_job.json", ""),
        ("jobs/create_training_job.yaml", ""),
        ("pipelines/pipeline.json", "/Steps/1/Arguments"),
        ("pipelines/pipeline.json", "/Steps/2/Arguments/IfSteps/0/Arguments"),
        ("stepfunctions/train.asl.json", "/States/Train model/Parameters"),
        ("stepfunctions/train.asl.json", "/States/Fan out/Branches/0/States/Train small/Parameters"),
    ]
    assert source.describe() == f"6 training job(s) in 4 request file(s) (8 files read) in {REPO}"


def test_truncated_or_invalid_request_file_is_a_problem_with_its_line() -> None:
    records, problems = scan(FIXTURES / "broken")
    assert records == []
    assert [(Path(p.source).name, p.line, p.kind) for p in problems] == [
        ("bad_request.yaml", 4, "input"),
        ("truncated_request.json", 8, "input"),
    ]
    assert problems[1].message == "invalid JSON at line 8 column 48: invalid string: Invalid control character"
    assert str(problems[0]).startswith(f"{FIXTURES / 'broken' / 'bad_request.yaml'}:4: invalid YAML at line 4 column")


def test_truncated_at_end_of_file(tmp_path: Path) -> None:
    path = tmp_path / "job.json"
    path.write_text('{\n  "AlgorithmSpecification": {},\n  "RoleArn": "r"')
    _, (problem,) = scan(path)
    message = "invalid JSON at line 3 column 17: unexpected end of file (expecting ',' or '}')"
    assert (problem.line, problem.message) == (3, message)


def test_walk_skips_hidden_dirs_node_modules_and_symlinks_out_of_the_tree(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    for folder in (repo / "node_modules" / "pkg", repo / ".git", repo / ".venv", repo / "src", outside):
        folder.mkdir(parents=True)
    for folder in (repo / "node_modules" / "pkg", repo / ".git", repo / ".venv", repo / "src", outside):
        (folder / "job.json").write_text(json.dumps(REQUEST))
    (repo / "src" / "inside-link.json").symlink_to(repo / "src" / "job.json")
    (repo / "src" / "outside-link.json").symlink_to(outside / "job.json")
    (repo / "linked-dir").symlink_to(outside, target_is_directory=True)
    os.mkfifo(repo / "src" / "pipe.json")  # never opened: it would block
    records, problems = scan(repo)
    assert [(Path(p.source).name, p.kind) for p in problems] == [("outside-link.json", "note"), ("pipe.json", "note")]
    assert "outside the scanned directory" in problems[0].message and "a FIFO" in problems[1].message
    assert sorted(Path(r.origin.source).relative_to(repo).as_posix() for r in records) == [
        "src/inside-link.json",
        "src/job.json",
    ]


def test_other_extensions_only_when_named_and_size_limit(tmp_path: Path) -> None:
    named = tmp_path / "request.txt"
    named.write_text(json.dumps(REQUEST))
    assert [r.data["training_job_name"] for r in scan(named)[0]] == ["tmp-job"]
    assert scan(tmp_path)[0] == []  # not .json / .yaml / .yml: not looked at in a walk
    big = tmp_path / "big.json"
    big.write_text(json.dumps({**REQUEST, "Environment": {"PAD": "x" * 2000}}))
    items = list(RequestFileSource(RequestOptions((str(big),), max_file_bytes=1000)).items())
    assert [(type(i).__name__, getattr(i, "message", "")) for i in items] == [
        ("Problem", "file larger than 1000 bytes: not scanned"),
    ]


def test_missing_path_and_duplicate_keys(tmp_path: Path) -> None:
    _, (missing,) = scan(tmp_path / "nope")
    assert (missing.kind, missing.message) == ("input", "no such file or directory")
    path = tmp_path / "dup.json"
    path.write_text('{\n "TrainingJobName": "a",\n "AlgorithmSpecification": {},\n "RoleArn": "r",\n'
                    ' "EnableNetworkIsolation": true,\n "EnableNetworkIsolation": false\n}\n')
    (record,), (note,) = scan(path)
    assert record.data["enable_network_isolation"] is False  # the last wins, as in the AWS CLI
    assert record.key_lines["/enable_network_isolation"] == 6
    assert (note.kind, note.line) == ("note", 6)
    assert note.message == "duplicate key 'EnableNetworkIsolation' (first at line 5): the last one is used, as by the AWS CLI"


def test_a_wrong_type_is_a_record_problem_at_the_job(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text("TrainingJobName: x\nAlgorithmSpecification: {}\nRoleArn: r\nEnableNetworkIsolation: [1]\n")
    records, (problem,) = scan(path)
    assert records == []
    assert (problem.kind, problem.line, problem.field) == ("record", 1, "enable_network_isolation")
    assert problem.message.startswith("expected a boolean")


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, -2.5, 3e2, true, false, null, "x\\/y\\u00e9\\ud83d\\ude00"], "b": {}, "c": []}',
        "[]",
        '  {"nested": {"deep": [[{"k": "v"}]]}}  \n',
        '{"a":1,"b":"\\"quoted\\"","c":0.0}',
    ],
)
def test_position_parser_agrees_with_json_loads(text: str) -> None:
    value, duplicates = parse_json(text)
    assert value == json.loads(text) and duplicates == []


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ('{"a": NaN}', 1, 7),  # json.loads accepts it; JSON does not
        ('{\n"a": 1\n"b": 2}', 3, 1),
        ("[1, 2] 3", 1, 8),
        ('{"a": "tab\there"}', 1, 11),
        ("[" * 101 + "]" * 101, 1, 101),
    ],
)
def test_position_parser_errors_are_positioned(text: str, line: int, col: int) -> None:
    with pytest.raises(JsonProblem) as caught:
        parse_json(text)
    assert (caught.value.pos.line, caught.value.pos.col) == (line, col)


def test_position_parser_positions_and_linear_time() -> None:
    value, _ = parse_json('{\n  "a": [\n    1,\n    {"b": 2}\n  ]\n}')
    assert value.pos.line == 1 and value.key_pos["a"].line == 2
    assert [p.line for p in value["a"].item_pos] == [3, 4]
    assert value["a"][1].key_pos["b"].col == 6
    big = "[" + ",".join(f'{{"k": {i}}}' for i in range(50_000)) + "]"  # one line, 0.5 MB
    parsed, _ = parse_json(big)
    assert parsed.item_pos[-1].col == len(big) - len('{"k": 49999}]') + 1
