"""`aws_sagemaker_training_job` arguments -> a CreateTrainingJob request tree.

The argument and block names are the AWS provider's (website/docs/r/
sagemaker_training_job.html.markdown in hashicorp/terraform-provider-aws): snake_case
versions of the API's PascalCase keys, blocks for nested structures, maps for
`environment`, `hyper_parameters` and `tags`. The provider documents no default for
any request argument (only `delete_vpc_enis_on_destroy`, which is not part of the
request), so an omitted argument stays omitted, as the API then applies its own.

The same mapping reads a `.tf` resource body and a plan's `change.after`: both are
an object whose blocks are lists of objects (see values.block_to_obj).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from smscan.sources.terraform.hcl import Node, Obj, Tup
from smscan.yamlpos import Pos, YList, YMap

RESOURCE = "aws_sagemaker_training_job"

_TOP = {
    "training_job_name": "TrainingJobName",
    "role_arn": "RoleArn",
    "enable_network_isolation": "EnableNetworkIsolation",
    "enable_inter_container_traffic_encryption": "EnableInterContainerTrafficEncryption",
    "enable_managed_spot_training": "EnableManagedSpotTraining",
    "environment": "Environment",
    "hyper_parameters": "HyperParameters",
}
_BLOCKS = frozenset({
    "algorithm_specification", "checkpoint_config", "debug_hook_config", "experiment_config",
    "infra_check_config", "mlflow_config", "model_package_config", "output_data_config",
    "profiler_config", "remote_debug_config", "resource_config", "retry_strategy",
    "serverless_job_config", "session_chaining_config", "stopping_condition",
    "tensor_board_output_config", "vpc_config",
})  # fmt: skip
_LIST_BLOCKS = frozenset({
    "input_data_config", "debug_rule_configurations", "profiler_rule_configurations",
    "metric_definitions", "instance_groups", "collection_configurations",
    "placement_specifications",
})  # fmt: skip
# Maps whose keys are the user's own (environment variable names, hyperparameters ...).
_MAPS = frozenset({
    "environment", "hyper_parameters", "rule_parameters", "hook_parameters",
    "collection_parameters", "profiling_parameters",
})  # fmt: skip
# Terraform's own arguments and provider-only ones: not part of the request.
_META = frozenset({
    "count", "for_each", "depends_on", "provider", "lifecycle", "timeouts", "region",
    "delete_vpc_enis_on_destroy", "provisioner", "connection", "tags_all", "id", "arn",
})  # fmt: skip
_WORDS = {"gb": "GB", "sagemaker": "SageMaker", "s3": "S3", "kms": "Kms", "mlflow": "Mlflow"}


def pascal(name: str) -> str:
    """snake_case -> the API's PascalCase (`volume_size_in_gb` -> `VolumeSizeInGB`)."""
    return "".join(_WORDS.get(word, word.capitalize()) for word in name.split("_"))


@dataclass
class Mapped:
    request: YMap
    notes: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


Resolve = Callable[[Node], Any]


def training_job(body: Obj, resolve: Resolve, default_tags: Obj | None = None) -> Mapped:
    """The request; `default_tags` are the provider's (`default_tags { tags = {...} }`), which
    the provider sends with the resource's own (its `tags_all`); the resource's win.

    A plan's `tags_all`, when known, already is that union and is read instead of `tags`.
    """
    request = YMap()
    request.pos, request.key_pos = Pos(body.line, 1), {}
    out = Mapped(request)
    tags_all = body.get("tags_all")
    for name, value, line in body.items:
        if name == "tags_all" and isinstance(tags_all, Obj):
            value, name = tags_all, "tags"
        elif name == "tags" and isinstance(tags_all, Obj):
            continue
        if name in _META:
            continue
        if name == "tags":
            tags = _tags(value, resolve, out, line)
            if tags is not None:
                _put(request, "Tags", tags, line)
        elif name in _TOP:
            _put(request, _TOP[name], _convert(name, value, resolve), line)
        elif name in _BLOCKS or name in _LIST_BLOCKS:
            _put(request, pascal(name), _convert(name, value, resolve), line)
        else:
            out.notes.append((line, f"argument {name!r} is not in the {RESOURCE} schema: not read"))
    if default_tags is not None:
        _default_tags(request, default_tags, resolve, body.line)
    return out


def _default_tags(request: YMap, defaults: Obj, resolve: Resolve, line: int) -> None:
    own = request.get("Tags")
    if own is not None and not isinstance(own, YList):
        return  # the resource's tags are run time: so is the union
    tags = own if isinstance(own, YList) else YList()
    if own is None:
        tags.pos, tags.item_pos = Pos(line, 1), []
    have = {t.get("Key") for t in tags if isinstance(t, dict)}
    for key, value, _ in defaults.items:
        if key not in have:  # reported at the resource: the provider block may be in another file
            tag = YMap(Key=key, Value=resolve(value))
            tag.pos, tag.key_pos = Pos(line, 1), {"Key": Pos(line, 1), "Value": Pos(line, 1)}
            tags.append(tag)
            tags.item_pos.append(Pos(line, 1))
    if tags and own is None:
        _put(request, "Tags", tags, line)


def _put(into: YMap, key: str, value: Any, line: int) -> None:
    if value is None:  # `null`, or an empty block list: the argument is not set
        return
    into[key] = value
    into.key_pos[key] = Pos(line, 1)


def _convert(name: str, value: Node, resolve: Resolve) -> Any:
    """One argument's value, blocks and nested keys in PascalCase, maps kept verbatim."""
    if isinstance(value, Tup) and name not in _LIST_BLOCKS and value.items and all(
        isinstance(item, Obj) for item in value.items
    ):
        value = value.items[0]  # a single block (HCL) or a one-item list (plan JSON)
    elif isinstance(value, Tup) and not value.items and (name in _BLOCKS or name in _LIST_BLOCKS):
        return None
    if name in _MAPS:
        return resolve(value)
    if isinstance(value, Obj):
        out = YMap()
        out.pos, out.key_pos = Pos(value.line, 1), {}
        for key, item, line in value.items:
            _put(out, pascal(key), _convert(key, item, resolve), line)
        return out
    if isinstance(value, Tup) and name in _LIST_BLOCKS:
        items = YList(_convert(f"{name}[]", item, resolve) for item in value.items)
        items.pos, items.item_pos = Pos(value.line, 1), [Pos(i.line, 1) for i in value.items]
        return items
    return resolve(value)


def _tags(value: Node, resolve: Resolve, out: Mapped, line: int) -> Any:
    """The provider's tags map as the API's [{Key, Value}] list, each tag at its own line."""
    if isinstance(value, Tup):
        out.notes.append((line, "tags is a list; the provider expects a map: not read"))
        return None
    resolved = resolve(value)
    if not isinstance(resolved, YMap):
        return resolved  # a variable, a merge(...): run time (or null: no tags)
    tags = YList()
    tags.pos, tags.item_pos = resolved.pos, []
    for key, tag_value in resolved.items():
        item = YMap(Key=key, Value=tag_value)
        pos = resolved.key_pos[key]
        item.pos, item.key_pos = pos, {"Key": pos, "Value": pos}
        tags.append(item)
        tags.item_pos.append(pos)
    return tags

