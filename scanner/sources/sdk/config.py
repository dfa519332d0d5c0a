"""The SageMaker Python SDK's "intelligent defaults" configuration file, read for the code it governs.

The SDK loads `config.yaml` files (admin: /etc/xdg/sagemaker/config.yaml, user:
~/.config/sagemaker/config.yaml, or the files named by
SAGEMAKER_ADMIN_CONFIG_OVERRIDE / SAGEMAKER_USER_CONFIG_OVERRIDE) and fills what
the code leaves out from `SageMaker: TrainingJob:` (EnableNetworkIsolation,
EnableInterContainerTrafficEncryption, RoleArn, Environment, VpcConfig,
OutputDataConfig.KmsKeyId, ResourceConfig.VolumeKmsKeyId, Tags).

A repository can hold such a file: any YAML file in the scanned tree whose top
level has `SageMaker: TrainingJob:` is one, and applies to the Python files in its
directory and below (the nearest one wins). `--sdk-config FILE` names one for all
code. Without one, a note says that defaults on the machine that runs the code may
still change the values read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from smscan.models import Problem
from smscan.sources.sdk.request import Path, RequestBuilder
from smscan.sources.walk import read_regular
from smscan.yamlpos import YamlProblem, YList, YMap, parse_text

_TOP_LEVEL = re.compile(rb"(?m)^SageMaker\s*:")
_MAX_BYTES = 1024 * 1024
# (config path, request path, how it is applied)
_SIMPLE: list[tuple[Path, Path]] = [
    (("EnableNetworkIsolation",), ("EnableNetworkIsolation",)),
    (("EnableInterContainerTrafficEncryption",), ("EnableInterContainerTrafficEncryption",)),
    (("RoleArn",), ("RoleArn",)),
    (("Environment",), ("Environment",)),
    (("VpcConfig", "Subnets"), ("VpcConfig", "Subnets")),
    (("VpcConfig", "SecurityGroupIds"), ("VpcConfig", "SecurityGroupIds")),
    (("OutputDataConfig", "KmsKeyId"), ("OutputDataConfig", "KmsKeyId")),
    (("ResourceConfig", "VolumeKmsKeyId"), ("ResourceConfig", "VolumeKmsKeyId")),
]


@dataclass(frozen=True)
class SdkConfig:
    file: str
    training_job: YMap

    def apply(self, builder: RequestBuilder) -> list[tuple[int, str]]:
        """Fill what the code did not set; a note per value says which file set it."""
        notes = []
        for config_path, request_path in _SIMPLE:
            value, line = _get(self.training_job, config_path)
            if value is not None and builder.fill(request_path, value):
                notes.append((builder.line, f"{'.'.join(request_path)} is set by the SDK config {self.file}:{line}"))
        tags = self.training_job.get("Tags")
        if isinstance(tags, YList):
            added = builder.add_tags([t for t in tags if isinstance(t, YMap)], builder.line)
            if added:
                line = self.training_job.key_pos["Tags"].line
                notes.append((builder.line, f"tags {', '.join(added)} are added by the SDK config {self.file}:{line}"))
        return notes


def _get(doc: YMap, path: Path) -> tuple[Any, int]:
    node: Any = doc
    line = doc.pos.line
    for key in path:
        if not isinstance(node, YMap) or key not in node:
            return None, line
        line = node.key_pos[key].line
        node = node[key]
    return node, line


def load_config(file: str) -> SdkConfig | Problem | None:
    """The file's SageMaker.TrainingJob section; None when the file is not an SDK config."""
    try:
        raw = read_regular(file, _MAX_BYTES + 1)
    except OSError as err:
        return Problem(file, f"cannot read SDK config: {err.strerror or 'I/O error'}")
    if not _TOP_LEVEL.search(raw) or b"TrainingJob" not in raw:
        return None  # not an SDK config (a CloudFormation template may mention SageMaker too)
    if len(raw) > _MAX_BYTES:
        return Problem(file, f"SDK config larger than {_MAX_BYTES} bytes: not read")
    try:
        doc = parse_text(raw.decode("utf-8-sig"))
    except (YamlProblem, UnicodeDecodeError, ValueError) as err:
        line = getattr(getattr(err, "pos", None), "line", None)
        return Problem(file, f"invalid SDK config: {err}", line=line)
    except yaml.YAMLError as err:  # a tag such as !Ref that safe YAML cannot build
        return Problem(file, f"invalid SDK config: {getattr(err, 'problem', None) or 'cannot be read'}")
    sagemaker = doc.get("SageMaker") if isinstance(doc, YMap) else None
    job = sagemaker.get("TrainingJob") if isinstance(sagemaker, YMap) else None
    if not isinstance(job, YMap):
        return None
    return SdkConfig(file, job)


class SdkConfigs:
    def __init__(self, named: str | None = None) -> None:
        self.named = named
        self._named: SdkConfig | None = None
        self.by_folder: dict[str, SdkConfig] = {}
        self.used = False  # an SDK job was read with a config
        self.unconfigured = False  # an SDK job was read with none

    def discover(self, files: Sequence[str]) -> Iterator[Problem]:
        if self.named and self._named is None:
            loaded = load_config(self.named)
            if isinstance(loaded, Problem):
                yield loaded
            elif loaded is None:
                yield Problem(self.named, "--sdk-config: no SageMaker: TrainingJob: section in this file")
            else:
                self._named = loaded
        for file in files:
            if file.lower().endswith((".yaml", ".yml")):
                loaded = load_config(file)
                if isinstance(loaded, Problem):
                    yield loaded
                elif loaded is not None:
                    self.by_folder[os.path.dirname(os.path.abspath(file))] = loaded

    def for_code(self, file: str) -> SdkConfig | None:
        if self._named is not None:
            return self._named
        folder = os.path.dirname(os.path.abspath(file))
        while True:
            if folder in self.by_folder:
                return self.by_folder[folder]
            parent = os.path.dirname(folder)
            if parent == folder:
                return None
            folder = parent
