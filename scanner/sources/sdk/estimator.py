"""SageMaker Python SDK v2 estimators -> CreateTrainingJob request keys.

Taken from sagemaker 2.257.7: the keyword arguments of `EstimatorBase.__init__`
(sagemaker/estimator.py), how `_TrainingJob._get_train_args` and
`Session._get_train_request` turn them into the request, and their defaults:
`max_run` 24 h, `volume_size` 30 GB, `input_mode` "File", network isolation,
inter-container encryption and spot training off. `output_path` defaults to the
session's default bucket, known only at run time; a framework estimator's image is
chosen by the SDK from `framework_version` / `py_version`, a built-in algorithm's
by region, a JumpStart estimator's (and its instance type, hyperparameters and
network isolation) by the model spec: all run time unless passed. SKLearn and LDA
force one instance. v1 keyword names (`train_instance_type`, ...) are read as their
v2 names, with a note.
"""

from __future__ import annotations

import ast
from typing import Any

from smscan.sources.requests.runtime import RunTime
from smscan.sources.sdk.classes import LOCAL_SESSIONS, JobClass
from smscan.sources.sdk.request import Path, RequestBuilder, as_hyperparameters, as_tags
from smscan.sources.sdk.values import Evaluator, Keywords, SdkObject, text_of
from smscan.yamlpos import YList, YMap

SDK_VERSION = "sagemaker 2.257.7"

KEYWORDS: dict[str, Path] = {
    "role": ("RoleArn",),
    "instance_count": ("ResourceConfig", "InstanceCount"),
    "instance_type": ("ResourceConfig", "InstanceType"),
    "volume_size": ("ResourceConfig", "VolumeSizeInGB"),
    "volume_kms_key": ("ResourceConfig", "VolumeKmsKeyId"),
    "keep_alive_period_in_seconds": ("ResourceConfig", "KeepAlivePeriodInSeconds"),
    "training_plan": ("ResourceConfig", "TrainingPlanArn"),
    "max_run": ("StoppingCondition", "MaxRuntimeInSeconds"),
    "max_wait": ("StoppingCondition", "MaxWaitTimeInSeconds"),
    "input_mode": ("AlgorithmSpecification", "TrainingInputMode"),
    "image_uri": ("AlgorithmSpecification", "TrainingImage"),
    "algorithm_arn": ("AlgorithmSpecification", "AlgorithmName"),
    "training_repository_access_mode": ("AlgorithmSpecification", "TrainingImageConfig", "TrainingRepositoryAccessMode"),
    "training_repository_credentials_provider_arn": (
        "AlgorithmSpecification", "TrainingImageConfig", "TrainingRepositoryAuthConfig",
        "TrainingRepositoryCredentialsProviderArn",
    ),
    "container_entry_point": ("AlgorithmSpecification", "ContainerEntrypoint"),
    "container_arguments": ("AlgorithmSpecification", "ContainerArguments"),
    "metric_definitions": ("AlgorithmSpecification", "MetricDefinitions"),
    "enable_sagemaker_metrics": ("AlgorithmSpecification", "EnableSageMakerMetricsTimeSeries"),
    "output_path": ("OutputDataConfig", "S3OutputPath"),
    "output_kms_key": ("OutputDataConfig", "KmsKeyId"),
    "subnets": ("VpcConfig", "Subnets"),
    "security_group_ids": ("VpcConfig", "SecurityGroupIds"),
    "encrypt_inter_container_traffic": ("EnableInterContainerTrafficEncryption",),
    "use_spot_instances": ("EnableManagedSpotTraining",),
    "checkpoint_s3_uri": ("CheckpointConfig", "S3Uri"),
    "checkpoint_local_path": ("CheckpointConfig", "LocalPath"),
    "enable_network_isolation": ("EnableNetworkIsolation",),
    "environment": ("Environment",),
    "hyperparameters": ("HyperParameters",),
    "max_retry_attempts": ("RetryStrategy", "MaximumRetryAttempts"),
    "enable_remote_debug": ("RemoteDebugConfig", "EnableRemoteDebug"),
    "enable_infra_check": ("InfraCheckConfig", "EnableInfraCheck"),
    "enable_session_tag_chaining": ("SessionChainingConfig", "EnableSessionTagChaining"),
    "tags": ("Tags",),
    "instance_groups": ("ResourceConfig", "InstanceGroups"),
}  # fmt: skip
V1_NAMES = {
    "train_instance_type": "instance_type",
    "train_instance_count": "instance_count",
    "train_volume_size": "volume_size",
    "train_volume_kms_key": "volume_kms_key",
    "train_max_run": "max_run",
    "train_use_spot_instances": "use_spot_instances",
    "train_max_wait": "max_wait",
    "image_name": "image_uri",
}
DEFAULTS: list[tuple[Path, Any]] = [
    (("EnableNetworkIsolation",), False),
    (("EnableInterContainerTrafficEncryption",), False),
    (("EnableManagedSpotTraining",), False),
    (("StoppingCondition", "MaxRuntimeInSeconds"), 24 * 60 * 60),
    (("ResourceConfig", "VolumeSizeInGB"), 30),
    (("AlgorithmSpecification", "TrainingInputMode"), "File"),
]
# Keywords that shape the code package or the SDK's behaviour, not the request's settings.
_NOT_REQUEST = frozenset({
    "base_job_name", "sagemaker_session", "entry_point", "source_dir", "dependencies", "git_config",
    "code_location", "framework_version", "py_version", "distribution", "model_uri",
    "model_channel_name", "rules", "debugger_hook_config", "profiler_config", "disable_profiler",
    "tensorboard_output_config", "container_log_level", "compiler_config", "instance_placement_config",
    "model_id", "model_version", "tolerate_vulnerable_model", "tolerate_deprecated_model", "region",
    "hub_name", "toolkit", "toolkit_version", "framework", "image_scope", "checkpoint_config",
    "environment_variables", "disable_output_compression", "pytorch_version", "tensorflow_version",
    "transformers_version", "modules", "estimator_cls", "config_name", "model_type",
    "training_recipe", "recipe_overrides", "model_dir", "script_mode", "distributions",
    "training_steps", "evaluation_steps", "job_name",
})  # fmt: skip
_POSITIONAL = {"Estimator": ("image_uri", "role", "instance_count", "instance_type")}
_BUILTIN_POSITIONAL = ("role", "instance_count", "instance_type")  # AmazonAlgorithmEstimatorBase


