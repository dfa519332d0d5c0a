"""SageMaker Python SDK code read statically: v2 estimators, v3 ModelTrainer, notebooks, SDK config.

Fixtures (tests/fixtures/shiftleft/repo/sdk, notebooks) cite the public examples they
follow in their docstrings; the small sources written here follow the same patterns.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from smscan.models import Problem
from tests.request_helpers import by_pointer, line_of, plain, scan

REPO = Path(__file__).parent / "fixtures" / "shiftleft" / "repo"
SDK = REPO / "sdk"
PIPELINE = SDK / "pipeline.py"
ALGORITHMS = SDK / "algorithms.py"
TRAINER = SDK / "v3" / "train_modeltrainer.py"
CONFIG = SDK / "config.yaml"
NOTEBOOK = REPO / "notebooks" / "pytorch_mnist.ipynb"


def messages(problems: list[Problem], line: int | None = None) -> list[str]:
    return [plain(p.message) for p in problems if line is None or p.line == line]


def write(tmp_path: Path, name: str, code: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    return path


def test_kwargs_dict_literal_module_constants_and_ssm_subnets() -> None:
    records, problems = scan(SDK)
    job = by_pointer(records)["pytorch_estimator"]
    data = job.data
    assert job.origin.line == line_of(PIPELINE, "pytorch_estimator = PT(")  # `PyTorch as PT` resolves
    assert data["resource_config"]["InstanceCount"] == 2  # from **estimator_kwargs
    assert job.key_lines["/resource_config/InstanceCount"] == line_of(PIPELINE, '"instance_count": 2')
    assert data["stopping_condition"] == {"MaxRuntimeInSeconds": 4 * 60 * 60}  # MAX_RUN, bound once
    assert data["enable_inter_container_traffic_encryption"] is True
    assert data["vpc_config"] == {"SecurityGroupIds": ["sg-0123456789abcdef0"]}  # subnets: from SSM
    subnets = line_of(PIPELINE, "subnets=private_subnets")
    assert any(m.startswith("VpcConfig.Subnets is set at run time (Python call ssm.get_parameter(") for m in messages(problems, subnets))
    assert data["tags"] == {"team": "ml-platform", "cost-center": "ml-4711"}  # the config's tag is appended


def test_v1_names_pipeline_parameters_and_set_hyperparameters() -> None:
    records, problems = scan(SDK)
    job = by_pointer(records)["xgb_train"]
    assert job.data["resource_config"]["InstanceCount"] == 1
    assert "InstanceType" not in job.data["resource_config"]  # ParameterString: set when the pipeline runs
    assert job.data["hyper_parameters"] == {"objective": "reg:squarederror", "num_round": "100", "max_depth": "5"}
    assert job.data["enable_network_isolation"] is False  # passed explicitly: the config does not override it
    line = line_of(PIPELINE, "train_instance_type=training_instance_type")
    assert messages(problems, line) == [
        "ResourceConfig.InstanceType is set at run time (Pipelines parameter 'TrainingInstanceType' "
        "(default 'ml.m5.xlarge'), set when the pipeline runs)",
        "train_instance_type is the SDK v1 name of instance_type; read as instance_type",
    ]
    # TrainingStep(estimator=xgb_train) wraps the same job: it is not a second one
    assert sorted(by_pointer(records)) == ["lda", "llama", "pytorch_estimator", "sklearn_estimator", "trainer", "xgb_train"]


def test_sklearn_and_lda_train_on_one_instance_jumpstart_defaults_are_the_spec() -> None:
    records, problems = scan(ALGORITHMS)
    jobs = by_pointer(records)
    assert jobs["sklearn_estimator"].data["resource_config"]["InstanceCount"] == 1
    assert jobs["lda"].data["resource_config"]["InstanceCount"] == 1
    assert jobs["lda"].data["hyper_parameters"] == {"num_topics": "10"}  # an algorithm keyword
    llama = jobs["llama"].data
    assert llama["enable_network_isolation"] is None  # the model spec decides: never the SDK default
    assert "InstanceType" not in llama["resource_config"]
    spec = "the JumpStart model spec of 'meta-textgeneration-llama-3-8b'"
    line = line_of(ALGORITHMS, "llama = JumpStartEstimator(")
    assert f"EnableNetworkIsolation is set at run time ({spec})" in messages(problems, line)


def test_local_mode_lookalike_classes_and_unpassed_network_config_create_no_job() -> None:
    records, problems = scan(ALGORITHMS)
    assert "local_estimator" not in by_pointer(records) and "not_sagemaker" not in by_pointer(records)
    assert messages(problems, line_of(ALGORITHMS, "local_estimator = SKLearn(")) == [
        "instance_type='local' runs in local mode: no SageMaker job is created"
    ]
    # NetworkConfig(enable_network_isolation=True, ...) is never passed: the config's values apply instead
    assert by_pointer(records)["sklearn_estimator"].data["vpc_config"]["Subnets"] == ["subnet-0123456789abcdef0"]


def test_sdk_config_fills_what_the_code_omits_and_says_which_file_set_it() -> None:
    records, problems = scan(ALGORITHMS)
    job = by_pointer(records)["sklearn_estimator"]
    assert job.data["enable_network_isolation"] is True  # not passed: the config's, not the SDK default False
    assert job.data["output_data_config"]["KmsKeyId"] == "alias/sagemaker-output"
    assert job.data["resource_config"]["VolumeKmsKeyId"] == "alias/sagemaker-volume"
    line = line_of(ALGORITHMS, "sklearn_estimator = SKLearn(")
    assert job.key_lines["/enable_network_isolation"] == line
    assert f"EnableNetworkIsolation is set by the SDK config {CONFIG}:{line_of(CONFIG, 'EnableNetworkIsolation')}" in messages(problems, line)
    assert not any("without an SDK config" in m for m in messages(problems))


def test_without_a_config_the_sdk_defaults_apply_and_the_summary_says_so(tmp_path: Path) -> None:
    code = write(tmp_path, "train.py", """\
        from sagemaker.estimator import Estimator
        est = Estimator(image_uri="img", role="arn:aws:iam::1:role/r", instance_count=1, instance_type="ml.m5.large")
    """)
    records, problems = scan(code)
    (job,) = records
    assert job.data["enable_network_isolation"] is False  # sagemaker 2.257.7: default_value=False
    assert job.data["stopping_condition"] == {"MaxRuntimeInSeconds": 86400}  # max_run 24 h
    assert job.data["resource_config"]["VolumeSizeInGB"] == 30
    assert job.data["output_data_config"] == {}  # output_path: the session's default bucket, run time
    assert any("admin or user defaults on the machine that runs the code may change" in m for m in messages(problems))
    named, named_problems = scan(code, sdk_config=str(CONFIG))
    assert named[0].data["enable_network_isolation"] is True  # --sdk-config applies to every file
    assert not any("without an SDK config" in m for m in messages(named_problems))


def test_unknown_kwargs_make_settings_unknown_never_defaults(tmp_path: Path) -> None:
    code = write(tmp_path, "launch.py", """\
        from sagemaker.pytorch import PyTorch

        def launch(estimator_kwargs):
            estimator = PyTorch(entry_point="train.py", instance_type="ml.g5.xlarge", **estimator_kwargs)
            estimator.fit(wait=False)
    """)
    records, problems = scan(code)
    (job,) = records
    assert job.origin.pointer == "launch.estimator"
    assert job.data["enable_network_isolation"] is None  # may be set by **estimator_kwargs
    assert job.data["resource_config"] == {"InstanceType": "ml.g5.xlarge"}
    assert "**estimator_kwargs is function parameter estimator_kwargs: the settings it holds are unknown" in messages(problems)


def test_imports_are_resolved_and_dead_code_is_skipped(tmp_path: Path) -> None:
    code = write(tmp_path, "mixed.py", """\
        import sagemaker as sm
        from sagemaker import estimator as estimators

        a = sm.estimator.Estimator(image_uri="i", role="r", instance_count=1, instance_type="ml.m5.large")
        b = estimators.Estimator(image_uri="i", role="r", instance_count=1, instance_type="ml.m5.large")
        if False:
            c = sm.estimator.Estimator(image_uri="i", role="r", instance_count=1, instance_type="ml.m5.large")

        class Estimator:
            pass

        d = Estimator()

        class TeamEstimator(sm.estimator.Estimator):  # a team's wrapper: still an estimator
            pass

        e = TeamEstimator(image_uri="i", role="r", instance_count=1, instance_type="ml.m5.large")
    """)
    records, _ = scan(code)
    assert [r.origin.pointer for r in records] == ["a", "b", "e"]


def test_v3_model_trainer_configs_chained_calls_and_local_container() -> None:
    records, problems = scan(TRAINER)
    (job,) = records
    data = job.data
    assert job.origin.pointer == "trainer"
    assert data["resource_config"]["InstanceType"] == "ml.g5.xlarge" and data["resource_config"]["InstanceCount"] == 2
    assert data["resource_config"]["VolumeSizeInGB"] == 30  # v3 default
    assert data["vpc_config"] == {"Subnets": ["subnet-0a1b2c3d4e5f67890"], "SecurityGroupIds": ["sg-0a1b2c3d4e5f67890"]}
    assert data["enable_inter_container_traffic_encryption"] is True
    assert data["stopping_condition"] == {"MaxRuntimeInSeconds": 7200}
    assert data["retry_strategy"] == {"MaximumRetryAttempts": 2}
    assert job.key_lines["/vpc_config/Subnets"] == line_of(TRAINER, 'subnets=["subnet-0a1b2c3d4e5f67890"]')
    assert messages(problems, line_of(TRAINER, "local_trainer = ModelTrainer(")) == [
        "training_mode=Mode.LOCAL_CONTAINER runs in a local container: no SageMaker job is created"
    ]


def test_v3_defaults_and_jumpstart_config(tmp_path: Path) -> None:
    code = write(tmp_path, "v3.py", """\
        from sagemaker.train import ModelTrainer
        from sagemaker.core.jumpstart.configs import JumpStartConfig

        plain = ModelTrainer(training_image="123456789012.dkr.ecr.us-east-1.amazonaws.com/img:1", role="r")
        tuned = ModelTrainer.from_jumpstart_config(jumpstart_config=JumpStartConfig(model_id="huggingface-llm"))
    """)
    records, problems = scan(code)
    jobs = by_pointer(records)
    plain = jobs["plain"].data
    assert plain["resource_config"] == {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}
    assert plain["stopping_condition"] == {"MaxRuntimeInSeconds": 3600}
    assert plain["enable_network_isolation"] is None  # no v3 default: the API's applies
    tuned = jobs["tuned"].data
    assert "InstanceType" not in tuned["resource_config"] and tuned["algorithm_specification"] == {"TrainingInputMode": "File"}


def test_notebook_lines_point_into_the_ipynb_and_ipython_lines_are_skipped() -> None:
    records, problems = scan(NOTEBOOK)
    (job,) = records  # the `if False:` cell's estimator never runs
    assert job.origin.line == line_of(NOTEBOOK, '"estimator = PyTorch(\\n"')
    assert job.key_lines["/resource_config/InstanceCount"] == line_of(NOTEBOOK, "instance_count=2")
    assert job.key_lines["/environment/WANDB_API_KEY"] == line_of(NOTEBOOK, "WANDB_API_KEY")
    assert job.data["hyper_parameters"] == {"epochs": "1", "backend": "gloo"}
    role = line_of(NOTEBOOK, '"    role=role,\\n"')
    assert messages(problems, role) == [
        "RoleArn is set at run time (Python call sagemaker.get_execution_role())"
    ]
    assert not [p for p in problems if p.kind != "note"]  # !pip, %magic, %%bash and `obj?` are not errors


def test_a_notebook_cell_that_is_not_python_is_noted_and_the_rest_read(tmp_path: Path) -> None:
    import json

    cells = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["x = (\n"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": [
            "%%time\n",
            "from sagemaker.estimator import Estimator as E\n",
            "timed = E(image_uri='i', role='r', instance_count=1, instance_type='ml.m5.large')\n",
        ]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": [
            "%%writefile train.py\n",
            "written = E(image_uri='i', role='r', instance_count=1, instance_type='ml.m5.large')\n",
        ]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": [
            "from sagemaker.estimator import Estimator\n",
            "if True:\n",
            "    !aws s3 ls\n",
            "est = Estimator(image_uri='i', role='r', instance_count=1, instance_type='ml.m5.large')\n",
        ]},
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1))
    records, problems = scan(path)
    assert [r.origin.pointer for r in records] == ["timed", "est"]  # %%writefile's body is a file, not run
    assert records[1].origin.line == line_of(path, "est = Estimator")
    assert messages(problems, line_of(path, '"x = (')) == ["notebook cell 1 is not valid Python ('(' was never closed): not read"]


def test_python_that_does_not_parse_is_a_problem_and_code_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    write(tmp_path, "evil.py", f"""\
        import sagemaker
        open({str(marker)!r}, "w").write("executed")
        est = sagemaker.estimator.Estimator(image_uri=open({str(marker)!r}).read(), role="r")
    """)
    write(tmp_path, "broken.py", "from sagemaker.estimator import Estimator\ndef f(:\n")
    records, problems = scan(tmp_path)
    assert not marker.exists()  # parsed, never imported or executed
    assert [r.origin.pointer for r in records] == ["est"]
    (problem,) = [p for p in problems if p.kind != "note"]
    assert (Path(problem.source).name, problem.line) == ("broken.py", 2)
    assert problem.message.startswith("not valid Python")


def test_step_functions_sdk_training_step_and_local_session(tmp_path: Path) -> None:
    # The AWS Step Functions Data Science SDK pattern (aws/aws-step-functions-data-science-sdk-python
    # README: `TrainingStep("Train", estimator=..., job_name=execution_input["JobName"])`).
    code = write(tmp_path, "workflow.py", """\
        from sagemaker.local import LocalSession
        from sagemaker.pytorch import PyTorch
        from stepfunctions.inputs import ExecutionInput
        from stepfunctions.steps import TrainingStep

        execution_input = ExecutionInput(schema={"JobName": str})
        training_step = TrainingStep(
            "Train",
            estimator=PyTorch(
                entry_point="train.py", role="arn:aws:iam::1:role/r", framework_version="2.1",
                py_version="py310", instance_count=1, instance_type="ml.p3.2xlarge",
            ),
            job_name=execution_input["JobName"],
        )
        session = LocalSession()
        debug = PyTorch(entry_point="train.py", role="r", framework_version="2.1", py_version="py310",
                        instance_count=1, instance_type="ml.p3.2xlarge", sagemaker_session=session)
    """)
    records, problems = scan(code)
    (job,) = records
    assert job.origin.pointer == f"PyTorch@{line_of(code, 'estimator=PyTorch(')}"  # not bound to a name
    assert job.data["resource_config"]["InstanceType"] == "ml.p3.2xlarge"
    assert messages(problems, line_of(code, "debug = PyTorch(")) == [
        "a LocalSession runs the job in local mode: no SageMaker job is created"
    ]


def test_args_dicts_literal_or_parsed(tmp_path: Path) -> None:
    code = write(tmp_path, "train.py", """\
        import argparse
        from sagemaker.estimator import Estimator

        defaults = {"instance_type": "ml.m5.xlarge", "volume": 100}
        args = vars(argparse.ArgumentParser().parse_args())
        est = Estimator(
            image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/img:1",
            role="arn:aws:iam::1:role/r",
            instance_type=defaults["instance_type"],
            volume_size=defaults["volume"],
            instance_count=args["instance_count"],
        )
    """)
    records, problems = scan(code)
    (job,) = records
    assert job.data["resource_config"] == {"InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 100}
    line = line_of(code, 'instance_count=args["instance_count"]')
    assert messages(problems, line) == [
        "ResourceConfig.InstanceCount is set at run time (item of Python call vars(argparse.ArgumentParser().parse_args()))"
    ]


def test_v3_config_objects_built_from_unknown_spreads_are_unknown(tmp_path: Path) -> None:
    code = write(tmp_path, "v3.py", """\
        from sagemaker.train import ModelTrainer
        from sagemaker.train.configs import Compute, Networking

        def build(settings):
            known = {"subnets": ["subnet-1"], "security_group_ids": ["sg-1"]}
            return [
                ModelTrainer(training_image="i", role="r", networking=Networking(**settings)),
                ModelTrainer(training_image="i", role="r", networking=Networking(**known), compute=Compute(**settings)),
            ]
    """)
    records, _ = scan(code)
    unknown, known = records
    assert unknown.data["vpc_config"] is None and unknown.data["enable_network_isolation"] is None
    assert known.data["vpc_config"] == {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}
    assert known.data["resource_config"] is None and known.data["enable_managed_spot_training"] is None


def test_installed_packages_in_the_tree_are_not_the_repository_code(tmp_path: Path) -> None:
    installed = tmp_path / "env" / "lib" / "python3.11" / "site-packages" / "sagemaker"
    installed.mkdir(parents=True)
    write(installed, "estimator.py", """\
        from sagemaker.estimator import Estimator
        default = Estimator(image_uri="i", role="r", instance_count=1, instance_type="ml.m5.large")
    """)
    write(tmp_path, "train.py", """\
        from sagemaker.estimator import Estimator
        mine = Estimator(image_uri="i", role="r", instance_count=1, instance_type="ml.m5.large")
    """)
    records, _ = scan(tmp_path)
    assert [r.origin.pointer for r in records] == ["mine"]


def test_nested_hyperparameters_are_json_text_as_the_sdk_sends_them(tmp_path: Path) -> None:
    # AutoGluon-style hyperparameters (aws/amazon-sagemaker-examples autogluon-tabular):
    # a dict of dicts, which the SDK json-encodes
    code = write(tmp_path, "ag.py", """\
        import os
        from sagemaker.estimator import Estimator
        est = Estimator(
            image_uri="i", role="r", instance_count=1, instance_type="ml.m5.large",
            hyperparameters={"init_args": {"label": "y", "eval_metric": "roc_auc"}, "epochs": 3,
                             "secret": {"token": os.environ["TOKEN"]}},
        )
    """)
    records, problems = scan(code)
    (job,) = records
    assert job.data["hyper_parameters"]["init_args"] == '{"label": "y", "eval_metric": "roc_auc"}'
    assert "secret" not in job.data["hyper_parameters"]  # holds a run-time part: unknown
    assert not [p for p in problems if p.kind != "note"]


def test_a_cloudformation_template_is_not_an_sdk_config(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        "Resources:\\n  Job:\\n    Type: AWS::SageMaker::TrainingJob\\n    Properties:\\n      RoleArn: !GetAtt Role.Arn\\n"
    )
    write(tmp_path, "train.py", """\
        from sagemaker.estimator import Estimator
        est = Estimator(image_uri="i", role="r", instance_count=1, instance_type="ml.m5.large")
    """)
    records, problems = scan(tmp_path)
    assert [r.origin.pointer for r in records] == ["est"]
    assert not any("invalid SDK config" in p.message for p in problems)
