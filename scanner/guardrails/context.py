"""The IAM request context a CreateTrainingJob call carries, built from a job record.

A record (seed schema: snake_case fields, AWS's PascalCase inside) holds what the request
sent, so each condition key is read from the request parameter the Service Authorization
Reference names for it. What is not in the request is not in the context: a key is absent,
never defaulted. Two modelling choices, documented in docs/GUARDRAILS.md:

- an empty string or an empty list is no value (the key is absent). SageMaker treats an
  empty KmsKeyId as "no key"; AWS does not document whether the key then reaches IAM, and
  the guardrails deny both ways (Null on an absent key) only under this reading;
- a tag is in the request even when its value is empty, so aws:RequestTag/K is then present
  with the value "" (that is why required tags are checked with StringNotLike "?*").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# condition key -> (top-level record field, path inside it); "[*]" walks a list
_SINGLE = {
    "sagemaker:NetworkIsolation": ("enable_network_isolation", ()),
    "sagemaker:InterContainerTrafficEncryption": ("enable_inter_container_traffic_encryption", ()),
    "sagemaker:VolumeKmsKey": ("resource_config", ("VolumeKmsKeyId",)),
    "sagemaker:OutputKmsKey": ("output_data_config", ("KmsKeyId",)),
    "sagemaker:MaxRuntimeInSeconds": ("stopping_condition", ("MaxRuntimeInSeconds",)),
    "sagemaker:KeepAlivePeriod": ("resource_config", ("KeepAlivePeriodInSeconds",)),
    "sagemaker:EnableRemoteDebug": ("remote_debug_config", ("EnableRemoteDebug",)),
}
_MULTI = {
    "sagemaker:VpcSubnets": ("vpc_config", ("Subnets", "[*]")),
    "sagemaker:VpcSecurityGroupIds": ("vpc_config", ("SecurityGroupIds", "[*]")),
    "sagemaker:FileSystemAccessMode": ("input_data_config", ("[*]", "DataSource", "FileSystemDataSource", "FileSystemAccessMode")),
    "sagemaker:FileSystemDirectoryPath": ("input_data_config", ("[*]", "DataSource", "FileSystemDataSource", "DirectoryPath")),
    "sagemaker:FileSystemId": ("input_data_config", ("[*]", "DataSource", "FileSystemDataSource", "FileSystemId")),
    "sagemaker:FileSystemType": ("input_data_config", ("[*]", "DataSource", "FileSystemDataSource", "FileSystemType")),
}


def training_job_context(record: Mapping[str, Any]) -> dict[str, tuple[Any, ...]]:
    """key -> values of the CreateTrainingJob request the record describes (absent keys left out).

    The FileSystem* keys are single-valued in the reference; a job with several file-system
    channels yields several values here, and the evaluator refuses to decide such a request
    rather than guess which one SageMaker would put in the context.
    """
    context: dict[str, tuple[Any, ...]] = {}
    for key, (top, path) in {**_SINGLE, **_MULTI}.items():
        values = tuple(v for v in _walk(record.get(top), path) if _is_value(v))
        if values:
            context[key] = values
    instance_types = _instance_types(record.get("resource_config"))
    if instance_types:
        context["sagemaker:InstanceTypes"] = instance_types
    tags = _tags(record.get("tags"))
    if tags:
        context["aws:TagKeys"] = tuple(tags)
        for name, value in tags.items():
            context[f"aws:RequestTag/{name}"] = (value,)
    return context


def _walk(value: Any, path: tuple[str, ...]) -> list[Any]:
    current = [value]
    for step in path:
        nxt: list[Any] = []
        for item in current:
            if step == "[*]":
                nxt.extend(item if isinstance(item, list) else [])
            elif isinstance(item, Mapping) and step in item:
                nxt.append(item[step])
        current = nxt
    return current


def _is_value(value: Any) -> bool:
    return value is not None and value != "" and not isinstance(value, (dict, list))


def _instance_types(resource_config: Any) -> tuple[str, ...]:
    found = _walk(resource_config, ("InstanceType",)) + _walk(resource_config, ("InstanceGroups", "[*]", "InstanceType"))
    return tuple(dict.fromkeys(t for t in found if isinstance(t, str) and t))


def _tags(tags: Any) -> dict[str, str]:
    """Tags as a record holds them (a mapping) or as the request sends them ([{Key, Value}])."""
    if isinstance(tags, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in tags.items()}
    if isinstance(tags, list):
        return {
            str(t["Key"]): str(t.get("Value") or "")
            for t in tags
            if isinstance(t, Mapping) and isinstance(t.get("Key"), str)
        }
    return {}
