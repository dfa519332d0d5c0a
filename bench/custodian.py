"""Whole-process evaluation against Cloud Custodian's own filters, on the same file.

Both sides read one JSONL file of DescribeTrainingJob-shaped records (about 2 KB each,
with SecondaryStatusTransitions and FinalMetricDataList as AWS returns them) and judge
the same five checks; each runs as a whole process (start-up, read, judge, and for
smscan the JSON report), three times, alternating, and the medians are compared.

The Custodian side is written from its documented filter API
(`c7n.filters.core.ValueFilter`, the `value` filter of every Custodian policy) and needs
`c7n` in the interpreter named by $SMSCAN_C7N_PYTHON (default: this one); without it the
benchmark prints smscan's side only. c7n is a benchmark extra, never a runtime dependency.
The FAIL counts of both sides are printed beside each other: a ratio is only worth
something when the two agree.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import SCRATCH, header, installed_env, line, smscan, timed_run
from bench.fleet import fleet

CHECKS = ("network-isolation", "inter-container-encryption", "vpc-configured", "volume-kms-encryption", "max-runtime-limit")
_SEED_TO_AWS = {
    "training_job_name": "TrainingJobName", "training_job_arn": "TrainingJobArn",
    "training_job_status": "TrainingJobStatus", "secondary_status": "SecondaryStatus",
    "creation_time": "CreationTime", "training_start_time": "TrainingStartTime",
    "training_end_time": "TrainingEndTime", "last_modified_time": "LastModifiedTime",
    "role_arn": "RoleArn", "algorithm_specification": "AlgorithmSpecification",
    "resource_config": "ResourceConfig", "vpc_config": "VpcConfig",
    "stopping_condition": "StoppingCondition", "output_data_config": "OutputDataConfig",
    "input_data_config": "InputDataConfig", "enable_network_isolation": "EnableNetworkIsolation",
    "enable_inter_container_traffic_encryption": "EnableInterContainerTrafficEncryption",
    "enable_managed_spot_training": "EnableManagedSpotTraining", "checkpoint_config": "CheckpointConfig",
    "environment": "Environment", "hyper_parameters": "HyperParameters", "retry_strategy": "RetryStrategy",
    "remote_debug_config": "RemoteDebugConfig",
}
_TRANSITIONS = ("Starting", "Downloading", "Training", "Uploading", "Completed")


def describe_shaped(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A seed record of bench.fleet turned back into the DescribeTrainingJob answer it came from."""
    doc = {aws: data[seed] for seed, aws in _SEED_TO_AWS.items() if data.get(seed) is not None}
    start = str(data.get("creation_time") or "2026-01-01T00:00:00Z")
    doc["SecondaryStatusTransitions"] = [
        {"Status": s, "StartTime": start, "EndTime": start,
         "StatusMessage": f"{s} the training job: instances prepared, data downloaded, step {i}."}
        for i, s in enumerate(_TRANSITIONS)
    ]
    doc["FinalMetricDataList"] = [
        {"MetricName": name, "Value": round(rng.random(), 6), "Timestamp": start}
        for name in ("train:loss", "validation:loss", "validation:accuracy")
    ]
    doc["BillableTimeInSeconds"] = rng.randint(60, 86400)
    doc["ResponseMetadata"] = {"HTTPStatusCode": 200}
    return doc


def write_fleet(path: Path, n: int) -> Path:
    marker = path.with_name(path.name + ".done")
    if path.exists() and marker.exists() and marker.read_text() == str(n):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    with path.open("w", encoding="utf-8") as out:
        for data in fleet(n):
            out.write(json.dumps(describe_shaped(data, rng), separators=(",", ":")) + "\n")
    marker.write_text(str(n))
    return path


