"""A CreateTrainingJob request tree built key by key from SDK code, in the SDK's precedence order.

The SDK resolves each value in this order (sagemaker 2.257.7
`sagemaker/utils.py:resolve_value_from_config`, used by `EstimatorBase.__init__`
and `Session._get_train_request`; sagemaker-train 1.27.0 does the same through
`SageMakerConfig.resolve_value_from_config`):

1. the value the code passes (even one known only at run time);
2. the SDK config file's `SageMaker.TrainingJob` value (nested objects are filled
   key by key; config tags are appended when the code has no tag of that key);
3. the SDK's own default for that argument.

`RequestBuilder.fill` sets a value only where the code set none, so config and defaults
fill what the code leaves out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from smscan.sources.requests.runtime import RunTime
from smscan.yamlpos import Pos, YList, YMap, to_plain

Path = tuple[str, ...]


@dataclass
class RequestBuilder:
    line: int  # the constructor's line: where defaults and config values are reported
    request: YMap = field(default_factory=YMap)
    notes: list[tuple[int, str]] = field(default_factory=list)
    unknown_kwargs: str = ""  # a `**expr` whose keys are not known: any keyword may be set

    def __post_init__(self) -> None:
        self.request.pos, self.request.key_pos = Pos(self.line, 1), {}

    def set(self, path: Path, value: Any, line: int) -> None:
        """Set a value the code passes. None means "not passed" (the SDK treats it so)."""
        if value is None:
            return
        node = self.request
        for key in path[:-1]:
            child = node.get(key)
            if isinstance(child, RunTime):
                return  # the whole object is known only at run time: so is what is added to it
            if not isinstance(child, YMap):
                child = YMap()
                child.pos, child.key_pos = Pos(line, 1), {}
                node[key], node.key_pos[key] = child, Pos(line, 1)
            node = child
        node[path[-1]], node.key_pos[path[-1]] = value, Pos(line, 1)

    def has(self, path: Path) -> bool:
        node: Any = self.request
        for key in path:
            if not isinstance(node, YMap) or key not in node:
                return False
            node = node[key]
        return True

    def fill(self, path: Path, value: Any, line: int | None = None) -> bool:
        """Set a value only if the code did not (a config value or an SDK default).

        True when `value` was used; with an unknown `**kwargs` the setting is unknown instead.
        """
        if self.has(path) or _prefix_set(self, path):
            return False
        if self.unknown_kwargs:
            self.set(path, RunTime(f"may be set by **{self.unknown_kwargs}", self.unknown_kwargs), line or self.line)
            return False
        self.set(path, value, line or self.line)
        return True

    def fill_unknown(self, paths: list[Path]) -> None:
        """With `**expr` unknown, every setting it could hold is unknown too (never a default)."""
        if not self.unknown_kwargs:
            return
        unknown = RunTime(f"may be set by **{self.unknown_kwargs}", self.unknown_kwargs)
        for path in paths:
            if path[0] not in self.request:  # the whole object: one note, not one per key
                self.set(path[:1], unknown, self.line)
            elif not self.has(path) and not _prefix_set(self, path):
                self.set(path, unknown, self.line)

    def add_tags(self, tags: list[YMap], line: int) -> list[str]:
        """Config tags whose key the code does not set; returns the keys added."""
        current = self.request.get("Tags")
        if isinstance(current, RunTime):
            return []
        if not isinstance(current, YList):
            current = YList()
            current.pos, current.item_pos = Pos(line, 1), []
            self.request["Tags"], self.request.key_pos["Tags"] = current, Pos(line, 1)
        have = {t.get("Key") for t in current if isinstance(t, dict)}
        added = []
        for tag in tags:
            if isinstance(tag, dict) and tag.get("Key") not in have:
                current.append(tag)
                current.item_pos.append(Pos(line, 1))
                added.append(str(tag.get("Key")))
        return added


def _prefix_set(builder: RequestBuilder, path: Path) -> bool:
    """True when a parent of `path` holds a run-time value: nothing inside it is known."""
    node: Any = builder.request
    for key in path[:-1]:
        if not isinstance(node, YMap) or key not in node:
            return False
        node = node[key]
        if isinstance(node, RunTime):
            return True
    return False


def as_tags(value: Any) -> Any:
    """`tags=` as the API's [{Key, Value}] list: the SDK's format_tags accepts a dict too."""
    if isinstance(value, YMap) and not {"Key", "Value"} & set(value):
        tags = YList()
        tags.pos, tags.item_pos = value.pos, []
        for key, item in value.items():
            tag = YMap(Key=key, Value=item)
            tag.pos = value.key_pos[key]
            tag.key_pos = {"Key": tag.pos, "Value": tag.pos}
            tags.append(tag)
            tags.item_pos.append(tag.pos)
        return tags
    if isinstance(value, YList):
        for index, tag in enumerate(value):
            if isinstance(tag, YMap) and "key" in tag and "Key" not in tag:  # v3 dicts / Tag(key=, value=)
                fixed = YMap(Key=tag.get("key"), Value=tag.get("value"))
                fixed.pos = tag.pos
                fixed.key_pos = {"Key": tag.key_pos.get("key", tag.pos), "Value": tag.key_pos.get("value", tag.pos)}
                value[index] = fixed
    return value


def as_hyperparameters(value: Any) -> Any:
    """Hyperparameters as the SDK sends them: a nested value is JSON text (the SDK
    json-encodes it), and one that holds a run-time part is run time as a whole."""
    if not isinstance(value, YMap):
        return value
    for key, item in list(value.items()):
        if isinstance(item, (YMap, YList)):
            value[key] = RunTime(f"hyperparameter {key} built at run time", key) if _has_runtime(item) else json.dumps(to_plain(item))
    return value


def _has_runtime(value: Any) -> bool:
    if isinstance(value, RunTime):
        return True
    if isinstance(value, dict):
        return any(_has_runtime(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_runtime(v) for v in value)
    return False
