"""AWS test helpers: fake credentials, moto (in-process or its server on 127.0.0.1), jobs.

Never reaches real AWS: `aws_env` sets fake credentials and removes profile settings, and
every client points at moto (in-process mock) or at the local server's endpoint.
"""

from __future__ import annotations

import logging
import socket
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/training"
STATUSES = ("Completed", "Failed", "Stopped", "InProgress", "Stopping")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/smscan-test-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/smscan-test-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def moto_endpoint(aws_env: None) -> Iterator[str]:
    """moto's server on 127.0.0.1 and a free port, its state reset afterwards."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log in test output
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # The server shares this process's moto backends: leave nothing for the next test.
        urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST")
        ).close()
        server.stop()


def job_spec(name: str, i: int = 0, **overrides: Any) -> dict[str, Any]:
    """CreateTrainingJob arguments; `i` varies the security-relevant settings."""
    spec: dict[str, Any] = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1 + i % 2,
            "VolumeSizeInGB": 5,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "HyperParameters": {"epochs": str(i)},
        "EnableNetworkIsolation": i % 2 == 0,
        "EnableInterContainerTrafficEncryption": i % 3 == 0,
        "Tags": [{"Key": "team", "Value": f"t{i % 4}"}, {"Key": "index", "Value": str(i)}],
    }
    if i % 5 != 0:
        spec["VpcConfig"] = {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]}
    if i % 7 != 0:
        spec["ResourceConfig"] = {
            **spec["ResourceConfig"],
            "VolumeKmsKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
        }
    spec.update(overrides)
    return spec


def set_status(name: str, status: str, region: str = "us-east-1", account: str = ACCOUNT) -> None:
    """moto marks every job Completed; reach into its backend for the other statuses."""
    from moto.sagemaker.models import sagemaker_backends

    job = sagemaker_backends[account][region].training_jobs[name]
    job.training_job_status = status
    job.secondary_status = status


def create_jobs(client: Any, count: int, prefix: str = "job", threads: int = 1) -> list[str]:
    """Create `count` jobs with mixed settings and statuses; return their names."""
    names = [f"{prefix}-{i:04d}" for i in range(count)]
    region = client.meta.region_name

    def make(i: int) -> None:
        client.create_training_job(**job_spec(names[i], i))

    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(make, range(count)))
    else:
        for i in range(count):
            make(i)
    for i, name in enumerate(names):
        set_status(name, STATUSES[i % len(STATUSES)], region)
    return names


def sagemaker(region: str = "us-east-1", endpoint_url: str | None = None, **creds: Any) -> Any:
    return boto3.client("sagemaker", region_name=region, endpoint_url=endpoint_url, **creds)
