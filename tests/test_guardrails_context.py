"""The request context a CreateTrainingJob call carries, built from the job's record.

Fixture: tests/fixtures/guardrails/create_training_job_request.json (see that folder's README);
key names from the Service Authorization Reference for SageMaker.
"""

from __future__ import annotations

from pathlib import Path

from smscan.guardrails.context import training_job_context
from smscan.guardrails.evaluate import denying_statements
from smscan.guardrails.render import build
from smscan.models import Record
from smscan.policy.loader import load_policies
from smscan.sources.requests.source import RequestFileSource, RequestOptions

REQUEST = Path(__file__).parent / "fixtures" / "guardrails" / "create_training_job_request.json"


def _record() -> Record:
    [record] = list(RequestFileSource(RequestOptions((str(REQUEST),))).items())
    assert isinstance(record, Record)
    return record


def test_the_context_holds_what_the_request_sent_and_nothing_else() -> None:
    assert training_job_context(_record().data) == {
        "sagemaker:NetworkIsolation": (True,),
        "sagemaker:InterContainerTrafficEncryption": (True,),
        "sagemaker:OutputKmsKey": ("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",),
        "sagemaker:MaxRuntimeInSeconds": (86400,),
        "sagemaker:KeepAlivePeriod": (600,),
        "sagemaker:EnableRemoteDebug": (False,),
        "sagemaker:VpcSubnets": ("subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"),
        "sagemaker:VpcSecurityGroupIds": ("sg-0a1b2c3d4e5f60718",),
        # One file-system channel: the S3 channel adds nothing to the FileSystem* keys.
        "sagemaker:FileSystemAccessMode": ("ro",),
        "sagemaker:FileSystemDirectoryPath": ("/fsx/fraud/train",),
        "sagemaker:FileSystemId": ("fs-0123456789abcdef0",),
        "sagemaker:FileSystemType": ("FSxLustre",),
        # Both instance groups' types; VolumeKmsKey is absent, not "" (see docs/GUARDRAILS.md).
        "sagemaker:InstanceTypes": ("ml.p4d.24xlarge", "ml.c5.18xlarge"),
        "aws:TagKeys": ("owner", "cost-center"),
        "aws:RequestTag/owner": ("fraud-ml",),
        "aws:RequestTag/cost-center": ("",),  # a tag sent with an empty value is still sent
    }


def test_the_builtin_guardrails_deny_it_for_its_one_detected_problem() -> None:
    from smscan.engine import Engine
    from smscan.models import Status

    policies = load_policies(overrides={"vpc-allowed-subnets": {"allowed_subnets": ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"]}})
    record = _record()
    failing = {v.policy.id for v in Engine(policies).evaluate(record) if v.status is Status.FAIL}
    docs = list(build(policies, "scp").documents)
    denied = denying_statements(docs, "sagemaker:CreateTrainingJob", training_job_context(record.data))
    # The empty cost-center tag: required-tags FAILs it and RequiredTagsCostCenter denies it.
    # The p4d group makes volume-kms-encryption NOT_APPLICABLE, and its statement agrees.
    assert denied == ["RequiredTagsCostCenter"]
    assert "required-tags" in failing and "volume-kms-encryption" not in failing
