"""Benchmark 6: `smscan scan DIR` on a generated code repository: files/s.

The repository looks like an ML monorepo: most Python files never mention SageMaker
(skipped unread by the marker check), a fifth define estimators or ModelTrainers (v2
and v3, constants, `**kwargs`, Pipelines parameters), and a few notebooks and
Terraform files sit among them. Generated once per size under $SMSCAN_BENCH_DIR.
Figures: the request source alone (parse + map + clean + normalize, in process) and
the whole CLI in a subprocess (start-up, policies, JSON report).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from bench.common import SCRATCH, header, line, smscan, timed_run

_PLAIN = '''"""Feature engineering helpers {n}."""

import math


def scale_{n}(values, factor={n}):
    return [math.log1p(v) * factor for v in values]


class Window{n}:
    def __init__(self, size):
        self.size = size

    def apply(self, rows):
        return [rows[i : i + self.size] for i in range(0, len(rows), self.size)]
'''

_ESTIMATOR = '''"""Training launcher {n}."""

import sagemaker
from sagemaker.pytorch import PyTorch
from sagemaker.workflow.parameters import ParameterString

ROLE = "arn:aws:iam::123456789012:role/train-{n}"
MAX_RUN = 2 * 60 * 60
instance_type = ParameterString(name="InstanceType", default_value="ml.m5.xlarge")
common = {{"role": ROLE, "instance_count": {count}, "enable_network_isolation": {isolate}}}


def launch(data_uri):
    estimator = PyTorch(
        entry_point="train.py",
        framework_version="2.1",
        py_version="py310",
        instance_type=instance_type,
        max_run=MAX_RUN,
        subnets=["subnet-{n:04d}"],
        security_group_ids=["sg-{n:04d}"],
        output_kms_key="alias/out-{n}",
        hyperparameters={{"epochs": {n}, "lr": 0.01}},
        tags={{"team": "ml", "job": "{n}"}},
        **common,
    )
    estimator.fit({{"train": data_uri}})
'''

_TRAINER = '''"""v3 trainer {n}."""

from sagemaker.train import ModelTrainer
from sagemaker.train.configs import Compute, StoppingCondition

trainer = ModelTrainer(
    training_image="123456789012.dkr.ecr.us-east-1.amazonaws.com/train:{n}",
    role="arn:aws:iam::123456789012:role/train",
    compute=Compute(instance_type="ml.g5.xlarge", instance_count=1),
    stopping_condition=StoppingCondition(max_runtime_in_seconds=3600),
)
'''

_TF = '''resource "aws_sagemaker_training_job" "job_{n}" {{
  training_job_name        = "job-{n}"
  role_arn                 = var.role_arn
  enable_network_isolation = true

  algorithm_specification {{
    training_image      = "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:{n}"
    training_input_mode = "File"
  }}

  output_data_config {{
    s3_output_path = "s3://artifacts/{n}/"
  }}

  resource_config {{
    instance_type     = "ml.m5.large"
    instance_count    = 1
    volume_size_in_gb = 30
  }}
}}
'''


def _notebook(n: int) -> str:
    source = ["!pip install -U sagemaker\n", "%matplotlib inline\n", *_ESTIMATOR.format(n=n, count=1, isolate=True).splitlines(True)]
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def generate(files: int) -> tuple[Path, int]:
    """A repository of `files` files; returns it and the number of training jobs in it."""
    root = SCRATCH / f"shiftleft-{files}"
    plain, estimators, trainers, notebooks, terraform = (
        int(files * 0.7), int(files * 0.15), int(files * 0.05), int(files * 0.05), 0,
    )
    terraform = files - plain - estimators - trainers - notebooks
    marker = root / ".complete"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        for n in range(plain):
            _write(root / f"features/pkg{n % 20}/mod_{n}.py", _PLAIN.format(n=n))
        for n in range(estimators):
            _write(root / f"training/launch_{n}.py", _ESTIMATOR.format(n=n, count=1 + n % 4, isolate=n % 2 == 0))
        for n in range(trainers):
            _write(root / f"training/v3/trainer_{n}.py", _TRAINER.format(n=n))
        for n in range(notebooks):
            _write(root / f"notebooks/explore_{n}.ipynb", _notebook(n))
        for n in range(terraform):
            _write(root / f"infra/job_{n}.tf", _TF.format(n=n))
        marker.write_text("")
    return root, estimators + trainers + notebooks + terraform


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def run(files: int) -> None:
    from smscan.models import Record
    from smscan.sources.requests.source import RequestFileSource, RequestOptions

    root, jobs = generate(files)
    header(f"shift-left: a {files}-file code repository ({jobs} training jobs)")
    for run in ("first", "warm"):  # the first run also builds python-hcl2's parser
        started, cpu = time.perf_counter(), time.process_time()
        source = RequestFileSource(RequestOptions((str(root),)))
        found = sum(isinstance(item, Record) for item in source.items())
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        # CPU seconds too: on a shared machine the wall clock measures the neighbours as well
        line(
            f"request source, {run} run (walk, parse, map, normalize)",
            f"{seconds:.2f} s  {source.files_read / seconds:,.0f} files/s; "
            f"CPU {cpu:.2f} s  {source.files_read / cpu:,.0f} files/CPU-s  ({found} jobs)",
        )
    report = SCRATCH / "shiftleft-report.json"
    wall, rss, done = timed_run(smscan("scan", str(root), "-o", str(report), "--fail-on", "never", "-q"))
    if done.returncode != 0:
        raise SystemExit(f"smscan scan failed: {done.stderr.strip()[:500]}")
    line("smscan scan DIR -o report.json (whole CLI)", f"{wall:.2f} s  {files / wall:,.0f} files/s  peak RSS {rss:.0f} MB")
