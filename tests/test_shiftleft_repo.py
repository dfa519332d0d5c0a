"""`smscan scan .` on a repository holding every shift-left form: each job once, at its file and line.

The repository (tests/fixtures/shiftleft/repo) has Terraform (a root module, a child
module, a heredoc and a templatefile() state machine, a definition passed as a module
input), a plan JSON, SDK v2 and v3 scripts under an SDK config file, and a notebook.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli

REPO = Path(__file__).parent / "fixtures" / "shiftleft" / "repo"


def line_of(relative: str, needle: str, after: str = "") -> int:
    lines = (REPO / relative).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    for number, line in enumerate(lines[start:], start + 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {relative}")


def expected_jobs() -> dict[str, tuple[str, int]]:
    """_key -> (file, line of the job), written from the fixtures themselves."""
    main, sfn = "terraform/main.tf", "terraform/stepfunctions.tf"
    template, plan = "terraform/asl/pipeline.asl.json", "infra-plan/plan.json"
    pipeline, algorithms = "sdk/pipeline.py", "sdk/algorithms.py"
    trainer, notebook = "sdk/v3/train_modeltrainer.py", "notebooks/pytorch_mnist.ipynb"
    module = "terraform/modules/training/main.tf"
    generated = "terraform/generated.tf.json"
    jobs = {
        f"{main}#aws_sagemaker_training_job.churn": (main, line_of(main, '"aws_sagemaker_training_job" "churn"')),
        f"{main}#aws_sagemaker_training_job.per_model": (main, line_of(main, '"aws_sagemaker_training_job" "per_model"')),
        f"{main}#aws_sagemaker_training_job.legacy": (main, line_of(main, '"aws_sagemaker_training_job" "legacy"')),
        f"{main}#module.nightly_sfn.aws_sfn_state_machine.this/States/Train/Parameters": (main, line_of(main, "Parameters = {")),
        f"{module}#aws_sagemaker_training_job.this": (module, line_of(module, '"aws_sagemaker_training_job" "this"')),
        f"{generated}#aws_sagemaker_training_job.generated": (generated, line_of(generated, '"generated": {')),
        f"{sfn}#aws_sfn_state_machine.weekly/States/Train/Parameters": (sfn, line_of(sfn, '"Parameters": {')),
        f"{sfn}#aws_sagemaker_pipeline.churn/Steps/0/Arguments": (sfn, line_of(sfn, "Arguments = {")),
        f"{template}#aws_sfn_state_machine.pipeline/States/Train/Parameters": (template, line_of(template, '"Parameters": {')),
        f"{plan}#module.train.aws_sagemaker_training_job.this[0]": (
            plan, line_of(plan, '"address": "module.train.aws_sagemaker_training_job.this[0]"', after='"resource_changes"') - 1
        ),
        f"{plan}#aws_sfn_state_machine.retrain/States/Train/Parameters": (plan, line_of(plan, '"definition":')),
        f"{pipeline}#pytorch_estimator": (pipeline, line_of(pipeline, "pytorch_estimator = PT(")),
        f"{pipeline}#xgb_train": (pipeline, line_of(pipeline, "xgb_train = Estimator(")),
        f"{algorithms}#sklearn_estimator": (algorithms, line_of(algorithms, "sklearn_estimator = SKLearn(")),
        f"{algorithms}#lda": (algorithms, line_of(algorithms, "lda = LDA(")),
        f"{algorithms}#llama": (algorithms, line_of(algorithms, "llama = JumpStartEstimator(")),
        f"{trainer}#trainer": (trainer, line_of(trainer, "trainer = ModelTrainer(")),
        f"{notebook}#estimator": (notebook, line_of(notebook, '"estimator = PyTorch(\\n"')),
    }
    return {f"./{key}": (f"./{file}", line) for key, (file, line) in jobs.items()}


def test_every_job_is_reported_once_at_its_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    report, sarif = tmp_path / "r.json", tmp_path / "r.sarif"
    code, _, err = run_cli(capsys, "scan", ".", "-o", report, "--fail-on", "never", "--include-passed")
    assert code == 0, err
    doc = json.loads(report.read_text())
    assert doc["scan"]["records_scanned"] == len(expected_jobs())
    seen = {f["resource"]["arn"]: (f["resource"]["origin"]["source"], f["resource"]["origin"]["line"]) for f in doc["findings"]}
    assert seen == expected_jobs()
    notes = " | ".join(e["message"] for e in doc["errors"] if e["kind"] == "note")
    assert "without an SDK config file" in notes  # the notebook has none above it
    assert "is set at run time" in notes

    code, _, err = run_cli(capsys, "scan", ".", "--format", "sarif", "-o", sarif, "--fail-on", "never")
    assert code == 0, err
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert results
    for result in results:
        location = result["locations"][0]["physicalLocation"]
        path = REPO / location["artifactLocation"]["uri"]
        assert path.is_file()  # SARIF locations resolve to the scanned files
        assert 1 <= location["region"]["startLine"] <= len(path.read_text().splitlines())


def test_run_time_values_are_never_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    report = tmp_path / "r.json"
    run_cli(capsys, "scan", ".", "-o", report, "--fail-on", "never", "--include-passed", "--select", "network-isolation")
    statuses = {f["resource"]["arn"]: f["status"] for f in json.loads(report.read_text())["findings"]}
    # var.isolate_training (tfvars says false), a ${var...} interpolation, a JumpStart spec
    for key in (
        "./terraform/main.tf#aws_sagemaker_training_job.churn",
        "./terraform/stepfunctions.tf#aws_sfn_state_machine.weekly/States/Train/Parameters",
        "./sdk/algorithms.py#llama",
    ):
        assert statuses[key] != "PASS"
    assert statuses["./terraform/modules/training/main.tf#aws_sagemaker_training_job.this"] == "PASS"  # literal true
    assert statuses["./sdk/algorithms.py#sklearn_estimator"] == "PASS"  # set by the SDK config