def build(job: JobClass, call: ast.Call, keywords: Keywords, later: list[ast.Call], ev: Evaluator, b: RequestBuilder) -> str | None:
    """Fill `b` from the estimator's keywords and its `set_hyperparameters(...)` calls.

    Returns why it is local mode, or None.
    """
    for index, arg in enumerate(call.args):
        names = _POSITIONAL.get(job.name, _BUILTIN_POSITIONAL if job.builtin else ())
        if index < len(names) and names[index] not in keywords:
            keywords[names[index]] = (arg, ev.line(arg.lineno))
        else:
            b.notes.append((ev.line(arg.lineno), f"positional argument {index + 1} of {job.name}() is not read"))
    local = _local_mode(keywords, ev)
    for name, (expr, line) in keywords.items():
        if name in V1_NAMES:
            b.notes.append((line, f"{name} is the SDK v1 name of {V1_NAMES[name]}; read as {V1_NAMES[name]}"))
            name = V1_NAMES[name]
        path = KEYWORDS.get(name)
        if path is None:
            if job.builtin and name not in _NOT_REQUEST:  # KMeans(k=10): a hyperparameter of the algorithm
                b.set(("HyperParameters", name), _as_hyperparameter(ev.value(expr)), line)
            elif name not in _NOT_REQUEST:
                b.notes.append((line, f"keyword {name!r} of {job.name}() is not a training-job setting smscan reads"))
            continue
        value = ev.value(expr)
        if name == "tags":
            value = as_tags(value)
        elif name == "hyperparameters":
            value = as_hyperparameters(value)
        elif name == "instance_groups":
            value = _instance_groups(value, ev)
        b.set(path, value, line)
    if "disable_output_compression" in keywords and ev.value(keywords["disable_output_compression"][0]) is True:
        b.set(("OutputDataConfig", "CompressionType"), "NONE", keywords["disable_output_compression"][1])
    _class_rules(job, keywords, ev, b)
    for added in later:  # estimator.set_hyperparameters(epochs=3, ...) after the constructor
        for keyword in added.keywords:
            if keyword.arg is None:
                b.set(("HyperParameters",), RunTime(f"hyperparameters set from **{text_of(keyword.value)}", text_of(keyword.value)), ev.line(added.lineno))
            elif not isinstance(b.request.get("HyperParameters"), RunTime):
                b.set(("HyperParameters", keyword.arg), _as_hyperparameter(ev.value(keyword.value)), ev.line(keyword.value.lineno))
    return local


