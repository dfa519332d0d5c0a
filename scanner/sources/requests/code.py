"""Which reader reads a file that is code, not a request document: one small dispatch table.

By suffix: `.tf` -> Terraform; `.py` and `.ipynb` -> the SageMaker Python SDK reader
(parsed with `ast`, never imported or run). A Terraform plan is JSON and is
recognised by content once parsed (`is_plan`); so is Terraform's JSON syntax (`.tf.json`). A file that does not mention what
its reader looks for is skipped unread, as request files are.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

from smscan.models import Problem
from smscan.sources.requests.found import ReadResult
from smscan.sources.sdk.config import SdkConfigs
from smscan.sources.sdk.reader import MARKERS as SDK_MARKERS
from smscan.sources.sdk.reader import SdkReader
from smscan.sources.terraform.plan import is_plan, read_plan
from smscan.sources.terraform.reader import MARKERS as TF_MARKERS
from smscan.sources.terraform.reader import TerraformReader
from smscan.sources.terraform.tfjson import is_tf_json, read_tf_json

CODE_SUFFIXES = (".tf", ".py", ".ipynb")
_INSTALLED = frozenset({"site-packages", "dist-packages"})


class CodeReaders:
    def __init__(self, sdk_config: str | None = None) -> None:
        self.terraform = TerraformReader()
        self.configs = SdkConfigs(sdk_config)
        self.sdk = SdkReader(self.configs)
        self.templates: set[str] = set()  # JSON read by a .tf's templatefile(): not read alone

    def prepare(self, path: str, files: Sequence[str]) -> Iterator[Problem]:
        """Before a tree is read: find the SDK config files in it (they apply to code below them).

        A file named on its own is governed by the SDK config files in its directory.
        """
        if os.path.isfile(path):
            folder = os.path.dirname(path) or "."
            beside = sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.lower().endswith((".yaml", ".yml")))
            yield from self.configs.discover([f for f in beside if os.path.isfile(f)])
        yield from self.configs.discover(files)
        self.templates |= self.terraform.templates(list(files))

    def finish(self, path: str) -> Iterator[Problem]:
        note = self.sdk.summary_note()
        if note:
            yield Problem(path, note, kind="note")

    def handles(self, file: str) -> bool:
        return file.lower().endswith(CODE_SUFFIXES) or os.path.realpath(file) in self.templates

    def wants(self, file: str, raw: bytes) -> bool:
        if os.path.realpath(file) in self.templates:
            return False  # read with the .tf file that names it
        if _INSTALLED.intersection(file.replace("\\", "/").split("/")):
            return False  # a virtualenv's installed packages (the SDK's own source among them)
        markers = TF_MARKERS if file.lower().endswith(".tf") else SDK_MARKERS
        return any(marker in raw for marker in markers)

    def read(self, file: str, raw: bytes, max_bytes: int) -> ReadResult | Problem:
        if len(raw) > max_bytes:
            return Problem(file, f"file larger than {max_bytes} bytes: not scanned")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = raw.count(b"\n", 0, err.start) + 1
            return Problem(file, f"bytes that are not UTF-8 at line {line}", line=line)
        if file.lower().endswith(".tf"):
            return self.terraform.read(file, text)
        return self.sdk.read(file, text, notebook=file.lower().endswith(".ipynb"))

    @staticmethod
    def document(file: str, doc: Any) -> ReadResult | None:
        """A parsed JSON file that is a Terraform plan or Terraform's JSON syntax, read as such."""
        if is_plan(doc):
            return read_plan(doc)
        return read_tf_json(doc) if is_tf_json(file, doc) else None

