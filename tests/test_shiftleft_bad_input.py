"""Broken and hostile Terraform, Python, notebooks and SDK configs: one exact line each, never a traceback.

The corpus is tests/fixtures/bad/code/ (one case per file or folder), in the manner of
tests/test_bad_input.py; what is generated (deep nesting, links out of the tree) is
written into tmp_path.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from smscan.models import Problem, Record
from smscan.sources.requests.source import RequestFileSource, RequestOptions
from tests.cli_helpers import run_cli

BAD = Path(__file__).parent / "fixtures" / "bad" / "code"

CODE_CASES: dict[str, list[str]] = {
    "broken.tf": ["{file}:2: invalid HCL at line 2 column 14: unexpected '\\n}}'"],
    "non-utf8.tf": ["{file}:2: bytes that are not UTF-8 at line 2"],
    "wrong-type.tf": [
        '{file}:2: field enable_network_isolation: expected a boolean (true/false or "t"/"f"/"true"/"false"), '
        "got string (at aws_sagemaker_training_job.x)"
    ],
    "heredoc-not-json.tf": [
        "{file}:9: aws_sfn_state_machine.m: definition is not valid JSON at line 9: expecting a property name in double quotes"
    ],
    "syntax.py": ["{file}:3: not valid Python ('(' was never closed): the file is not read"],
    "truncated.ipynb": ["{file}:4: invalid notebook JSON at line 4: expecting ',' or '}}'"],
    "not-a-notebook.ipynb": ["{file}: not a Jupyter notebook (no cells list)"],
    "config": ["{file}/config.yaml:5: invalid SDK config: duplicate key 'TrainingJob' (first defined at line 3)"],
}


def _problem_lines(err: str) -> list[str]:
    lines = err.splitlines()
    start = next((i for i, line in enumerate(lines) if "problem(s)" in line), None)
    if start is None:
        return []
    # The problem lines, not the gate's numbered steps that the summary prints after them.
    return [
        line.strip()
        for line in lines[start + 1 :]
        if line.startswith("    ") and not re.match(r"\s+\d\. ", line)
    ]


def test_every_code_case_has_a_fixture() -> None:
    assert {p.name for p in BAD.iterdir()} == set(CODE_CASES)


@pytest.mark.parametrize("case", sorted(CODE_CASES))
def test_bad_code_file(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = BAD / case
    report = tmp_path / "report.json"
    code, out, err = run_cli(capsys, "scan", path, "-o", report)
    assert "Traceback" not in out + err
    expected = [line.format(file=path) for line in CODE_CASES[case]]
    assert (code, _problem_lines(err)) == (3, expected)
    doc: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    assert doc["scan"]["complete"] is False


def items(*paths: Path) -> tuple[list[Record], list[Problem]]:
    found = list(RequestFileSource(RequestOptions(tuple(str(p) for p in paths))).items())
    return [i for i in found if isinstance(i, Record)], [i for i in found if isinstance(i, Problem)]


def test_nesting_too_deep_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    tf = tmp_path / "deep.tf"
    tf.write_text('resource "aws_sagemaker_training_job" "x" {\n  environment = ' + "[" * 3000 + "]" * 3000 + "\n}\n")
    py = tmp_path / "deep.py"
    py.write_text("from sagemaker.estimator import Estimator\nx = " + "[" * 500 + "]" * 500 + "\n")
    records, problems = items(tf, py)
    assert records == []
    assert [str(p) for p in problems] == [
        f"{tf}: invalid HCL: nested too deeply to read",
        f"{py}:2: not valid Python (too many nested parentheses): the file is not read",
    ]


def test_definitions_are_never_read_from_outside_the_module(tmp_path: Path) -> None:
    secret = tmp_path / "outside.json"
    secret.write_text('{"States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob"}}}')
    module = tmp_path / "module"
    module.mkdir()
    os.symlink(secret, module / "linked.json")
    (module / "main.tf").write_text(
        'resource "aws_sfn_state_machine" "a" {\n  definition = file("/etc/hostname")\n}\n'
        'resource "aws_sfn_state_machine" "b" {\n  definition = file("${path.module}/../outside.json")\n}\n'
        'resource "aws_sfn_state_machine" "c" {\n  definition = templatefile("${path.module}/linked.json", {})\n}\n'
    )
    records, problems = items(module)  # the directory: a named file without a job fails closed
    assert records == []  # a run-time definition holds no job that can be read
    assert not [p for p in problems if p.kind != "note"]
    assert [p.message for p in problems if p.message.startswith("aws_sfn")] == [
        'aws_sfn_state_machine.a: the definition is Terraform file() of a file outside the module: its training jobs, if any, are not read',
        'aws_sfn_state_machine.b: the definition is Terraform file() of a file outside the module: its training jobs, if any, are not read',
        'aws_sfn_state_machine.c: the definition is Terraform templatefile() of a file outside the module: its training jobs, if any, are not read',
    ]


def test_an_unclosed_interpolation_and_a_long_expression_do_not_hang(tmp_path: Path) -> None:
    tf = tmp_path / "sfn.tf"
    tf.write_text(
        'resource "aws_sfn_state_machine" "m" {\n  definition = <<EOF\n'
        '{"States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob",\n'
        '  "Parameters": {"RoleArn": "${var.role"}}}}\nEOF\n}\n'
    )
    py = tmp_path / "big.py"
    py.write_text(
        "from sagemaker.estimator import Estimator\n"
        "n = 10 ** 10 ** 10\n"
        "s = 'x' * 10 ** 9\n"
        f"m = {' * '.join(['99999999'] * 200)}\n"
        "e = Estimator(image_uri=s, role='r', instance_count=n, instance_type='ml.m5.large', max_run=m)\n"
    )
    records, problems = items(tf, py)
    (job,) = records
    assert job.origin.pointer == "e"
    assert job.data["resource_config"] == {"InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}
    assert job.data["stopping_condition"] is None or "MaxRuntimeInSeconds" not in job.data["stopping_condition"]
    assert any("invalid HCL" in p.message or "not valid JSON" in p.message for p in problems)


def test_named_files_that_are_fifos_are_refused_not_waited_on(tmp_path: Path) -> None:
    module = tmp_path / "module"
    module.mkdir()
    os.mkfifo(module / "def.asl")  # named by templatefile(): opening it would block
    os.mkfifo(module / "vars.tf")  # a sibling .tf read for the module's variables
    (module / "main.tf").write_text(
        'resource "aws_sfn_state_machine" "m" {\n  definition = templatefile("${path.module}/def.asl", {})\n}\n'
    )
    os.mkfifo(tmp_path / "sdk-config.yaml")
    code = tmp_path / "train.py"
    code.write_text("from sagemaker.estimator import Estimator\ne = Estimator(image_uri='i', role='r')\n")
    options = RequestOptions((str(module / "main.tf"), str(code)), sdk_config=str(tmp_path / "sdk-config.yaml"))
    found = list(RequestFileSource(options).items())
    messages = [str(p) for p in found if isinstance(p, Problem) and p.kind != "note"]
    assert any("def.asl" in m and "not a regular file" in m for m in messages)
    assert any("sdk-config.yaml" in m and "not a regular file" in m for m in messages)
