"""SageMaker Python SDK v3 `ModelTrainer` (and its v2 preview) -> CreateTrainingJob request keys.

Taken from sagemaker-train 1.27.0 (`sagemaker/train/model_trainer.py`,
`_create_training_job_args`; `sagemaker/train/defaults.py`; the config classes of
`sagemaker.core.training.configs`): `compute=Compute(...)` is the ResourceConfig
(plus `enable_managed_spot_training`), `networking=Networking(...)` the VpcConfig
plus network isolation and inter-container encryption, `stopping_condition`,
`output_data_config`, `checkpoint_config` and `training_image_config` map key for
key. Defaults when omitted: `ml.m5.xlarge`, one instance, 30 GB, a one-hour
maximum run time, input mode "File"; the output path is the session's default
bucket (run time). Network isolation has no SDK default in v3: left out of the
request, the API's (off) applies. `ModelTrainer(...).with_retry_strategy(...)`
and the other `with_*` calls chained on the constructor are read.
`training_mode=Mode.LOCAL_CONTAINER` creates no job. `from_jumpstart_config(...)`
takes image, instance type, hyperparameters and network isolation from the model
spec: run time unless passed.
"""

from __future__ import annotations

import ast
from typing import Any

from smscan.sources.requests.runtime import RunTime
from smscan.sources.sdk.classes import is_mode
from smscan.sources.sdk.request import Path, RequestBuilder, as_hyperparameters, as_tags
from smscan.sources.sdk.values import Evaluator, Keywords, SdkObject, text_of
from smscan.sources.terraform.mapping import pascal
from smscan.yamlpos import YList, YMap

SDK_VERSION = "sagemaker-train 1.27.0 (sagemaker 3.27.0)"

_TOP: dict[str, Path] = {
    "role": ("RoleArn",),
    "training_image": ("AlgorithmSpecification", "TrainingImage"),
    "algorithm_name": ("AlgorithmSpecification", "AlgorithmName"),
    "training_input_mode": ("AlgorithmSpecification", "TrainingInputMode"),
    "environment": ("Environment",),
    "hyperparameters": ("HyperParameters",),
    "tags": ("Tags",),
}
_OBJECTS: dict[str, Path] = {
    "compute": ("ResourceConfig",),
    "networking": ("VpcConfig",),
    "stopping_condition": ("StoppingCondition",),
    "output_data_config": ("OutputDataConfig",),
    "checkpoint_config": ("CheckpointConfig",),
    "training_image_config": ("AlgorithmSpecification", "TrainingImageConfig"),
}
# Config-object keywords that land outside their object's request key.
_MOVED: dict[str, Path] = {
    "enable_managed_spot_training": ("EnableManagedSpotTraining",),
    "enable_network_isolation": ("EnableNetworkIsolation",),
    "enable_inter_container_traffic_encryption": ("EnableInterContainerTrafficEncryption",),
}
# Which moved keys each config class can set (so a `**spread` of unknown keys makes them unknown).
_OBJECT_MOVES: dict[str, tuple[Path, ...]] = {
    "Compute": (_MOVED["enable_managed_spot_training"],),
    "Networking": (_MOVED["enable_network_isolation"], _MOVED["enable_inter_container_traffic_encryption"]),
}
_WITH: dict[str, Path] = {
    "with_retry_strategy": ("RetryStrategy",),
    "with_remote_debug_config": ("RemoteDebugConfig",),
    "with_infra_check_config": ("InfraCheckConfig",),
    "with_session_chaining_config": ("SessionChainingConfig",),
    "with_tensorboard_output_config": ("TensorBoardOutputConfig",),
    "with_checkpoint_config": ("CheckpointConfig",),
}
DEFAULTS: list[tuple[Path, Any]] = [
    (("ResourceConfig", "InstanceType"), "ml.m5.xlarge"),
    (("ResourceConfig", "InstanceCount"), 1),
    (("ResourceConfig", "VolumeSizeInGB"), 30),
    (("StoppingCondition", "MaxRuntimeInSeconds"), 3600),
    (("AlgorithmSpecification", "TrainingInputMode"), "File"),
]
_NOT_REQUEST = frozenset({
    "sagemaker_session", "base_job_name", "source_code", "distributed", "input_data_config",
    "local_container_root", "model_package_config", "training_mode", "jumpstart_config",
    "training_recipe", "recipe_overrides", "requirements",
})  # fmt: skip