# The five checks as Custodian value filters, each matching a job that FAILS the check
# (Custodian filters select the non-compliant resources). `when:` scopes of the smscan
# policies become an `and` with the scope filter, so N/A jobs are never counted.
_NVME = r"^ml\.(p3dn|p4d|p4de|p5|p5e|p5en|g4dn|g5|g6|g6e|trn1|trn1n|trn2|m5d|c5d|r5d)\."
CUSTODIAN_SCRIPT = r'''
import json, sys
from c7n.filters.core import ValueFilter

def value(**kw):
    return ValueFilter(dict(type="value", **kw))

def any_of(*fs):
    return lambda r: any(f(r) for f in fs)

def all_of(*fs):
    return lambda r: all(f(r) for f in fs)

def groups_of(r):
    groups = (r.get("ResourceConfig") or {}).get("InstanceGroups") or []
    return groups

distributed = lambda r: (
    ((r.get("ResourceConfig") or {}).get("InstanceCount") or 0) > 1
    or any((g.get("InstanceCount") or 0) > 1 for g in groups_of(r))
    or len(groups_of(r)) >= 2
)
nvme_single = value(key="ResourceConfig.InstanceType", value=NVME, op="regex")
nvme = lambda r: nvme_single(r) or any(
    value(key="InstanceType", value=NVME, op="regex")(g) for g in groups_of(r))
FILTERS = {
    "network-isolation": value(key="EnableNetworkIsolation", value=True, op="ne"),
    "inter-container-encryption": all_of(distributed, value(key="EnableInterContainerTrafficEncryption", value=True, op="ne")),
    "vpc-configured": any_of(value(key="VpcConfig.Subnets", value="empty"), value(key="VpcConfig.SecurityGroupIds", value="empty")),
    "volume-kms-encryption": all_of(lambda r: not nvme(r), value(key="ResourceConfig.VolumeKmsKeyId", value="empty")),
    "max-runtime-limit": any_of(value(key="StoppingCondition.MaxRuntimeInSeconds", value="absent"),
                                value(key="StoppingCondition.MaxRuntimeInSeconds", value=86400, op="gt")),
}
fails = {name: 0 for name in FILTERS}
with open(sys.argv[1], encoding="utf-8") as handle:
    for text in handle:
        job = json.loads(text)
        for name, f in FILTERS.items():
            if f(job):
                fails[name] += 1
print(json.dumps(fails))
'''.replace("NVME", repr(_NVME))


def _smscan_counts(report: Path, status: str) -> dict[str, int]:
    doc = json.loads(report.read_text())
    return {p["id"]: p["counts"].get(status, 0) for p in doc["policies"]}


def run(records: int, rounds: int = 3) -> None:
    header(f"whole process vs Cloud Custodian's ValueFilters: {records:,} DescribeTrainingJob records, 5 checks")
    data = write_fleet(SCRATCH / f"describe-{records}.jsonl", records)
    line("input", f"{data.stat().st_size / records:,.0f} bytes a record, {data.stat().st_size / 2**20:,.0f} MB")
    report = SCRATCH / "custodian-smscan.json"
    argv = smscan("scan", "--input", str(data), "--select", ",".join(CHECKS), "--format", "json",
                  "-o", str(report), "--fail-on", "never", "--quiet")
    c7n_python = os.environ.get("SMSCAN_C7N_PYTHON", sys.executable)
    has_c7n = subprocess.run([c7n_python, "-c", "import c7n.filters.core"], capture_output=True).returncode == 0
    script = SCRATCH / "custodian_filters.py"
    script.write_text(CUSTODIAN_SCRIPT)
    env = installed_env()  # c7n's bytecode is compiled at install; smscan's is too, as installed
    subprocess.run([*smscan("--version")], env=env, capture_output=True)  # compile once, untimed
    ours: list[float] = []
    theirs: list[float] = []
    c7n_fails: dict[str, int] = {}
    for _ in range(rounds):
        wall, rss, done = timed_run(argv, env=env)
        if done.returncode not in (0, 1):
            line("smscan failed", done.stderr.strip().splitlines()[-1] if done.stderr.strip() else str(done.returncode))
            return
        ours.append(wall)
        line("smscan run", f"{wall:.2f} s, peak RSS {rss:,.0f} MB")
        if has_c7n:
            wall, rss, done = timed_run([c7n_python, str(script), str(data)])
            theirs.append(wall)
            c7n_fails = json.loads(done.stdout)
            line("Custodian run", f"{wall:.2f} s, peak RSS {rss:,.0f} MB")
    mine = statistics.median(ours)
    line("smscan median", f"{mine:.2f} s ({records / mine:,.0f} records/s)")
    ours_fails = _smscan_counts(report, "FAIL")
    if not has_c7n:
        line("Custodian", "c7n not importable: set SMSCAN_C7N_PYTHON to a Python with `pip install c7n`")
        return
    other = statistics.median(theirs)
    line("Custodian median", f"{other:.2f} s ({records / other:,.0f} records/s)")
    line("ratio smscan / Custodian (target <= 0.5)", f"{mine / other:.2f}x")
    # The machine's speed drifts between rounds; each round's two runs are seconds apart, so
    # their ratios show how much of the spread is the machine's.
    line("  each round's ratio", ", ".join(f"{a / b:.2f}x" for a, b in zip(ours, theirs, strict=True)))
    for name in CHECKS:
        same = "same" if ours_fails.get(name) == c7n_fails.get(name) else "DIFFERENT"
        line(f"  FAIL {name}", f"smscan {ours_fails.get(name)}, Custodian {c7n_fails.get(name)} ({same})")
    # A value of the wrong type (MaxRuntimeInSeconds as text) is ERROR for smscan; Custodian's
    # comparison quietly says "no match", which is why it is not counted as a FAIL on either side.
    errors = sum(_smscan_counts(report, "ERROR").values())
    line("  smscan ERROR (Custodian: silently not matched)", str(errors))
