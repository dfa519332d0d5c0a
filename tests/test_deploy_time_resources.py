"""A Task whose Resource is decided at deploy time is never guessed into a job, and never passes silently.

Fixtures: tests/fixtures/requests/deploy_time (README.md there cites each shape: the SAM CLI
stock trader quick start's DefinitionUri + DefinitionSubstitutions layout, the CloudFormation
reference's intrinsics, a definition file with a `${TrainTask}` placeholder).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smscan.models import Problem
from smscan.sources.requests.runtime import RunTime
from smscan.sources.requests.source import MARKERS
from smscan.sources.requests.stepfunctions import undecided_resource
from tests.cli_helpers import run_cli
from tests.request_helpers import line_of, scan

DEPLOY_TIME = Path(__file__).parent / "fixtures" / "requests" / "deploy_time"
CFN = DEPLOY_TIME / "cfn.yaml"
SAM_APP = DEPLOY_TIME / "sam-app"
SAM_DEFINITION = SAM_APP / "statemachine" / "stock_trader.asl.json"
ALONE = DEPLOY_TIME / "train.asl.json"
TERRAFORM = DEPLOY_TIME / "terraform" / "main.tf"
CANNOT_TELL = "; smscan cannot tell whether it starts a training job, so none is read from it"


def undecided(problems: list[Problem]) -> list[tuple[str, int | None, str]]:
    return [(Path(p.source).name, p.line, p.message) for p in problems if p.kind == "note" and CANNOT_TELL in p.message]


def test_template_tasks_with_deploy_time_resources_are_noted_at_their_lines() -> None:
    records, problems = scan(CFN)
    (record,) = records  # only the literal createTrainingJob task is a job
    assert record.data["training_job_name"] == "retrain"

    def at(state: str) -> int:
        return line_of(CFN, "Resource:", line_of(CFN, f"  {state}:"))

    why = "is decided at deploy time"
    assert undecided(problems) == [
        ("cfn.yaml", at("By parameter"), f"Task By parameter's Resource {why} (CloudFormation parameter "
         f"TaskResource, whose Default can be overridden at deploy time){CANNOT_TELL}"),
        ("cfn.yaml", at("Imported"), f"Task Imported's Resource {why} (CloudFormation Fn::ImportValue){CANNOT_TELL}"),
        ("cfn.yaml", at("Looked up"), f"Task Looked up's Resource {why} (CloudFormation Fn::GetAtt TaskLookup.Value){CANNOT_TELL}"),
        ("cfn.yaml", at("Some API"), f"Task Some API's Resource {why} (CloudFormation pseudo parameter "
         f"AWS::Partition and 1 more value(s)){CANNOT_TELL}"),
    ]  # not Prepare (a Lambda ARN by its literal parts) nor Invoke (the template's own function)
    assert [p for p in problems if p.kind != "note"] == []


def test_a_sam_app_whose_training_task_is_a_parameter_yields_no_job_but_says_why() -> None:
    records, problems = scan(SAM_APP)
    assert records == []
    train = line_of(SAM_DEFINITION, '"Resource"', line_of(SAM_DEFINITION, '"Train pricing model"'))
    assert undecided(problems) == [
        ("stock_trader.asl.json", train, "Task Train pricing model's Resource is decided at deploy time "
         f"(CloudFormation parameter TrainTaskArn){CANNOT_TELL}"),
    ]  # the two Lambda tasks are filled from the template's own functions: not noted
    (summary,) = [p for p in problems if Path(p.source) == SAM_APP]
    assert summary.kind == "note"  # `smscan scan .` of a repository still exits 0
    assert summary.message == (
        "no training-job request found in 2 file(s), but 1 Task state(s) (Train pricing model) have a "
        "Resource decided at deploy time: smscan cannot tell whether they start a training job (see the notes)"
    )


def test_a_named_file_whose_only_task_is_undecided_is_a_problem_that_says_so() -> None:
    records, problems = scan(ALONE)
    assert records == []
    assert [(p.kind, p.line, p.message) for p in problems] == [
        ("note", 6, f"Task Train's Resource is decided at deploy time (placeholder ${{TrainTask}} filled at deploy time){CANNOT_TELL}"),
        ("input", None, "no training-job request found in this file, but 1 Task state(s) (Train) have a Resource "
         "decided at deploy time: smscan cannot tell whether they start a training job (see the notes)"),
    ]


def test_the_cli_fails_closed_on_the_named_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "scan", ALONE, "-o", tmp_path / "report.json")
    assert code == 3
    assert "Traceback" not in out + err
    assert f"{ALONE}: no training-job request found in this file, but 1 Task state(s) (Train)" in err


def test_a_directory_file_with_only_placeholders_is_read_to_say_so(tmp_path: Path) -> None:
    # The task takes its whole request from the state input: no AlgorithmSpecification, no
    # createTrainingJob, nothing of MARKERS in the file.
    text = '{\n  "StartAt": "Train",\n  "States": {\n    "Train": {"Type": "Task", "Resource": "${TrainTask}", "End": true}\n  }\n}\n'
    assert not any(marker in text.encode() for marker in MARKERS)
    (tmp_path / "train.asl.json").write_text(text)
    (tmp_path / "README.json").write_text('{"States": "none", "Resource": "${not a machine}"}')
    records, problems = scan(tmp_path)
    assert records == []
    assert [line for _, line, _ in undecided(problems)] == [4]


def test_a_fragment_with_a_placeholder_resource_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{\n  "Type": "Task",\n  "Resource": "arn:aws:states:::${Integration}",\n  "End": true\n}\n')
    _, problems = scan(path)
    assert [(line, message.split("'s Resource")[0]) for _, line, message in undecided(problems)] == [(3, "The Task state")]


def test_terraform_partition_interpolations_are_jobs_and_a_variable_resource_is_noted() -> None:
    records, problems = scan(TERRAFORM)
    assert [(r.origin.pointer, r.key_lines["/enable_network_isolation"]) for r in records] == [
        ("aws_sfn_state_machine.encoded/States/Train/Parameters", line_of(TERRAFORM, "EnableNetworkIsolation = false")),
        ("aws_sfn_state_machine.heredoc/States/Train/Parameters", line_of(TERRAFORM, '"EnableNetworkIsolation": true')),
    ]  # `arn:${data.aws_partition.current.partition}:states:::sagemaker:createTrainingJob.sync`, both ways
    assert undecided(problems) == [
        ("main.tf", line_of(TERRAFORM, "Resource = var.train_task_arn"), "aws_sfn_state_machine.encoded: Task Train "
         f"again's Resource is decided at deploy time (Terraform variable var.train_task_arn){CANNOT_TELL}"),
    ]  # not the Lambda task (aws_lambda_function.prepare.arn)
    assert [p for p in problems if p.kind != "note"] == []


@pytest.mark.parametrize(
    ("resource", "noted"),
    [
        (RunTime("CloudFormation parameter TaskArn", "${TaskArn}"), True),
        (RunTime("a list or object where CloudFormation expects a string"), True),  # nothing to go by
        (RunTime("x", "arn:${AWS::Partition}:states:::${Api}.sync"), True),
        (RunTime("x", "arn:aws-us-gov:states:::${Service}:createTrainingJob"), True),
        (RunTime("x", "${Fn.Arn}", "AWS::Serverless::Function"), False),  # the template's own Lambda
        (RunTime("x", "${Activity}", "AWS::StepFunctions::Activity"), False),
        (RunTime("x", "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:f"), False),
        (RunTime("x", "arn:${AWS::Partition}:states:::sagemaker:createTrainingJob.sync"), False),  # a job already
        (RunTime("x", "arn:aws:states:::sagemaker:createTransformJob.${Pattern}"), False),
        ("arn:aws:states:::sagemaker:createTrainingJob", False),
        ("arn:aws:lambda:us-east-1:123456789012:function:train", False),
        ("${TrainTask}", True),  # a placeholder left in a fragment
        (RunTime("Terraform variable var.task", "var.task"), True),  # a whole expression
        (RunTime("Terraform function format()", 'format("arn:%s:states:::sagemaker:x", local.p)'), True),
        (RunTime("x", "aws_lambda_function.prep.arn", "aws_lambda_function"), False),
        (RunTime("x", '"arn:${data.aws_partition.current.partition}:lambda:${var.region}:1:function:f"'), False),
    ],
)
def test_which_resources_may_be_a_training_job(resource: object, noted: bool) -> None:
    assert (undecided_resource(resource) is not None) is noted
