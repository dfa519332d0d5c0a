"""The category of a SARIF run: what GitHub keeps apart when several files are uploaded.

`runAutomationDetails.id` is "smscan/<category>/". GitHub replaces the alerts of a category
with each upload, so the category must name *what* was scanned (stable across scans of
the same scope) and differ between shards scanned side by side (one per account, say).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from smscan.models import ScanResult
from smscan.reports.interface import RenderOptions

MAX_CATEGORY = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def category(result: ScanResult, options: RenderOptions) -> str:
    """The runAutomationDetails category: --sarif-category, else the scan's scope."""
    if options.sarif_category:
        chosen = _sanitize(options.sarif_category)
        if chosen:
            return chosen
    scope = result.meta.scope
    accounts = _part(_names(scope.get("accounts")), "accounts")
    regions = (
        "all-regions"
        if scope.get("all_regions")
        else _part(_names(scope.get("regions")), "regions")
    )
    shard = scope.get("shard")  # "K/N": shards of one scope must not replace each other
    shard_part = "shard-" + str(shard).replace("/", "of") if shard else ""
    derived = ".".join(p for p in (accounts, regions, shard_part) if p)
    if not derived:
        inputs = [i.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] for i in result.meta.inputs]
        derived = _part(sorted({i for i in inputs if i}), "inputs")
    return _sanitize(derived) or "default"


def _sanitize(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-.")[:MAX_CATEGORY].strip("-.")


def _names(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return sorted(str(k) for k in value)
    if isinstance(value, Iterable):
        return sorted({str(v) for v in value if v})
    return [str(value)]


def _part(names: list[str], what: str) -> str:
    """Up to three names spelled out; more become a count plus a hash of the set."""
    if len(names) <= 3:
        return "_".join(_sanitize(n) for n in names)
    digest = hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()[:8]
    return f"{len(names)}-{what}-{digest}"
