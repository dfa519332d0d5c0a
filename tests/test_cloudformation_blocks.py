"""Definitions held in YAML literal block scalars are located on the template's own lines.

tests/fixtures/requests/embedded/block_scalars.yaml cites the public shapes it follows in its
header: the Step Functions developer guide's CloudFormation tutorial (`DefinitionString:
!Sub [ |-, {lambdaArn: !GetAtt ...} ]`), the AWS::StepFunctions::StateMachine reference forms
(`!Sub |`, `Fn::Sub: |+`, `|` with DefinitionSubstitutions) and an AWS::SageMaker::Pipeline
body with its leading comment line; folded and double-quoted strings stay on the key's line.
join_lines.template.json (README.md beside it) is a JSON template joining one string per line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smscan.models import Problem, Record
from smscan.yamlpos import parse_text
from tests.cli_helpers import run_cli
from tests.request_helpers import line_of, scan

EMBEDDED = Path(__file__).parent / "fixtures" / "requests" / "embedded"
BLOCKS = EMBEDDED / "block_scalars.yaml"
JOINED = EMBEDDED / "join_lines.template.json"


def by_resource(records: list[Record]) -> dict[str, Record]:
    return {r.origin.pointer.split("/")[2]: r for r in records}


def machine(tmp_path: Path, properties: str) -> Path:
    """A template of one state machine resource with these Properties lines."""
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  Machine:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n" + properties)
    return path


def after(name: str, needle: str) -> int:
    """The line of `needle` in the named resource of the fixture."""
    return line_of(BLOCKS, needle, line_of(BLOCKS, f"  {name}:"))


@pytest.mark.parametrize(
    ("resource", "holder"),
    [
        ("TutorialMachine", '"Parameters": {'),  # !Sub [ |-, {...} ], as the tutorial writes it
        ("SubMachine", '"Parameters": {'),  # !Sub |, after a blank first line
        ("LongFormMachine", '"Parameters": {'),  # Fn::Sub: |+
        ("PlainMachine", '"Parameters": {'),  # |, filled by DefinitionSubstitutions
        ("TrainPipeline", '"Arguments": {'),  # PipelineDefinitionBody: !Sub |, comment line first
    ],
)
def test_a_literal_block_maps_each_of_its_lines_onto_the_file(resource: str, holder: str) -> None:
    records, _ = scan(BLOCKS)
    record = by_resource(records)[resource]
    assert record.origin.line == after(resource, holder)
    assert record.key_lines["/enable_network_isolation"] == after(resource, '"EnableNetworkIsolation"')
    assert record.key_lines["/role_arn"] == after(resource, '"RoleArn": "arn:aws:iam')
    assert record.data["enable_network_isolation"] is False


@pytest.mark.parametrize("resource", ["FoldedMachine", "QuotedMachine"])
def test_folded_and_quoted_strings_keep_the_line_of_their_key(resource: str) -> None:
    records, _ = scan(BLOCKS)
    record = by_resource(records)[resource]
    key = after(resource, "DefinitionString:")
    assert record.origin.line == key
    assert set(record.key_lines.values()) == {key}  # YAML joined the lines: no line is its own


def test_run_time_values_inside_a_block_are_noted_at_their_own_line() -> None:
    _, problems = scan(BLOCKS)
    notes = {(p.line, p.message.split(" is set at run time")[0]) for p in problems if p.kind == "note"}
    assert (after("TutorialMachine", '"S3OutputPath.$"'), "OutputDataConfig.S3OutputPath") in notes
    assert (after("SubMachine", '"TrainingImage"'), "AlgorithmSpecification.TrainingImage") in notes
    assert (after("TrainPipeline", '"TrainingImage"'), "AlgorithmSpecification.TrainingImage") in notes
    plain = by_resource(scan(BLOCKS)[0])["PlainMachine"]
    assert plain.data["algorithm_specification"]["TrainingImage"] == "382416733822.dkr.ecr.us-east-1.amazonaws.com/xgboost:1"


def test_a_finding_in_a_block_points_at_the_offending_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    run_cli(capsys, "scan", BLOCKS, "--select", "network-isolation", "-o", report)
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    lines = {f["resource"]["origin"]["pointer"].split("/")[2]: f["location"]["line"] for f in findings}
    assert lines["TutorialMachine"] == after("TutorialMachine", '"EnableNetworkIsolation"')
    assert lines["TrainPipeline"] == after("TrainPipeline", '"EnableNetworkIsolation"')
    assert lines["FoldedMachine"] == after("FoldedMachine", "DefinitionString:")


def test_a_join_on_newlines_of_one_string_per_line_keeps_the_lines_of_the_json_template() -> None:
    records, problems = scan(JOINED)
    (record,) = records
    assert record.origin.line == line_of(JOINED, '\\"Parameters\\": {')
    assert record.key_lines["/enable_network_isolation"] == line_of(JOINED, '\\"EnableNetworkIsolation\\"')
    assert record.key_lines["/output_data_config/S3OutputPath"] == line_of(JOINED, "S3OutputPath")
    assert [p for p in problems if p.kind != "note"] == []


def test_a_join_whose_item_holds_a_line_break_keeps_the_key_line(tmp_path: Path) -> None:
    definition = [
        '{"StartAt": "Train", "States": {"Train": {',
        '"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",\n',
        '"Parameters": {"TrainingJobName": "j", "RoleArn": "r", "AlgorithmSpecification": {"TrainingImage": "t"}},',
        '"End": true}}}',
    ]
    template = {"Resources": {"M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "DefinitionString": {"Fn::Join": ["\n", definition]}}}}}
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template, indent=2))
    (record,) = scan(path)[0]
    assert record.origin.line == line_of(path, '"DefinitionString"')


def test_invalid_json_in_a_block_is_a_problem_at_its_file_line(tmp_path: Path) -> None:
    path = machine(
        tmp_path,
        "      DefinitionString: !Sub |\n"
        "        {\"StartAt\": \"Train\", \"States\": {\"Train\": {\n"
        "          \"Type\": \"Task\",\n"
        "          \"Resource\": \"arn:${AWS::Partition}:states:::sagemaker:createTrainingJob.sync\"\n"
        "          \"End\": true}}}\n"
    )
    problems = [p for p in scan(path)[1] if isinstance(p, Problem) and p.kind != "note"]
    assert [(p.line, p.message) for p in problems] == [
        (9, "DefinitionString of Machine is not valid JSON (line 4 column 3 of the string): expecting ',' or '}'")
    ]


def test_a_substitution_that_adds_lines_falls_back_to_the_key_line(tmp_path: Path) -> None:
    path = machine(
        tmp_path,
        "      DefinitionString: !Sub\n"
        "        - |\n"
        "          {\"StartAt\": \"Train\", \"States\": {\"Train\": {${Gap}\n"
        "            \"Type\": \"Task\", \"Resource\": \"arn:aws:states:::sagemaker:createTrainingJob.sync\",\n"
        "            \"Parameters\": {\"TrainingJobName\": \"gap\", \"EnableNetworkIsolation\": true,\n"
        "              \"AlgorithmSpecification\": {\"TrainingImage\": \"t\"}, \"RoleArn\": \"r\"},\n"
        "            \"End\": true}}}\n"
        "        - Gap: \"\\n\\n\"\n"
    )
    (record,) = scan(path)[0]
    assert record.origin.line == 5  # two lines more than the block: no line can be trusted


def test_yamlpos_lists_literal_blocks_only() -> None:
    doc = parse_text("a: |\n  x\nb: >\n  y\nc: 'z'\nd:\n  - |-\n    w\ne: !Sub |\n\n  v\n", tags=lambda t, v, p: v)
    assert dict(doc.blocks) == {"a": 2, "e": 10}
    assert dict(doc["d"].blocks) == {0: 8}
