"""Factories for tests: build records, findings and results without touching AWS or files."""

from __future__ import annotations

from typing import Any

from smscan.models import (
    Evidence,
    Finding,
    Origin,
    PolicyInfo,
    Problem,
    Record,
    Resource,
    ScanMeta,
    ScanResult,
    Severity,
    Status,
)

ACCOUNT = "123456789012"
REGION = "us-east-1"


def job_arn(name: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:training-job/{name}"


def make_record(name: str = "job-1", **fields: Any) -> Record:
    """A compliant-looking seed-schema record; keyword arguments override fields."""
    arn = job_arn(name, fields.get("account_id", ACCOUNT), fields.get("region", REGION))
    data: dict[str, Any] = {
        "_key": arn,
        "account_id": ACCOUNT,
        "region": REGION,
        "training_job_arn": arn,
        "training_job_name": name,
        "training_job_status": "Completed",
        "enable_network_isolation": True,
        "enable_inter_container_traffic_encryption": True,
        "enable_managed_spot_training": False,
        "vpc_config": {"Subnets": ["subnet-0a1b2c3d"], "SecurityGroupIds": ["sg-0a1b2c3d"]},
        "stopping_condition": {"MaxRuntimeInSeconds": 3600},
        "resource_config": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 50,
            "VolumeKmsKeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1111",
        },
        "output_data_config": {
            "S3OutputPath": "s3://bucket/out",
            "KmsKeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1111",
        },
        "environment": {"MODE": "train"},
        "hyper_parameters": {"epochs": "10"},
        "tags": {"team": "ml", "cost-center": "42"},
        "creation_time": "2026-01-02T03:04:05Z",
    }
    data.update(fields)
    return Record(data=data, origin=Origin("fixture.jsonl", line=1))


def make_policy_info(policy_id: str = "network-isolation", severity: str = "high") -> PolicyInfo:
    return PolicyInfo(
        id=policy_id,
        title=f"Title of {policy_id}",
        severity=Severity(severity),
        description=f"Description of {policy_id}.",
        rationale="Because.",
        remediation={"summary": "Fix it.", "cli": "aws sagemaker ..."},
        references=("https://docs.aws.amazon.com/sagemaker/",),
        frameworks={"nist-800-53": ("SC-7",)},
        source_path=f"policies/{policy_id}.yaml",
        source_line=1,
        digest="0" * 12,
    )


def make_finding(
    policy_id: str = "network-isolation",
    name: str = "job-1",
    status: Status = Status.FAIL,
    severity: str = "high",
    **resource: Any,
) -> Finding:
    record = make_record(name, **resource)
    return Finding(
        policy_id=policy_id,
        severity=Severity(severity),
        status=status,
        resource=Resource.of(record),
        message=f"Training job {name} fails {policy_id}.",
        evidence=(
            Evidence(
                path="$.enable_network_isolation",
                operator="equals",
                expected=True,
                actual=(False,),
                satisfied=False,
            ),
        ),
    )


def make_result(
    findings: list[Finding] | None = None,
    policies: list[PolicyInfo] | None = None,
    errors: list[Problem] | None = None,
) -> ScanResult:
    findings = findings if findings is not None else [make_finding()]
    if policies is None:
        ids = sorted({(f.policy_id, f.severity.value) for f in findings})
        policies = [make_policy_info(i, s) for i, s in ids] or [make_policy_info()]
    counts: dict[str, dict[Status, int]] = {p.id: {s: 0 for s in Status} for p in policies}
    for f in findings:
        counts.setdefault(f.policy_id, {s: 0 for s in Status})[f.status] += 1
    meta = ScanMeta(
        tool_version="0.1.0",
        started_at="2026-11-24T10:00:00Z",
        finished_at="2026-11-24T10:00:02Z",
        inputs=("fixture.jsonl",),
        duration_seconds=2.0,
        records_scanned=len({f.resource.arn for f in findings}),
    )
    return ScanResult(
        meta=meta,
        policies=tuple(policies),
        findings=tuple(sorted(findings, key=lambda f: f.sort_key)),
        counts=counts,
        errors=tuple(errors or ()),
    )


def mixed_findings() -> list[Finding]:
    """One finding of each status and severity a store sorts and counts (findings tests)."""
    return [
        make_finding("retry-limit", "a", severity="low"),
        make_finding("network-isolation", "b"),
        make_finding("no-secrets-in-environment", "c", severity="critical"),
        make_finding("vpc-configured", "d", status=Status.UNKNOWN),
        make_finding("network-isolation", "e", status=Status.ERROR),
    ]
