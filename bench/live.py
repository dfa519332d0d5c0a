"""Benchmark 3: `smscan scan --aws` against moto's server on 127.0.0.1, 2 regions.

moto's server runs in this process (its backends are this process's), so jobs are created
with a pool of CreateTrainingJob calls over HTTP and their statuses set in the backend, as
tests/moto_server.py does. Jobs get terminal statuses only (Completed, Failed, Stopped):
the cache never skips a job that may still change, so a warm rescan of a fleet with running
jobs describes those again, by design. The scans run as subprocesses of the real CLI.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import socket
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common import SCRATCH, header, line, smscan, timed_run

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")
TERMINAL = ("Completed", "Completed", "Completed", "Failed", "Stopped")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
               AWS_EC2_METADATA_DISABLED="true")
    return env


def _spec(name: str, region: str, rng: random.Random) -> dict[str, Any]:
    spot = rng.random() < 0.3
    spec: dict[str, Any] = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": rng.choice((
            f"763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-training:2.1.0-gpu-py310",
            f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/team-train:v3", f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/team-train:latest",
        )), "TrainingInputMode": "File"},
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/sm-train",
        "OutputDataConfig": {"S3OutputPath": f"s3://acme-{region}/{name}/output"},
        "ResourceConfig": {"InstanceType": rng.choice(("ml.m5.xlarge", "ml.g5.2xlarge", "ml.p4d.24xlarge")),
                           "InstanceCount": rng.choice((1, 1, 2, 4)), "VolumeSizeInGB": 50},
        "StoppingCondition": {"MaxRuntimeInSeconds": rng.choice((3600, 86400, 259200))},
        "HyperParameters": {"epochs": str(rng.randint(1, 30)), "lr": "3e-5"},
        "EnableNetworkIsolation": rng.random() < 0.6,
        "EnableInterContainerTrafficEncryption": rng.random() < 0.4,
        "EnableManagedSpotTraining": spot,
        "Environment": {"RUN_ID": name},
        "Tags": [{"Key": "owner", "Value": "ml"}] + ([{"Key": "cost-center", "Value": "4410"}] if rng.random() < 0.8 else []),
    }
    if rng.random() < 0.85:
        spec["VpcConfig"] = {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1", "subnet-2"]}
    if rng.random() < 0.8:
        spec["ResourceConfig"]["VolumeKmsKeyId"] = f"arn:aws:kms:{region}:{ACCOUNT}:key/k"
        spec["OutputDataConfig"]["KmsKeyId"] = f"arn:aws:kms:{region}:{ACCOUNT}:key/k"
    if rng.random() < 0.03:
        spec["Environment"]["AWS_ACCESS_KEY_ID"] = "AKIA" + "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=16))
    if spot:
        spec["StoppingCondition"]["MaxWaitTimeInSeconds"] = spec["StoppingCondition"]["MaxRuntimeInSeconds"] * 2
        if rng.random() < 0.7:
            spec["CheckpointConfig"] = {"S3Uri": f"s3://acme-{region}/{name}/ckpt"}
    return spec


def _create(endpoint: str, jobs: int) -> float:
    import boto3
    from moto.sagemaker.models import sagemaker_backends

    started = time.perf_counter()
    rng = random.Random(11)
    work = []
    for r, region in enumerate(REGIONS):
        count = jobs // len(REGIONS) + (1 if r < jobs % len(REGIONS) else 0)
        work += [(region, f"{region}-job-{i:05d}", _spec(f"{region}-job-{i:05d}", region, rng)) for i in range(count)]
    clients = {r: boto3.client("sagemaker", region_name=r, endpoint_url=endpoint) for r in REGIONS}
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda w: clients[w[0]].create_training_job(**w[2]), work))
    for i, (region, name, _) in enumerate(work):
        job = sagemaker_backends[ACCOUNT][region].training_jobs[name]
        job.training_job_status = job.secondary_status = TERMINAL[i % len(TERMINAL)]
    return time.perf_counter() - started


def _scan(endpoint: str, label: str, jobs: int, *extra: str) -> tuple[float, dict[str, Any]] | None:
    out = SCRATCH / "live"
    shutil.rmtree(out, ignore_errors=True)
    argv = smscan("scan", "--aws", "--endpoint-url", endpoint, "--format", "json,sarif,html",
                  "--output-dir", str(out), "--fail-on", "never", "-q", *extra)
    for region in REGIONS:
        argv += ["--region", region]
    wall, rss, done = timed_run(argv, _env())
    if done.returncode != 0:
        line(label, f"FAILED (exit {done.returncode}): {done.stderr.strip()[-300:]}")
        return None
    scan = json.loads((out / "report.json").read_text())["scan"]
    calls = scan["api_calls"]
    total = sum(calls.values())
    line(label, f"{wall:6.1f} s  {jobs / wall:>6,.0f} jobs/s  peak RSS {rss:,.0f} MB  plan {scan['scope']['fetch_plan']}")
    line("  API calls", f"{total:,} ({total / jobs:.2f} per job): " + ", ".join(f"{k} {v:,}" for k, v in sorted(calls.items())))
    assert scan["records_scanned"] == jobs, scan["records_scanned"]
    return wall, calls


def run(jobs: int) -> None:
    from moto.server import ThreadedMotoServer

    header(f"live: moto server on 127.0.0.1, {len(REGIONS)} regions, {jobs:,} jobs, full pack, json+sarif+html")
    os.environ.update(_env())
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        line("jobs created (8 threads over HTTP)", f"{_create(endpoint, jobs):.1f} s")
        _scan(endpoint, "search plan (--fetch search)", jobs, "--fetch", "search")
        auto = _scan(endpoint, "default scan (--fetch auto, full pack)", jobs)
        if auto:
            per_job = sum(auto[1].values()) / jobs
            line("  default scan API calls a job", f"{per_job:.3f} (target <= 0.05; finished jobs only)")
        cache = SCRATCH / "live-cache.db"
        cache.unlink(missing_ok=True)
        cold = _scan(endpoint, "describe plan, cold --cache", jobs, "--fetch", "describe", "--cache", str(cache))
        warm = _scan(endpoint, "describe plan, warm --cache", jobs, "--fetch", "describe", "--cache", str(cache))
        if cold and warm:
            line("warm rescan speedup", f"{cold[0] / warm[0]:.1f}x fewer seconds (target >= 5x); "
                 f"DescribeTrainingJob calls {warm[1].get('DescribeTrainingJob', 0)} (target 0)")
    finally:
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
        server.stop()
