"""End to end: `smscan scan --aws` against moto's server on 127.0.0.1, two regions, 300 jobs.

The CLI runs as a subprocess, so the whole path is real: argument parsing, the source
over HTTP, the engine, the JSON report, the exit code. Expected FAILs are derived from
the CreateTrainingJob arguments each job was made with, and compared one for one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.moto_server import ACCOUNT, aws_env, create_jobs, job_spec, moto_endpoint, sagemaker

__all__ = ["aws_env", "moto_endpoint"]

ROOT = Path(__file__).resolve().parents[1]
REGIONS = {"us-east-1": 200, "eu-west-1": 100}
FOUR = (
    "network-isolation",
    "inter-container-encryption",
    "vpc-configured",
    "volume-kms-encryption",
)


def smscan(endpoint: str, out: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    argv = [
        sys.executable,
        "-m",
        "smscan",
        "scan",
        "--aws",
        "--endpoint-url",
        endpoint,
        "--format",
        "json",
        "--output",
        str(out),
        *extra,
    ]
    for region in REGIONS:
        argv += ["--region", region]
    done = subprocess.run(
        argv, cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(out.read_text()), done.stderr


def expected_fails() -> set[tuple[str, str]]:
    fails = set()
    for region, count in REGIONS.items():
        for i in range(count):
            spec = job_spec(f"{region}-{i:04d}", i)
            arn = f"arn:aws:sagemaker:{region}:{ACCOUNT}:training-job/{spec['TrainingJobName']}"
            rc = spec["ResourceConfig"]
            if not spec["EnableNetworkIsolation"]:
                fails.add(("network-isolation", arn))
            if rc["InstanceCount"] > 1 and not spec["EnableInterContainerTrafficEncryption"]:
                fails.add(("inter-container-encryption", arn))
            if "VpcConfig" not in spec:
                fails.add(("vpc-configured", arn))
            if not rc.get("VolumeKmsKeyId"):
                fails.add(("volume-kms-encryption", arn))
    return fails


@pytest.fixture
def fleet(moto_endpoint: str) -> str:
    for region, count in REGIONS.items():
        create_jobs(sagemaker(region, moto_endpoint), count, prefix=region, threads=8)
    return moto_endpoint


@pytest.mark.server
def test_cli_reports_every_job_and_the_right_fails(fleet: str, tmp_path: Path) -> None:
    code, report, stderr = smscan(fleet, tmp_path / "r.json", "--select", ",".join(FOUR))
    assert code == 1  # high-severity FAILs
    scan = report["scan"]
    assert scan["records_scanned"] == 300 and scan["complete"] and report["errors"] == []
    fails = {
        (f["policy_id"], f["resource"]["arn"]) for f in report["findings"] if f["status"] == "FAIL"
    }
    assert fails == expected_fails()
    # No describe-only field read: Search alone, about N/100 calls (moto's Search does not
    # page, so it is one per region here; test_aws_faults checks the paging).
    assert scan["scope"]["fetch_plan"] == "search"
    assert scan["api_calls"] == {"GetCallerIdentity": 1, "Search": 2}
    assert "fetch plan: search" in stderr


@pytest.mark.server
def test_cli_warm_cache_rescan_makes_no_describe_for_finished_jobs(
    fleet: str, tmp_path: Path
) -> None:
    cache = str(tmp_path / "cache.db")
    _, cold, _ = smscan(fleet, tmp_path / "cold.json", "--fetch", "describe", "--cache", cache)
    _, warm, _ = smscan(fleet, tmp_path / "warm.json", "--fetch", "describe", "--cache", cache)
    assert cold["scan"]["api_calls"]["DescribeTrainingJob"] == 300
    running = sum(1 for n in REGIONS.values() for i in range(n) if i % 5 in (3, 4))
    assert warm["scan"]["api_calls"].get("DescribeTrainingJob", 0) == running
    assert "ListTags" not in warm["scan"]["api_calls"]
    assert warm["findings"] == cold["findings"]
    assert f"cache saved {300 - running} DescribeTrainingJob calls" in warm["scan"]["notes"]
