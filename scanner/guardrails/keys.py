"""The IAM condition keys a guardrail may use, with their types and the actions that carry them.

Source: the Service Authorization Reference for Amazon SageMaker
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html),
as also shipped in parliament's iam_definition.json. Only the keys CreateTrainingJob,
CreateHyperParameterTuningJob and UpdateTrainingJob list are here: a guardrail that names a
key an action does not carry is never evaluated for that action, so it would silently allow.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

CREATE_TRAINING_JOB = "sagemaker:CreateTrainingJob"
CREATE_TUNING_JOB = "sagemaker:CreateHyperParameterTuningJob"
UPDATE_TRAINING_JOB = "sagemaker:UpdateTrainingJob"
ACTIONS = (CREATE_TRAINING_JOB, CREATE_TUNING_JOB, UPDATE_TRAINING_JOB)
_CREATE = (CREATE_TRAINING_JOB, CREATE_TUNING_JOB)
_ALL = ACTIONS


class KeyType(str, enum.Enum):
    STRING = "String"
    ARN = "ARN"
    BOOL = "Bool"
    NUMERIC = "Numeric"


@dataclass(frozen=True)
class ConditionKey:
    name: str
    type: KeyType
    multivalued: bool  # "ArrayOf..." in the reference: needs ForAnyValue / ForAllValues
    actions: tuple[str, ...]


_KEYS = (
    ConditionKey("sagemaker:NetworkIsolation", KeyType.BOOL, False, _CREATE),
    ConditionKey("sagemaker:InterContainerTrafficEncryption", KeyType.BOOL, False, _CREATE),
    ConditionKey("sagemaker:VpcSubnets", KeyType.STRING, True, _CREATE),
    ConditionKey("sagemaker:VpcSecurityGroupIds", KeyType.STRING, True, _CREATE),
    ConditionKey("sagemaker:VolumeKmsKey", KeyType.ARN, False, _CREATE),
    ConditionKey("sagemaker:OutputKmsKey", KeyType.ARN, False, _CREATE),
    ConditionKey("sagemaker:MaxRuntimeInSeconds", KeyType.NUMERIC, False, _CREATE),
    ConditionKey("sagemaker:InstanceTypes", KeyType.STRING, True, _ALL),
    ConditionKey("sagemaker:KeepAlivePeriod", KeyType.NUMERIC, False, (CREATE_TRAINING_JOB, UPDATE_TRAINING_JOB)),
    ConditionKey("sagemaker:EnableRemoteDebug", KeyType.BOOL, False, (CREATE_TRAINING_JOB, UPDATE_TRAINING_JOB)),
    ConditionKey("sagemaker:FileSystemAccessMode", KeyType.STRING, False, _CREATE),
    ConditionKey("sagemaker:FileSystemDirectoryPath", KeyType.STRING, False, _CREATE),
    ConditionKey("sagemaker:FileSystemId", KeyType.STRING, False, _CREATE),
    ConditionKey("sagemaker:FileSystemType", KeyType.STRING, False, _CREATE),
    ConditionKey("aws:TagKeys", KeyType.STRING, True, _CREATE),
)
KEYS = {key.name: key for key in _KEYS}
REQUEST_TAG = "aws:RequestTag/"
TAG_PLACEHOLDER = "${TagKey}"  # the reference's own spelling, replaced by each tag of a for_each


def lookup(name: str) -> ConditionKey | None:
    """The key named, or None. aws:RequestTag/<tag> is one single-valued string key per tag."""
    if name.startswith(REQUEST_TAG) and len(name) > len(REQUEST_TAG):
        return ConditionKey(name, KeyType.STRING, False, _CREATE)
    return KEYS.get(name)