def apply_defaults(job: JobClass, b: RequestBuilder) -> None:
    b.fill_unknown(list(KEYWORDS.values()))
    for path, value in DEFAULTS:
        b.fill(path, value)
    b.fill(("OutputDataConfig", "S3OutputPath"), RunTime("the SDK's default: the session's default S3 bucket, known at run time"))
    if not b.has(("AlgorithmSpecification", "AlgorithmName")):
        if job.framework:
            b.fill(("AlgorithmSpecification", "TrainingImage"), RunTime("the image the SDK picks from framework_version and py_version"))
        elif job.builtin:
            b.fill(("AlgorithmSpecification", "TrainingImage"), RunTime("the region's image of the built-in algorithm, picked by the SDK"))


def _class_rules(job: JobClass, keywords: Keywords, ev: Evaluator, b: RequestBuilder) -> None:
    if job.single_instance:
        given = keywords.get("instance_count") or keywords.get("train_instance_count")
        if given is not None and ev.value(given[0]) not in (1, None):
            b.notes.append((given[1], f"{job.name} trains on one instance only: the SDK refuses instance_count={text_of(given[0])}"))
        b.set(("ResourceConfig", "InstanceCount"), 1, given[1] if given else b.line)
    if job.jumpstart:
        model = keywords.get("model_id")
        spec = f"the JumpStart model spec of {text_of(model[0]) if model else 'the model'}"
        for path in (
            ("AlgorithmSpecification", "TrainingImage"),
            ("ResourceConfig", "InstanceType"),
            ("EnableNetworkIsolation",),
            ("HyperParameters",),
            ("Environment",),
        ):
            b.fill(path, RunTime(spec, text_of(model[0]) if model else ""))


def _local_mode(keywords: Keywords, ev: Evaluator) -> str | None:
    for name in ("instance_type", "train_instance_type"):
        if name in keywords and ev.value(keywords[name][0]) in ("local", "local_gpu"):
            return f"instance_type={ev.value(keywords[name][0])!r} runs in local mode: no SageMaker job is created"
    session = keywords.get("sagemaker_session")
    if session is not None:
        given = session[0]
        expr: ast.expr | None = given if isinstance(given, ast.expr) else None
        if isinstance(expr, ast.Name):
            how, bound = ev.scope(expr).lookup(expr.id)
            expr = bound if how == "value" else None
        if isinstance(expr, ast.Call) and ev.qualified(expr.func) in LOCAL_SESSIONS:
            return "a LocalSession runs the job in local mode: no SageMaker job is created"
    return None


def _instance_groups(value: Any, ev: Evaluator) -> Any:
    if not isinstance(value, YList):
        return value
    groups = YList()
    groups.pos, groups.item_pos = value.pos, list(value.item_pos)
    for item in value:
        if not isinstance(item, SdkObject) or item.name != "InstanceGroup":
            return RunTime("instance groups built at run time", "instance_groups")
        group = YMap()
        group.pos, group.key_pos = ev.pos(item.call), {}
        names = ("instance_group_name", "instance_type", "instance_count")
        given = dict(zip(names, item.call.args, strict=False))  # fewer positionals than names is fine
        given.update({k: kw.value for k, kw in item.keywords().items()})
        for key in names:
            if key in given:
                pascal = "".join(word.capitalize() for word in key.split("_"))
                group[pascal], group.key_pos[pascal] = ev.value(given[key]), ev.pos(given[key])
        groups.append(group)
    return groups


def _as_hyperparameter(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value)
    return str(value) if isinstance(value, (int, float)) else value
