"""A seeded, deterministic fleet of seed-schema training-job records for the benchmarks.

The mix follows what a real organization's SageMaker history looks like: mostly finished
jobs, a few accounts and regions, most jobs in a VPC, some on spot, a few heterogeneous
clusters (instance groups), framework images from AWS's registries and some from elsewhere,
environments that reference Secrets Manager and a few that embed a credential, tags that
are sometimes incomplete, and a handful of malformed values (the kind an inventory export
carries) that make a policy ERROR. Same (n, seed) -> the same records, byte for byte.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from smscan.record.schema import SEED_FIELDS

ACCOUNTS = ("111122223333", "222233334444", "333344445555", "444455556666", "555566667777")
REGIONS = ("us-east-1", "us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
STATUSES = (("Completed", 62), ("Failed", 14), ("Stopped", 9), ("InProgress", 11), ("Stopping", 4))
TEAMS = ("fraud", "recs", "search", "vision", "nlp", "forecast", "ads", "risk")
INSTANCES = (
    "ml.m5.xlarge", "ml.m5.2xlarge", "ml.c5.4xlarge", "ml.g5.2xlarge", "ml.g5.12xlarge",
    "ml.p3.2xlarge", "ml.p4d.24xlarge", "ml.trn1.32xlarge", "ml.r5.2xlarge", "ml.m5d.4xlarge",
)
IMAGES = (
    "763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-training:2.1.0-gpu-py310-cu121-ubuntu20.04-sagemaker",
    "763104351884.dkr.ecr.{region}.amazonaws.com/huggingface-pytorch-training:2.0.0-transformers4.28.1-gpu-py310-cu118-ubuntu20.04",
    "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    "{account}.dkr.ecr.{region}.amazonaws.com/{team}-train:{tag}",
    "{account}.dkr.ecr.{region}.amazonaws.com/{team}-train:latest",
    "{account}.dkr.ecr.{region}.amazonaws.com/{team}-train@sha256:{digest}",
    "docker.io/library/python:3.11",
)
IMAGE_WEIGHTS = (30, 12, 10, 30, 6, 8, 4)
SUBNETS = tuple(f"subnet-0{i:x}{i * 7 % 16:x}c3e5f7a9b1d{i:02d}" for i in range(12))
B62 = string.ascii_letters + string.digits


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def _token(rng: random.Random, n: int, alphabet: str = B62) -> str:
    return "".join(rng.choices(alphabet, k=n))


def _timestamp(day: int, minute: int) -> str:
    return f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:00Z"


def _environment(rng: random.Random, team: str, account: str, region: str, job: str) -> dict[str, str] | None:
    roll = rng.random()
    if roll < 0.25:
        return None
    env = {
        "SM_LOG_LEVEL": rng.choice(("INFO", "DEBUG", "WARNING")),
        "RUN_ID": f"{job}-{_token(rng, 8, string.hexdigits[:16])}",
        "DATA_DIR": f"s3://acme-{team}-{region}/datasets/{job}/",
    }
    if rng.random() < 0.5:
        env["DB_PASSWORD_SECRET_ARN"] = f"arn:aws:secretsmanager:{region}:{account}:secret:prod/{team}/db-{_token(rng, 6)}"
    if rng.random() < 0.3:
        env["WANDB_PROJECT"] = f"{team}-experiments"
        env["NCCL_DEBUG"] = "WARN"
    secret = rng.random()
    if secret < 0.02:
        env["AWS_ACCESS_KEY_ID"] = "AKIA" + _token(rng, 16, string.ascii_uppercase + string.digits)
    elif secret < 0.04:
        env["DB_PASSWORD"] = rng.choice(("changeme", "hunter2-prod", "S3cr3t!" + _token(rng, 6)))
    elif secret < 0.05:
        env["HF_TOKEN"] = "hf_" + _token(rng, 34)
    return env


def _hyper_parameters(rng: random.Random, image: str, job: str) -> dict[str, str]:
    if "xgboost" in image:
        hp = {"eta": rng.choice(("0.1", "0.2", "0.05")), "max_depth": str(rng.randint(4, 10)),
              "num_round": str(rng.choice((100, 200, 300, 500))), "objective": "binary:logistic",
              "eval_metric": "auc"}
    else:
        hp = {"epochs": str(rng.randint(1, 40)), "learning_rate": rng.choice(("1e-4", "3e-5", "0.001")),
              "batch_size": str(rng.choice((16, 32, 64, 128))), "seed": str(rng.randint(0, 10_000)),
              "model_name_or_path": rng.choice(("bert-base-uncased", "roberta-large", "resnet50", "t5-small")),
              "sagemaker_program": "train.py", "sagemaker_submit_directory": f"s3://acme-code/{job}/source/sourcedir.tar.gz"}
    if rng.random() < 0.01:
        hp["wandb_api_key"] = _token(rng, 40, string.hexdigits[:16])
    return hp


def record(i: int, rng: random.Random) -> dict[str, Any]:
    """One seed-schema record; every SEED_FIELDS key is present (None when absent)."""
    account = rng.choice(ACCOUNTS)
    region = rng.choice(REGIONS)
    team = rng.choice(TEAMS)
    day, minute = rng.randrange(330), rng.randrange(1440)
    job = f"{team}-{rng.choice(('train', 'finetune', 'hpo', 'eval'))}-{i:07d}"
    arn = f"arn:aws:sagemaker:{region}:{account}:training-job/{job}"
    status = _weighted(rng, STATUSES)
    image = rng.choices(IMAGES, IMAGE_WEIGHTS)[0].format(
        account=account, region=region, team=team, tag=f"v{rng.randint(1, 40)}.{rng.randint(0, 9)}",
        digest=_token(rng, 64, "0123456789abcdef"),
    )
    spot = rng.random() < 0.3
    max_runtime: Any = rng.choice((3600, 14400, 86400, 172800, 432000))
    stopping: dict[str, Any] = {"MaxRuntimeInSeconds": max_runtime}
    if spot and rng.random() < 0.8:
        stopping["MaxWaitTimeInSeconds"] = max_runtime * rng.choice((1, 2)) if rng.random() < 0.85 else 1800
    if rng.random() < 0.003:
        stopping["MaxRuntimeInSeconds"] = str(max_runtime)  # an export that kept the number as text: ERROR
    if rng.random() < 0.1:
        groups = [
            {"InstanceGroupName": f"g{g}", "InstanceType": rng.choice(INSTANCES), "InstanceCount": rng.randint(1, 4)}
            for g in range(rng.randint(1, 3))
        ]
        resource: dict[str, Any] = {"InstanceGroups": groups, "VolumeSizeInGB": 100}
    else:
        resource = {"InstanceCount": rng.choice((1, 1, 1, 2, 4, 8)), "InstanceType": rng.choice(INSTANCES),
                    "VolumeSizeInGB": rng.choice((30, 50, 100, 500))}
    kms = f"arn:aws:kms:{region}:{account}:key/{_token(rng, 8, '0123456789abcdef')}-4e5f-a6b7-c8d9e0f1a2b3"
    if rng.random() < 0.8:
        resource["VolumeKmsKeyId"] = kms
    output: dict[str, Any] = {"S3OutputPath": f"s3://acme-{team}-{region}/{job}/output"}
    if rng.random() < 0.75:
        output["KmsKeyId"] = kms
    channels: list[dict[str, Any]] = [
        {"ChannelName": "train", "ContentType": "application/x-parquet",
         "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://acme-{team}-{region}/datasets/train/"}}}
    ]
    if rng.random() < 0.05:
        channels.append({"ChannelName": "fsx", "DataSource": {"FileSystemDataSource": {
            "FileSystemId": "fs-0123456789abcdef0", "FileSystemType": "FSxLustre",
            "FileSystemAccessMode": rng.choice(("ro", "rw")), "DirectoryPath": f"/fsx/{team}"}}})
    tags = {"owner": f"{team}-ml", "cost-center": str(4000 + TEAMS.index(team) * 10), "project": team}
    if rng.random() < 0.15:
        del tags[rng.choice(("owner", "cost-center"))]
    if rng.random() < 0.005:
        tags["deploy-token"] = "ghp_" + _token(rng, 36)
    start = _timestamp(day, minute + 4)
    data: dict[str, Any] = dict.fromkeys(f.name for f in SEED_FIELDS)
    data.update({
        "_key": arn, "account_id": account, "region": region,
        "algorithm_specification": {"TrainingImage": image, "TrainingInputMode": rng.choice(("File", "FastFile", "Pipe"))},
        "billable_time_in_seconds": rng.randint(60, 90_000) if status != "InProgress" else None,
        "creation_time": _timestamp(day, minute),
        "enable_inter_container_traffic_encryption": rng.random() < 0.4,
        "enable_managed_spot_training": spot,
        "enable_network_isolation": rng.random() < 0.55,
        "environment": _environment(rng, team, account, region, job),
        "hyper_parameters": _hyper_parameters(rng, image, job),
        "input_data_config": channels,
        "last_modified_time": _timestamp(day + 1, minute),
        "output_data_config": output,
        "resource_config": resource,
        "role_arn": f"arn:aws:iam::{account}:role/sm-train-{team}",
        "secondary_status": status,
        "stopping_condition": stopping,
        "tags": tags,
        "training_job_arn": arn,
        "training_job_name": job,
        "training_job_status": status,
        "training_start_time": start,
    })
    if status == "Failed":
        data["failure_reason"] = rng.choice(("AlgorithmError: ExecuteUserScriptError", "ClientError: OOM", "CapacityError"))
    if status in ("Completed", "Failed", "Stopped"):
        data["training_end_time"] = _timestamp(day + 1, minute)
        data["training_time_in_seconds"] = data["billable_time_in_seconds"]
        data["model_artifacts"] = {"S3ModelArtifacts": f"s3://acme-{team}-{region}/{job}/output/model.tar.gz"}
    if rng.random() < 0.85:
        data["vpc_config"] = {"SecurityGroupIds": [f"sg-0b7e4c1d2a3f{rng.randrange(16**5):05x}"],
                              "Subnets": rng.sample(SUBNETS, rng.randint(1, 3))}
    if spot and rng.random() < 0.7:
        data["checkpoint_config"] = {"S3Uri": f"s3://acme-{team}-{region}/{job}/checkpoints", "LocalPath": "/opt/ml/checkpoints"}
    if rng.random() < 0.2:
        data["retry_strategy"] = {"MaximumRetryAttempts": rng.randint(1, 6)}
    if rng.random() < 0.04:
        data["remote_debug_config"] = {"EnableRemoteDebug": rng.random() < 0.7}
    if rng.random() < 0.3:
        data["debug_hook_config"] = {"S3OutputPath": f"s3://acme-{team}-{region}/{job}/debug", "LocalPath": "/opt/ml/output/tensors"}
        data["profiler_config"] = {"S3OutputPath": f"s3://acme-{team}-{region}/{job}/profiler", "ProfilingIntervalInMilliseconds": 500}
    if rng.random() < 0.1:
        data["tensor_board_output_config"] = {"S3OutputPath": f"s3://acme-tb-{region}/{job}"}
    if rng.random() < 0.2:
        data["experiment_config"] = {"ExperimentName": f"{team}-exp", "TrialName": f"{job}-trial"}
    return data


def remediate(data: dict[str, Any]) -> None:
    """Bring a record in line with the built-in pack, as an organization that fixed its findings."""
    region, account = data["region"], data["account_id"]
    data["enable_network_isolation"] = True
    data["enable_inter_container_traffic_encryption"] = True
    data["vpc_config"] = {"SecurityGroupIds": ["sg-0b7e4c1d2a3f00001"], "Subnets": [SUBNETS[0], SUBNETS[1]]}
    kms = f"arn:aws:kms:{region}:{account}:key/0f1e2d3c-4e5f-a6b7-c8d9e0f1a2b3"
    data["resource_config"] = {**data["resource_config"], "VolumeKmsKeyId": kms}
    data["output_data_config"] = {**data["output_data_config"], "KmsKeyId": kms}
    data["algorithm_specification"] = {**data["algorithm_specification"], "TrainingImage": IMAGES[0].format(region=region)}
    data["tags"] = {"owner": "ml-platform", "cost-center": "4000", "project": data["training_job_name"].split("-")[0]}
    env = data["environment"] or {}
    data["environment"] = {k: v for k, v in env.items() if k not in ("AWS_ACCESS_KEY_ID", "DB_PASSWORD", "HF_TOKEN")}
    data["hyper_parameters"] = {k: v for k, v in data["hyper_parameters"].items() if k != "wandb_api_key"}
    data["remote_debug_config"] = None
    data["retry_strategy"] = None
    data["input_data_config"] = data["input_data_config"][:1]
    data["stopping_condition"] = {"MaxRuntimeInSeconds": 14400, "MaxWaitTimeInSeconds": 28800}
    if data["enable_managed_spot_training"]:
        data["checkpoint_config"] = {"S3Uri": f"s3://acme-ckpt-{region}/{data['training_job_name']}"}


def fleet(n: int, seed: int = 7, remediated: float = 0.0) -> Iterator[dict[str, Any]]:
    """`n` records; a `remediated` fraction of them is brought in line with the pack."""
    rng = random.Random(seed)
    for i in range(n):
        data = record(i, rng)
        if remediated and rng.random() < remediated:
            remediate(data)
        yield data


def write_jsonl(path: Path, n: int, seed: int = 7, remediated: float = 0.0) -> Path:
    """Write (or reuse, when already complete) a JSONL file of `n` records."""
    marker = path.with_name(path.name + ".done")
    if path.exists() and marker.exists() and marker.read_text() == f"{n} {seed} {remediated}":
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with path.open("w", encoding="utf-8") as out:
        batch: list[str] = []
        for data in fleet(n, seed, remediated):
            batch.append(dumps(data))
            if len(batch) == 10_000:
                out.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            out.write("\n".join(batch) + "\n")
    marker.write_text(f"{n} {seed} {remediated}")
    return path
