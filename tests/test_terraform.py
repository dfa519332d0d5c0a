"""Terraform: aws_sagemaker_training_job, state machines and pipelines in .tf files, and plan JSON.

Fixtures (tests/fixtures/shiftleft/repo/terraform, infra-plan) cite the public examples
they follow in their own comments / README.
"""

from __future__ import annotations

from pathlib import Path

from smscan.models import Problem, Status
from tests.request_helpers import by_pointer, line_of, plain, scan

REPO = Path(__file__).parent / "fixtures" / "shiftleft" / "repo"
TF = REPO / "terraform"
MAIN = TF / "main.tf"
SFN = TF / "stepfunctions.tf"
TEMPLATE = TF / "asl" / "pipeline.asl.json"
MODULE = TF / "modules" / "training" / "main.tf"
PLAN = REPO / "infra-plan" / "plan.json"


def notes_at(problems: list[Problem], path: Path) -> dict[int | None, list[str]]:
    out: dict[int | None, list[str]] = {}
    for p in problems:
        if Path(p.source) == path:
            out.setdefault(p.line, []).append(p.message)
    return out


def test_training_job_blocks_map_to_request_keys_at_their_lines() -> None:
    records, _ = scan(TF)
    job = by_pointer(records)["aws_sagemaker_training_job.churn"]
    data, lines = job.data, job.key_lines
    assert (Path(job.origin.source), job.origin.line) == (MAIN, line_of(MAIN, 'resource "aws_sagemaker_training_job" "churn"'))
    assert data["algorithm_specification"]["TrainingImage"].endswith("pytorch-training:2.2.0-gpu-py310")  # literal local
    assert data["enable_inter_container_traffic_encryption"] is True
    assert data["resource_config"] == {
        "InstanceType": "ml.g5.xlarge",
        "InstanceCount": 1,
        "VolumeSizeInGB": 50,
        "VolumeKmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    }
    assert data["stopping_condition"] == {"MaxRuntimeInSeconds": 7200}
    assert data["hyper_parameters"] == {"epochs": "10", "batch_size": "128"}
    assert data["tags"] == {"team": "ml-platform", "owner": "churn", "managed-by": "terraform"}  # + default_tags
    assert lines["/resource_config/VolumeKmsKeyId"] == line_of(MAIN, "volume_kms_key_id")
    assert lines["/stopping_condition/MaxRuntimeInSeconds"] == line_of(MAIN, "max_runtime_in_seconds = 7200")
    assert lines["/environment/MODEL_DIR"] == line_of(MAIN, "MODEL_DIR")
    assert lines["/tags"] == line_of(MAIN, "tags = local.common_tags")


def test_variables_lookup_dynamic_blocks_and_references_are_run_time() -> None:
    records, problems = scan(TF)
    job = by_pointer(records)["aws_sagemaker_training_job.churn"]
    assert job.data["enable_network_isolation"] is None  # var with default true, tfvars false: unknown
    assert job.data["vpc_config"] is None  # only a conditional dynamic block renders it
    assert job.data["role_arn"] is None
    assert "KmsKeyId" not in job.data["output_data_config"]
    notes = notes_at(problems, MAIN)
    isolation = line_of(MAIN, "enable_network_isolation                  = var.isolate_training")
    (message,) = notes[isolation]
    assert "Terraform variable var.isolate_training" in message
    assert "default true" in message and "terraform.tfvars sets false" in message
    assert any("dynamic \"vpc_config\"" in m for m in notes[line_of(MAIN, 'dynamic "vpc_config"')])
    assert any("lookup()" in m for m in notes[line_of(MAIN, "kms_key_id     = lookup")])
    count = line_of(MAIN, "count = var.enable_training")
    assert notes[count] == [
        "aws_sagemaker_training_job.churn has count = var.enable_training ? 1 : 0: one record stands for every instance"
    ]


def test_for_each_instances_and_try_are_unknown_but_literals_are_read() -> None:
    records, problems = scan(TF)
    job = by_pointer(records)["aws_sagemaker_training_job.per_model"]
    assert job.data["resource_config"] == {"InstanceCount": 1, "VolumeSizeInGB": 30}  # instance_type is each.value...
    assert "TrainingImage" not in job.data["algorithm_specification"]  # try(each.value.image, ...)
    notes = notes_at(problems, MAIN)
    assert any("each instance value each.value.instance_type" in m for m in notes[line_of(MAIN, "each.value.instance_type")])
    assert any("for_each = var.models" in m for m in notes[line_of(MAIN, "for_each = var.models")])


def test_arguments_outside_the_schema_are_noted_and_the_rest_is_read() -> None:
    records, problems = scan(TF)
    legacy = by_pointer(records)["aws_sagemaker_training_job.legacy"]
    assert legacy.data["role_arn"] == "arn:aws:iam::123456789012:role/legacy-training"
    assert legacy.data["hyper_parameters"] is None
    assert legacy.data["tags"] == {"managed-by": "terraform"}  # only the provider's default_tags
    notes = notes_at(problems, MAIN)
    start = line_of(MAIN, '"legacy"')
    assert notes[line_of(MAIN, "name     =", start)] == [
        "argument 'name' is not in the aws_sagemaker_training_job schema: not read"
    ]
    assert notes[line_of(MAIN, "hyperparameters = {", start)] == [
        "argument 'hyperparameters' is not in the aws_sagemaker_training_job schema: not read"
    ]
    assert notes[line_of(MAIN, 'tags = ["legacy"]')] == ["tags is a list; the provider expects a map: not read"]


def test_a_resource_in_a_module_is_found_at_its_own_file_and_line() -> None:
    records, problems = scan(TF)
    (job,) = [r for r in records if Path(r.origin.source) == MODULE]
    assert job.origin.line == line_of(MODULE, 'resource "aws_sagemaker_training_job" "this"')
    assert job.data["vpc_config"] == {"SecurityGroupIds": ["sg-0a1b2c3d4e5f67890"]}  # subnets: a module input
    assert job.data["output_data_config"]["KmsKeyId"] == "alias/churn-output"
    assert any("var.subnets" in m for m in notes_at(problems, MODULE)[line_of(MODULE, "subnets            = var.subnets")])


def test_a_definition_passed_as_module_input_is_read_where_it_is_written() -> None:
    records, problems = scan(TF)
    job = by_pointer(records)["module.nightly_sfn.aws_sfn_state_machine.this/States/Train/Parameters"]
    assert Path(job.origin.source) == MAIN
    assert job.origin.line == line_of(MAIN, "Parameters = {")
    assert job.data["enable_network_isolation"] is True
    assert job.key_lines["/enable_network_isolation"] == line_of(MAIN, "EnableNetworkIsolation = true")
    module_file = TF / "modules" / "sfn" / "main.tf"
    assert [p.message for p in problems if Path(p.source) == module_file] == [
        "aws_sfn_state_machine.this: the definition is the module input var.definition; read where the module is called"
    ]


def test_heredoc_definition_mixes_terraform_interpolation_and_asl_paths() -> None:
    records, problems = scan(SFN)
    job = by_pointer(records)["aws_sfn_state_machine.weekly/States/Train/Parameters"]
    assert job.origin.line == line_of(SFN, '"Parameters": {')
    # ${local.training_image} is a literal local: read; ${var...} is not
    assert job.data["algorithm_specification"]["TrainingImage"].endswith("pytorch-training:2.2.0-gpu-py310")
    assert job.data["enable_network_isolation"] is None
    assert job.data["resource_config"]["InstanceType"] == "ml.m5.xlarge"
    notes = notes_at(problems, SFN)
    line = line_of(SFN, '"EnableNetworkIsolation": ${var.isolate_training}')
    assert [plain(m) for m in notes[line]] == [
        "EnableNetworkIsolation is set at run time (Terraform interpolation ${var.isolate_training})"
    ]
    assert job.key_lines["/enable_network_isolation"] == line
    assert not any("TrainingJobName" in m for ms in notes.values() for m in ms)  # "$$.Execution.Name": identity


def test_templatefile_reads_the_template_once_with_its_literal_variables() -> None:
    records, problems = scan(TF)
    from_template = [r for r in records if Path(r.origin.source) == TEMPLATE]
    (job,) = from_template  # read with the .tf that names it, not again as a plain JSON file
    assert job.origin.pointer == "aws_sfn_state_machine.pipeline/States/Train/Parameters"
    assert job.data["resource_config"]["InstanceType"] == "ml.g5.2xlarge"  # training_instance = "ml.g5.2xlarge"
    assert job.data["role_arn"] is None  # sagemaker_role_arn = var.sagemaker_role_arn
    notes = notes_at(problems, TEMPLATE)
    assert [plain(m) for m in notes[line_of(TEMPLATE, '"RoleArn"')]] == [
        "RoleArn is set at run time (Terraform interpolation ${sagemaker_role_arn (= var.sagemaker_role_arn)})"
    ]
    # the template alone (named on its own) is read as the JSON it is
    alone, _ = scan(TEMPLATE)
    assert [r.origin.pointer for r in alone] == ["/States/Train/Parameters"]


def test_plan_json_after_unknown_child_modules_and_deletions() -> None:
    records, problems = scan(PLAN)
    jobs = by_pointer(records)
    assert set(jobs) == {
        "module.train.aws_sagemaker_training_job.this[0]",
        "aws_sfn_state_machine.retrain/States/Train/Parameters",
    }  # the resource being deleted creates no job
    job = jobs["module.train.aws_sagemaker_training_job.this[0]"]
    assert job.data["training_job_name"] == "churn-plan-training"
    assert job.data["enable_network_isolation"] is True
    assert job.data["vpc_config"] == {"SecurityGroupIds": ["sg-0a1b2c3d4e5f67890"]}
    assert job.data["role_arn"] is None
    assert job.data["tags"] == {"team": "ml-platform", "managed-by": "terraform"}  # tags_all: with default tags
    changes = line_of(PLAN, '"resource_changes"')
    assert job.key_lines["/enable_network_isolation"] == line_of(PLAN, '"enable_network_isolation": true', changes)
    messages = {plain(p.message) for p in problems}
    assert "VpcConfig.Subnets is set at run time (Terraform plan: known after apply)" in messages
    assert "RoleArn is set at run time (Terraform plan: known after apply)" in messages
    machine = jobs["aws_sfn_state_machine.retrain/States/Train/Parameters"]
    assert machine.data["enable_network_isolation"] is False
    assert machine.origin.line == line_of(PLAN, '"definition":')


def test_run_time_isolation_never_passes_and_points_at_the_variable() -> None:
    from smscan.engine import Engine
    from smscan.policy.loader import load_policies

    (policy,) = [p for p in load_policies() if p.id == "network-isolation"]
    records, _ = scan(TF)
    verdict = next(Engine([policy]).evaluate(by_pointer(records)["aws_sagemaker_training_job.churn"]))
    assert verdict.status is not Status.PASS
    assert verdict.finding is not None and verdict.finding.location is not None
    location = verdict.finding.location
    assert (Path(location.path), location.line) == (MAIN, line_of(MAIN, "= var.isolate_training"))


def test_bad_terraform_is_a_problem_with_its_line_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "broken.tf").write_text('resource "aws_sagemaker_training_job" "x" {\n  role_arn = \n}\n')
    (tmp_path / "fine.tf").write_text(
        'resource "aws_sagemaker_training_job" "ok" {\n  role_arn = "arn:aws:iam::1:role/r"\n}\n'
    )
    (tmp_path / "unrelated.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')
    records, problems = scan(tmp_path)
    assert [r.origin.pointer for r in records] == ["aws_sagemaker_training_job.ok"]
    (problem,) = [p for p in problems if p.kind != "note"]
    assert Path(problem.source).name == "broken.tf" and problem.line == 2
    assert problem.message == "invalid HCL at line 2 column 14: unexpected '\\n}'"


def test_definition_that_is_not_json_is_a_problem_at_its_line(tmp_path: Path) -> None:
    tf = tmp_path / "sfn.tf"
    tf.write_text(
        'resource "aws_sfn_state_machine" "m" {\n'
        "  definition = <<EOF\n"
        '{"States": {"T": {"Type": "Task",\n'
        '  "Resource": "arn:aws:states:::sagemaker:createTrainingJob"\n'
        "EOF\n"
        "}\n"
    )
    records, problems = scan(tf)
    assert records == []
    (problem,) = problems
    assert problem.kind != "note" and problem.line is not None and problem.line >= 3
    assert "aws_sfn_state_machine.m: definition is not valid JSON" in problem.message


def test_pipeline_definition_in_terraform_and_one_kept_in_s3() -> None:
    records, problems = scan(SFN)
    job = by_pointer(records)["aws_sagemaker_pipeline.churn/Steps/0/Arguments"]
    assert job.origin.line == line_of(SFN, "Arguments = {")
    assert job.data["enable_network_isolation"] is True
    assert job.data["output_data_config"] == {"S3OutputPath": "s3://churn-artifacts/pipeline/", "KmsKeyId": "alias/churn-output"}
    assert job.key_lines["/output_data_config/KmsKeyId"] == line_of(SFN, 'KmsKeyId     = "alias/churn-output"')
    assert notes_at(problems, SFN)[line_of(SFN, 'resource "aws_sagemaker_pipeline" "from_s3"')] == [
        "aws_sagemaker_pipeline.from_s3: the pipeline definition is read from S3 (pipeline_definition_s3_location): not scanned"
    ]


def test_a_broken_template_is_a_problem_at_the_template_line(tmp_path: Path) -> None:
    (tmp_path / "asl").mkdir()
    template = tmp_path / "asl" / "train.asl.json"
    template.write_text('{\n  "States": {\n    "T": {"Type": "Task",,}\n  }\n}\n')
    (tmp_path / "sfn.tf").write_text(
        'resource "aws_sfn_state_machine" "m" {\n'
        '  definition = templatefile("${path.module}/asl/train.asl.json", {})\n'
        "}\n"
    )
    records, problems = scan(tmp_path)
    assert records == []
    (problem,) = [p for p in problems if p.kind != "note"]
    assert (Path(problem.source), problem.line) == (template, 3)
    assert problem.message.startswith("aws_sfn_state_machine.m: definition is not valid JSON at line 3")


def test_provider_default_tags_join_the_resource_tags(tmp_path: Path) -> None:
    records, problems = scan(TF)
    churn = by_pointer(records)["aws_sagemaker_training_job.churn"]
    assert churn.key_lines["/tags/managed-by"] == churn.origin.line  # the provider block is in another file
    assert f"aws_sagemaker_training_job.churn: the provider's default_tags ({TF / 'providers.tf'}:7) are added to its tags" in {
        p.message for p in problems
    }
    (tmp_path / "main.tf").write_text(
        'provider "aws" {\n  default_tags {\n    tags = var.default_tags\n  }\n}\n'
        'resource "aws_sagemaker_training_job" "x" {\n  role_arn = "arn:aws:iam::1:role/r"\n  tags = { team = "a" }\n}\n'
    )
    records, problems = scan(tmp_path)
    assert records[0].data["tags"] == {"team": "a"}
    assert any("default_tags" in p.message and "an expression: not read" in p.message for p in problems)


def test_count_zero_and_empty_for_each_create_no_job(tmp_path: Path) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text(
        'resource "aws_sagemaker_training_job" "off" {\n  count    = 0\n  role_arn = "r"\n}\n'
        'resource "aws_sagemaker_training_job" "none" {\n  for_each = {}\n  role_arn = "r"\n}\n'
        'resource "aws_sagemaker_training_job" "one" {\n  count    = 1\n  role_arn = "r"\n}\n'
    )
    records, problems = scan(tf)
    assert [r.origin.pointer for r in records] == ["aws_sagemaker_training_job.one"]
    assert [(p.line, p.message) for p in problems if "creates no job" in p.message] == [
        (2, "aws_sagemaker_training_job.off has count = 0: it creates no job"),
        (6, "aws_sagemaker_training_job.none has for_each = {}: it creates no job"),
    ]


def test_hcl_literals_heredoc_forms_and_escapes(tmp_path: Path) -> None:
    tf = tmp_path / "sfn.tf"
    tf.write_text(
        'resource "aws_sfn_state_machine" "m" {\n'
        "  definition = <<-EOT\n"
        "    {\"States\": {\"T\": {\"Type\": \"Task\",\n"
        "      \"Resource\": \"arn:aws:states:::sagemaker:createTrainingJob\",\n"
        "      \"Parameters\": {\"RoleArn\": \"arn:aws:iam::1:role/$${literal}\",\n"
        "        \"StoppingCondition\": {\"MaxRuntimeInSeconds\": 600}}}}}\n"
        "    EOT\n"
        "}\n"
        'resource "aws_sagemaker_training_job" "j" {\n'
        '  role_arn = "arn:aws:iam::1:role/$${x}"\n'
        "  resource_config {\n    volume_size_in_gb = -1\n  }\n"
        "}\n"
    )
    records, problems = scan(tf)
    jobs = by_pointer(records)
    machine = jobs["aws_sfn_state_machine.m/States/T/Parameters"]
    assert machine.data["role_arn"] == "arn:aws:iam::1:role/${literal}"  # `$${` is a literal `${`
    assert machine.data["stopping_condition"] == {"MaxRuntimeInSeconds": 600}
    assert machine.key_lines["/stopping_condition/MaxRuntimeInSeconds"] == 6  # `<<-` heredoc lines kept
    job = jobs["aws_sagemaker_training_job.j"]
    assert job.data["role_arn"] == "arn:aws:iam::1:role/${x}"
    assert job.data["resource_config"] == {"VolumeSizeInGB": -1}
    assert not [p for p in problems if p.kind != "note"]


def test_strings_built_from_literal_locals_are_read(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'locals {\n  registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"\n  tag = 3\n}\n'
        'resource "aws_sagemaker_training_job" "j" {\n'
        "  algorithm_specification {\n"
        '    training_image = "${local.registry}/train:${local.tag}"\n'
        "  }\n"
        "  output_data_config {\n"
        '    s3_output_path = "s3://${var.bucket}/out/"\n'
        "  }\n"
        "}\n"
    )
    records, _ = scan(tmp_path)
    (job,) = records
    assert job.data["algorithm_specification"] == {"TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:3"}
    assert job.data["output_data_config"] == {}  # ${var.bucket}: run time


def test_plan_without_resource_changes_reads_planned_values(tmp_path: Path) -> None:
    import json

    plan = json.loads(PLAN.read_text())
    del plan["resource_changes"]
    module = plan["planned_values"]["root_module"]["child_modules"][0]
    module["resources"][0]["address"] = 'module.train.aws_sagemaker_training_job.this["a.b"]'  # a for_each key
    path = tmp_path / "state.json"
    path.write_text(json.dumps(plan, indent=2))
    records, _ = scan(path)
    (job,) = records
    assert job.origin.pointer == 'module.train.aws_sagemaker_training_job.this["a.b"]'
    assert job.data["enable_network_isolation"] is True


def test_terraform_json_syntax() -> None:
    generated = TF / "generated.tf.json"
    records, problems = scan(generated)
    (job,) = records
    assert (job.origin.pointer, job.origin.line) == ("aws_sagemaker_training_job.generated", line_of(generated, '"generated": {'))
    assert job.data["enable_network_isolation"] is True
    assert job.data["output_data_config"] == {"S3OutputPath": "s3://churn-artifacts/generated/", "KmsKeyId": "alias/churn-output"}
    assert job.key_lines["/output_data_config/KmsKeyId"] == line_of(generated, '"kms_key_id"')
    assert job.data["role_arn"] is None
    assert [plain(p.message) for p in problems] == [
        "RoleArn is set at run time (Terraform expression ${aws_iam_role.sagemaker.arn})"
    ]