def build(keywords: Keywords, chained: list[ast.Call], ev: Evaluator, b: RequestBuilder, jumpstart: bool) -> str | None:
    """Fill `b` from ModelTrainer's keywords. Returns why it is local mode, or None."""
    mode = keywords.get("training_mode")
    if mode is not None and isinstance(mode[0], ast.expr) and is_mode(ev.qualified(mode[0]), "LOCAL_CONTAINER"):
        return "training_mode=Mode.LOCAL_CONTAINER runs in a local container: no SageMaker job is created"
    for name, (expr, line) in keywords.items():
        if name in _TOP:
            value = ev.value(expr)
            if name == "tags":
                value = as_tags(_tag_objects(value, ev))
            elif name == "hyperparameters" and isinstance(value, str):
                value = RunTime("hyperparameters read from a file at run time", text_of(expr))
            elif name == "hyperparameters":
                value = as_hyperparameters(value)
            b.set(_TOP[name], value, line)
        elif name in _OBJECTS:
            _object(_OBJECTS[name], ev.value(expr), line, ev, b)
        elif name not in _NOT_REQUEST:
            b.notes.append((line, f"keyword {name!r} of ModelTrainer() is not a training-job setting smscan reads"))
    for call in chained:
        method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        argument = call.args[0] if call.args else (call.keywords[0].value if call.keywords else None)
        if method in _WITH and argument is not None:
            _object(_WITH[method], ev.value(argument), ev.line(call.lineno), ev, b)
        elif method in ("with_infra_check_config", "with_session_chaining_config"):
            key = "EnableInfraCheck" if "infra" in method else "EnableSessionTagChaining"
            b.set((*_WITH[method], key), True, ev.line(call.lineno))
    if jumpstart:
        spec = RunTime("the JumpStart model spec", "jumpstart_config")
        for path in (("AlgorithmSpecification", "TrainingImage"), ("ResourceConfig", "InstanceType"), ("EnableNetworkIsolation",), ("HyperParameters",)):
            b.fill(path, spec)
    return None


def apply_defaults(b: RequestBuilder) -> None:
    b.fill_unknown([*_TOP.values(), *_OBJECTS.values(), *_MOVED.values()])
    for path, value in DEFAULTS:
        b.fill(path, value)
    b.fill(("OutputDataConfig", "S3OutputPath"), RunTime("the SDK's default: the session's default S3 bucket, known at run time"))


def _object(path: Path, value: Any, line: int, ev: Evaluator, b: RequestBuilder) -> None:
    if not isinstance(value, SdkObject):
        b.set(path, value, line)  # a variable or call: the whole object is run time
        return
    for keyword in value.call.keywords:
        if keyword.arg is not None:
            target = _MOVED.get(keyword.arg, (*path, pascal(keyword.arg)))
            b.set(target, ev.value(keyword.value), ev.line(keyword.value.lineno))
            continue
        spread = ev.value(keyword.value)  # Networking(**settings)
        if isinstance(spread, YMap):
            for name, item in spread.items():
                b.set(_MOVED.get(name, (*path, pascal(name))), item, spread.key_pos[name].line)
            continue
        unknown = RunTime(f"{value.name}(**{text_of(keyword.value)}) set at run time", text_of(keyword.value))
        b.set(path, unknown, ev.line(keyword.lineno))
        for moved in _OBJECT_MOVES.get(value.name, ()):
            b.set(moved, unknown, ev.line(keyword.lineno))


def _tag_objects(value: Any, ev: Evaluator) -> Any:
    """[Tag(key=..., value=...)] as [{Key, Value}]."""
    if not isinstance(value, YList):
        return value
    for index, item in enumerate(value):
        if isinstance(item, SdkObject) and item.name == "Tag":
            keywords = item.keywords()
            tag = YMap()
            tag.pos, tag.key_pos = ev.pos(item.call), {}
            for name in ("key", "value"):
                if name in keywords:
                    tag[name.capitalize()] = ev.value(keywords[name].value)
                    tag.key_pos[name.capitalize()] = ev.pos(keywords[name].value)
            value[index] = tag
    return value
