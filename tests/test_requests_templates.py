"""CloudFormation, SAM and CDK templates, every createTrainingJob spelling, and fragments.

Fixtures (tests/fixtures/requests/templates, .../forms) cite their sources in comments or a
README beside them: AWS's CloudFormation and SAM references, the Step Functions developer
guide and aws-cdk's synthesized integration snapshot.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smscan.models import Problem, Record
from smscan.sources.requests.source import RequestFileSource, RequestOptions
from smscan.sources.requests.stepfunctions import is_training_resource
from tests.request_helpers import line_of, scan

FIXTURES = Path(__file__).parent / "fixtures" / "requests"
TEMPLATES = FIXTURES / "templates"
SAM = TEMPLATES / "sam-app"
CFN = TEMPLATES / "cfn"
FORMS = FIXTURES / "forms"


def notes(problems: list[Problem]) -> list[str]:
    return [p.message for p in problems if p.kind == "note"]


def unknown(problems: list[Problem]) -> dict[str, str]:
    """AWS path -> what decides it, from the run-time notes."""
    found = {}
    for p in problems:
        if p.kind == "note" and " is set at run time (" in p.message:
            path, how = p.message.split(" is set at run time (", 1)
            found[path] = how.rsplit("): policies that read it are UNKNOWN", 1)[0]
    return found


def test_sam_application_reads_its_definition_uri_file_with_substitutions() -> None:
    records, problems = scan(SAM)
    asl = SAM / "statemachine" / "train.asl.json"
    (record,) = records  # the definition file is not read a second time on its own
    assert (record.origin.source, record.origin.pointer) == (str(asl), "/States/Train churn model/Parameters")
    assert record.origin.line == line_of(asl, '"Parameters"')
    data = record.data
    # literal substitutions keep their JSON type, even written outside a string
    assert data["stopping_condition"] == {"MaxRuntimeInSeconds": 86400}
    assert data["enable_network_isolation"] is True
    assert data["resource_config"]["VolumeKmsKeyId"] == "alias/sagemaker-volumes"
    assert data["tags"] == {"team": "churn"}
    assert unknown(problems) == {
        "AlgorithmSpecification.TrainingImage": "CloudFormation parameter TrainingImage, whose Default can be overridden at deploy time",
        "RoleArn": "CloudFormation Fn::GetAtt SageMakerRole.Arn",
        "OutputDataConfig.S3OutputPath": "CloudFormation Ref to resource ModelBucket",
        "ResourceConfig.InstanceType": "CloudFormation parameter InstanceType",
    }
    assert [p for p in problems if p.kind != "note"] == []
    assert record.key_lines["/enable_network_isolation"] == line_of(asl, '"EnableNetworkIsolation"')
    assert sorted(record.unknown) == [
        "/algorithm_specification/TrainingImage",
        "/output_data_config/S3OutputPath",
        "/resource_config/InstanceType",
        "/role_arn",
        "/training_job_name",  # TrainingJobName.$: listed, but not noted
    ]
    line = line_of(asl, '"RoleArn"')
    assert record.unknown["/role_arn"] == f"set at run time (CloudFormation Fn::GetAtt SageMakerRole.Arn) at {asl}:{line}"


def test_sam_template_named_alone_still_reads_its_definition_file() -> None:
    records, problems = scan(SAM / "template.yaml")
    assert [r.origin.source for r in records] == [str(SAM / "statemachine" / "train.asl.json")]
    assert [p for p in problems if p.kind != "note"] == []


def test_definition_uri_outside_the_scanned_tree_is_not_read(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (tmp_path / "outside.asl.json").write_text((SAM / "statemachine" / "train.asl.json").read_text())
    template = (SAM / "template.yaml").read_text().replace("statemachine/train.asl.json", "../outside.asl.json")
    (app / "template.yaml").write_text(template)
    records, problems = scan(app)
    assert records == []
    assert any("is outside the scanned directory: not read" in p.message and p.kind == "input" for p in problems)


def test_cdk_synthesized_definition_string_is_joined_before_matching() -> None:
    path = TEMPLATES / "cdk.out" / "integ-stepfunctions-sagemaker.template.json"
    records, problems = scan(path)
    (record,) = records
    assert record.origin.pointer == "/Resources/StateMachine2E01A3A5/Properties/DefinitionString/States/TrainTask/Parameters"
    assert record.origin.line == line_of(path, '"DefinitionString"')  # the line of the string
    assert record.data["training_job_name"] == "mytrainingjob"
    assert record.data["algorithm_specification"] == {"TrainingInputMode": "FastFile", "AlgorithmName": "BlazingText"}
    assert record.data["role_arn"] is None and record.data["output_data_config"] == {}
    assert unknown(problems) == {
        "RoleArn": "CloudFormation Fn::GetAtt TrainTaskSagemakerRole0A9B1CDD.Arn",
        "InputDataConfig[0].DataSource.S3DataSource.S3Uri": "CloudFormation pseudo parameter AWS::Region and 2 more value(s)",
        "OutputDataConfig.S3OutputPath": "CloudFormation pseudo parameter AWS::Region and 2 more value(s)",
    }


def test_cloudformation_state_machines_object_string_and_s3() -> None:
    path = CFN / "stepfunctions.yaml"
    records, problems = scan(path)
    by_pointer = {r.origin.pointer.rsplit("/States/", 1)[-1]: r for r in records}
    assert sorted(by_pointer) == [
        "SageMaker CreateTrainingJob/Parameters",
        "Train in GovCloud/Parameters",
        "Train per dataset/Arguments",
    ]
    gov = by_pointer["Train in GovCloud/Parameters"]
    jsonata = by_pointer["Train per dataset/Arguments"]
    assert gov.origin.line == line_of(path, "Parameters:", line_of(path, "Train in GovCloud:"))
    assert gov.data["output_data_config"] == {"S3OutputPath": "s3://ml-artifacts-123456789012/gov/"}
    assert gov.data["vpc_config"] == {"Subnets": [None], "SecurityGroupIds": ["sg-0a1b2c3d"]}
    assert gov.unknown["/vpc_config/Subnets/0"].startswith("set at run time (CloudFormation parameter SubnetId)")
    assert gov.key_lines["/enable_network_isolation"] == line_of(path, "EnableNetworkIsolation: !Ref Isolate")
    assert jsonata.data["role_arn"] == "arn:aws:iam::123456789012:role/train"
    sdk = by_pointer["SageMaker CreateTrainingJob/Parameters"]
    assert sdk.data["enable_network_isolation"] is True
    # A `!Sub |` literal block: the string's lines are the template's (test_cloudformation_blocks.py).
    string_at = line_of(path, "DefinitionString: !Sub |")
    assert sdk.origin.line == line_of(path, '"Parameters": {', string_at)
    assert sdk.key_lines["/enable_network_isolation"] == line_of(path, '"EnableNetworkIsolation": true', string_at)
    gov_notes = [p.message for p in problems if p.line is not None and gov.origin.line <= p.line < jsonata.origin.line]
    assert "EnableNetworkIsolation is set at run time (CloudFormation parameter Isolate, whose Default can be overridden at deploy time): policies that read it are UNKNOWN" in gov_notes
    assert [m for m in notes(problems) if "not read" in m] == [
        "DefinitionS3Location of RemoteMachine is not read (only local files are): its training jobs, if any, are not checked"
    ]
    every = [m for m in notes(problems) if "is set at run time" in m]
    assert "EnableNetworkIsolation is set at run time (CloudFormation Fn::If on condition IsProd): policies that read it are UNKNOWN" in every
    assert "OutputDataConfig.S3OutputPath is set at run time (Step Functions JSONata expression): policies that read it are UNKNOWN" in every


def test_sagemaker_pipeline_body_with_a_comment_line_and_a_step_without_arguments() -> None:
    path = CFN / "pipeline.yaml"
    records, problems = scan(path)
    (record,) = records
    assert record.origin.pointer == "/Resources/ChurnPipeline/Properties/PipelineDefinition/PipelineDefinitionBody/Steps/0/Arguments"
    assert record.data["enable_network_isolation"] is True
    assert unknown(problems) == {
        "AlgorithmSpecification.TrainingImage": "CloudFormation pseudo parameter AWS::Region",
        "ResourceConfig.InstanceType": "pipeline expression Get",
        "RoleArn": "CloudFormation Fn::GetAtt TrainRole.Arn",
    }
    serious = [(p.kind, p.message) for p in problems if p.kind != "note"]
    assert serious == [("record", "Training step 'TrainLegacy' has no Arguments: its training job cannot be checked")]
    assert any(m.startswith("PipelineDefinitionS3Location of RemotePipeline is not read") for m in notes(problems))


def test_sagemaker_training_job_resource_is_the_request() -> None:
    path = CFN / "training_job.json"
    records, problems = scan(path)
    (record,) = records
    assert record.origin.pointer == "/Resources/ChurnTrainingJob/Properties"
    assert record.data["training_job_name"] == "churn-cfn"
    assert record.data["output_data_config"] == {"S3OutputPath": "s3://ml-artifacts-123456789012/churn/"}  # a literal Fn::Join
    assert record.data["tags"] == {"team": "churn"}
    assert unknown(problems) == {
        "RoleArn": "CloudFormation Fn::GetAtt TrainRole.Arn",
        "OutputDataConfig.KmsKeyId": "CloudFormation parameter KmsKey",
        "VpcConfig.Subnets[0]": "CloudFormation Fn::ImportValue",
    }
    assert record.key_lines["/role_arn"] == line_of(path, '"RoleArn"')


def test_every_training_resource_spelling_is_a_job_and_nothing_else_is() -> None:
    records, problems = scan(FORMS / "partitions.asl.json")
    assert [r.data["training_job_name"] for r in records] == [
        "govcloud", "china", "request-response", "callback", "sdk-integration", "sub-partition", "sam-partition",
    ]
    assert [p for p in problems if p.kind != "note"] == []


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:states:::sagemaker:createTransformJob.sync",
        "arn:aws:states:::sagemaker:createTrainingJobs",
        "arn:aws:lambda:us-east-1:123456789012:function:createTrainingJob",
        "sagemaker:createTrainingJob",
        None,
    ],
)
def test_other_resources_are_not_training_jobs(resource: object) -> None:
    assert not is_training_resource(resource)


def test_a_task_state_from_the_docs_is_read_as_a_fragment() -> None:
    path = FORMS / "docs_state_fragment.json"
    records, problems = scan(path)
    (record,) = records
    assert record.origin.pointer == "/SageMaker CreateTrainingJob/Parameters"
    assert record.data["training_job_name"] == "search-model"
    assert notes(problems) == [
        "a Step Functions Task state outside a state machine (a fragment): read as one job (SageMaker CreateTrainingJob)"
    ]


def test_a_single_training_step_is_read_as_a_fragment() -> None:
    records, problems = scan(FORMS / "training_step_fragment.json")
    (record,) = records
    assert record.origin.pointer == "/Arguments"
    assert record.data["hyper_parameters"]["max_depth"] == "5"
    assert notes(problems) == ["a SageMaker Pipeline Training step outside a pipeline (a fragment): read as one job"]


def test_a_training_step_without_arguments_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "step.json"
    path.write_text('{"Name": "Train", "Type": "Training", "AlgorithmSpecification": {}}')
    records, problems = scan(path)
    assert records == []
    assert [(p.kind, p.message) for p in problems] == [
        ("record", "Training step 'Train' has no Arguments: its training job cannot be checked")
    ]


def test_short_form_tags_are_parsed_never_refused_or_run(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Job:\n"
        "    Type: AWS::SageMaker::TrainingJob\n"
        "    Properties:\n"
        "      AlgorithmSpecification: {TrainingImage: !FindInMap [Images, !Ref AWS::Region, xgb], TrainingInputMode: File}\n"
        "      RoleArn: !ImportValue shared-role\n"
        "      OutputDataConfig: {S3OutputPath: !Join ['', ['s3://', !Select [0, !Split [',', a,b]]]]}\n"
        "      EnableNetworkIsolation: !Unknown tag\n"
        "      StoppingCondition: !Base64 |\n"
        "        python -c 'import os; os.system(\"rm -rf /\")'\n"
    )
    records, problems = scan(path)
    (record,) = records
    assert record.data["role_arn"] is None
    assert unknown(problems) == {
        "AlgorithmSpecification.TrainingImage": "CloudFormation Fn::FindInMap",
        "RoleArn": "CloudFormation Fn::ImportValue",
        "OutputDataConfig.S3OutputPath": "CloudFormation Fn::Select",
        "EnableNetworkIsolation": "CloudFormation Fn::Unknown",
        "StoppingCondition": "CloudFormation Fn::Base64",
    }


def test_a_template_without_training_jobs_gives_nothing(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "  Machine:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
        "      Definition:\n        StartAt: A\n        States:\n          A: {Type: Task, Resource: !GetAtt Fn.Arn, End: true}\n"
    )
    records, problems = scan(path)
    assert records == []  # the task invokes the template's own Lambda function: not a training job
    assert [(p.kind, p.message) for p in problems] == [("input", "no training-job request found in this file")]


def test_a_directory_of_templates_counts_each_job_once() -> None:
    source = RequestFileSource(RequestOptions((str(TEMPLATES),)))
    items = list(source.items())
    keys = [i.data["_key"] for i in items if isinstance(i, Record)]
    assert len(keys) == len(set(keys)) == 7
    assert source.jobs == 7


def test_a_definition_file_scanned_without_its_template_keeps_its_placeholders_unknown() -> None:
    asl = SAM / "statemachine" / "train.asl.json"
    records, problems = scan(asl)
    (record,) = records  # `${MaxRuntime}` outside a string does not make the job unreadable
    assert record.data["stopping_condition"] == {}
    assert record.data["enable_network_isolation"] is None
    whys = unknown(problems)
    assert whys["StoppingCondition.MaxRuntimeInSeconds"] == "placeholder ${MaxRuntime} filled at deploy time"
    assert whys["EnableNetworkIsolation"] == "placeholder ${Isolated} filled at deploy time"
    assert whys["RoleArn"] == "placeholder ${RoleArn} filled at deploy time"
    assert [p for p in problems if p.kind != "note"] == []


def test_invalid_json_near_a_placeholder_is_still_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.asl.json"
    text = '{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob", "TimeoutSeconds": ${T} ,, }}}'
    path.write_text(text)
    records, problems = scan(path)
    assert records == []  # the error named is the one in the file as written
    column = text.index("${T}") + 1
    assert [(p.kind, p.message) for p in problems] == [("input", f"invalid JSON at line 1 column {column}: expecting a value")]


def test_json_definition_string_with_substitutions_and_a_bare_deploy_time_number(tmp_path: Path) -> None:
    # CDK writes a number token outside any JSON string: `"InstanceCount":` + Ref + `,...`
    definition = {
        "Fn::Join": [
            "",
            [
                '{"StartAt":"T","States":{"T":{"Type":"Task","End":true,"Resource":"arn:aws-cn:states:::sagemaker:createTrainingJob.sync",'
                '"Parameters":{"TrainingJobName":"t","AlgorithmSpecification":{"TrainingImage":"${Image}","TrainingInputMode":"File"},'
                '"RoleArn":"arn:aws-cn:iam::123456789012:role/t","ResourceConfig":{"InstanceCount":',
                {"Ref": "Count"},
                ',"InstanceType":"ml.m5.xlarge","VolumeSizeInGB":10}}}}}',
            ],
        ]
    }
    template = {
        "Parameters": {"Count": {"Type": "Number"}},
        "Resources": {
            "M": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionString": definition, "DefinitionSubstitutions": {"Image": "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/t:1"}},
            }
        },
    }
    path = tmp_path / "stack.template.json"
    path.write_text(json.dumps(template, indent=1))
    records, problems = scan(path)
    (record,) = records
    assert record.data["algorithm_specification"]["TrainingImage"] == "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/t:1"
    assert record.data["resource_config"] == {"InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 10}
    assert unknown(problems) == {"ResourceConfig.InstanceCount": "CloudFormation parameter Count"}


def test_reserved_characters_in_a_file_are_unknown_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "train.asl.json"
    machine = json.loads((FORMS / "partitions.asl.json").read_text())
    machine["States"]["GovCloud"]["Parameters"]["RoleArn"] = "\ue0007\ue001"
    machine["States"]["GovCloud"]["Parameters"]["OutputDataConfig"]["S3OutputPath"] = "s3://\ue0009999999\ue001/x"
    path.write_text(json.dumps(machine))
    records, problems = scan(path)
    assert len(records) == 7
    whys = unknown(problems)
    assert whys["RoleArn"] == "characters smscan reserves for deploy-time values"
    assert records[0].data["output_data_config"]["S3OutputPath"] == "s3://\ue0009999999\ue001/x"  # no token: literal


def test_intrinsics_that_are_literal_are_resolved_and_the_rest_are_not(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Parameters:\n  Env: {Type: String}\n"
        "Resources:\n  Job:\n    Type: AWS::SageMaker::TrainingJob\n    Properties:\n"
        "      TrainingJobName: !Sub\n        - '${Prefix}-${!Literal}'\n        - {Prefix: churn}\n"
        "      AlgorithmSpecification:\n"
        "        TrainingImage: !Join [':', [123456789012.dkr.ecr.us-east-1.amazonaws.com/train, !Sub '${Tag}', '1']]\n"
        "        TrainingInputMode: !Sub File\n"
        "      RoleArn: !Sub 'arn:${AWS::Partition}:iam::123456789012:role/train-${Env}'\n"
        "      OutputDataConfig: {S3OutputPath: !Sub ['s3://${B}/out', {B: !Ref Bucket}]}\n"
        "  Bucket: {Type: AWS::S3::Bucket}\n"
    )
    records, problems = scan(path)
    (record,) = records
    assert record.data["training_job_name"] == "churn-${Literal}"
    assert record.data["algorithm_specification"] == {"TrainingInputMode": "File"}
    assert unknown(problems) == {
        "AlgorithmSpecification.TrainingImage": "CloudFormation Ref to resource Tag",
        "RoleArn": "CloudFormation pseudo parameter AWS::Partition and 1 more value(s)",
        "OutputDataConfig.S3OutputPath": "CloudFormation Ref to resource Bucket",
    }


def test_placeholders_in_json_text_respect_strings_and_escapes() -> None:
    from smscan.sources.requests.stepfunctions import Tokens, substitute_text

    tokens = Tokens()
    text = '{"a": "x\\\\", "b": ${A}, "c": "q\\"${B}", "n": ${N}, "t": "${T}", "ok": ${Ok}}'
    out = json.loads(substitute_text(text, {"A": 'va"l', "N": 5, "T": "plain", "Ok": False}, tokens))
    assert out["a"] == "x\\" and out["b"] == 'va"l' and out["n"] == 5 and out["t"] == "plain" and out["ok"] is False
    assert tokens.value(out["c"]).expression == 'q"${B}'  # unknown: not in the substitutions


@pytest.mark.parametrize("first_the_template", [True, False])
def test_a_template_and_its_definition_file_named_separately_give_one_job(first_the_template: bool) -> None:
    paths = [SAM / "template.yaml", SAM / "statemachine" / "train.asl.json"]
    records, problems = scan(*(paths if first_the_template else paths[::-1]))
    assert [r.origin.source for r in records] == [str(paths[1])]
    assert records[0].data["enable_network_isolation"] is True  # as the template fills it
    assert [p for p in problems if p.kind != "note"] == []


def test_resources_made_by_fn_foreach_are_a_note(tmp_path: Path) -> None:
    # The shape of the AWS::LanguageExtensions transform's Fn::ForEach (CloudFormation user guide).
    path = tmp_path / "template.yaml"
    path.write_text(
        "Transform: AWS::LanguageExtensions\nResources:\n"
        "  Fn::ForEach::Jobs:\n    - Name\n    - [churn, fraud]\n"
        "    - ${Name}Job:\n        Type: AWS::SageMaker::TrainingJob\n        Properties: {AlgorithmSpecification: {TrainingImage: img}}\n"
    )
    records, problems = scan(path)
    assert records == []
    assert [(p.kind, p.line) for p in problems] == [("note", 3), ("input", None)]  # and no job: fail closed
    assert problems[0].message.startswith("Fn::ForEach::Jobs: resources generated by Fn::ForEach are not read")
    assert problems[1].message == "no training-job request found in this file"
