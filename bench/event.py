"""Benchmark 6: the Lambda handler of event mode, cold start and per event.

- cold start: a fresh interpreter importing smscan.events.lambda_handler, then prepare()
  (smscan.yaml + the built-in pack + waivers), each timed; median of N processes.
- per event, warm: handler() on the SageMaker developer guide's state-change sample (a job
  moto holds in-process), median and p95 of N events, for: the event carries every field
  read (no AWS call); the built-in pack (DescribeTrainingJob + ListTags); and the pack with
  notify and tag live (+ Publish + AddTags; the marker tag makes repeats duplicates, so each
  event names a new job). moto answers in-process: add AWS's own latency per call (tens of ms).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, header, line

_COLD = """
import time, sys
t0 = time.perf_counter()
from smscan.events.lambda_handler import prepare
t1 = time.perf_counter()
prepare({"SMSCAN_CONFIG": sys.argv[1]})
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""
EVENT = ROOT / "tests" / "fixtures" / "records" / "eventbridge_training_state_change.json"


def _quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def cold(runs: int, config: Path) -> None:
    imports, loads = [], []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", _COLD, str(config)], cwd=ROOT, capture_output=True, text=True, check=True)
        a, b = (float(x) for x in done.stdout.split())
        imports.append(a)
        loads.append(b)
    line("import smscan.events.lambda_handler", f"median {statistics.median(imports) * 1000:.0f} ms")
    line("prepare(): smscan.yaml + built-in pack", f"median {statistics.median(loads) * 1000:.0f} ms")
    line("cold start total (before the first event)", f"median {(statistics.median(imports) + statistics.median(loads)) * 1000:.0f} ms")


def _event(name: str, account: str, **detail: Any) -> dict[str, Any]:
    doc = json.loads(EVENT.read_text())
    arn = f"arn:aws:sagemaker:us-east-1:{account}:training-job/{name}"
    doc["detail"].update(TrainingJobName=name, TrainingJobArn=arn, TrainingJobStatus="InProgress", **detail)
    return doc


def warm(events: int, scratch: Path) -> None:
    import boto3
    from moto import mock_aws

    from smscan.events.lambda_handler import handler, prepare
    from tests.moto_server import ACCOUNT, job_spec

    for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench"), ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ.setdefault(name, value)
    with mock_aws():
        sm = boto3.client("sagemaker", region_name="us-east-1")
        topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="bench")["TopicArn"]
        clients: dict[str, Any] = {}

        def client_for(service: str, region: str) -> Any:
            return clients.setdefault(service, boto3.client(service, region_name="us-east-1"))

        cases = {
            "event carries every field read (0 calls)": ("select: [network-isolation]\n", {"EnableNetworkIsolation": False}),
            "built-in pack (Describe + ListTags)": ("", {}),
            "pack + notify and tag live (4 calls)": (
                "actions:\n  notify: {enabled: true, dry_run: false}\n  tag: {enabled: true, dry_run: false}\n", {}
            ),
        }
        for label, (config_text, detail) in cases.items():
            config = scratch / "smscan.yaml"
            config.write_text(config_text)
            prepared = prepare({"SMSCAN_CONFIG": str(config), "SMSCAN_SNS_TOPIC_ARN": topic})
            samples = []
            for i in range(events + 1):
                name = f"bench-{abs(hash(label)) % 10_000}-{i}"
                sm.create_training_job(**job_spec(name, i))
                t = time.perf_counter()
                handler(_event(name, ACCOUNT, **detail), None, client_for=client_for, prepared=prepared)
                if i:  # the first event warms the clients
                    samples.append(time.perf_counter() - t)
            line(label, _quantiles(samples))


def run(runs: int, events: int) -> None:
    header(f"event mode: cold start (median of {runs} processes), warm events ({events} each)")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        config = scratch / "cold.yaml"
        config.write_text("actions:\n  tag: {enabled: true}\n")
        cold(runs, config)
        warm(events, scratch)
