"""Readers for a policy's metadata fields: each checks its field and reports problems in place.

The loader calls them all, whatever fails, so one run reports every problem of a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from smscan.errors import ConfigError
from smscan.models import Severity, Status
from smscan.policy.model import Example
from smscan.policy.operators import type_name
from smscan.policy.problems import Scope
from smscan.yamlpos import Pos, YList, YMap, to_plain

REMEDIATION_KEYS = ("summary", "console", "cli", "sdk", "cloudformation", "terraform")
EXAMPLE_KINDS = {"pass": Status.PASS, "fail": Status.FAIL, "not_applicable": Status.NOT_APPLICABLE}
EXAMPLE_PARAMS = "params"  # examples.params: param values the examples are evaluated with
_PARAM = re.compile(r"^[a-z_][a-z0-9_]*$")


def severity_of(doc: YMap, scope: Scope) -> Severity | None:
    raw = doc.get("severity")
    try:
        return Severity.parse(raw) if isinstance(raw, str) else Severity.parse(repr(raw))
    except ValueError as exc:
        scope.add(doc.key_pos.get("severity", doc.pos), "severity", str(exc))
        return None


def text_of(doc: YMap, key: str, scope: Scope) -> str:
    value = doc.get(key, "")
    if not isinstance(value, str):
        scope.add(doc.key_pos[key], key, "expected a string")
        return ""
    return value.strip()


def str_list_of(doc: YMap, key: str, scope: Scope) -> list[str]:
    if key not in doc:
        return []
    value = doc[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        scope.add(doc.key_pos[key], key, "expected a list of strings")
        return []
    if key == "references":
        for i, url in enumerate(value):
            if not url.startswith(("https://", "http://")):
                scope.add(_item_pos(doc[key], i), f"{key}[{i}]", "expected an http(s) URL")
    return list(value)


def _item_pos(seq: Any, i: int) -> Pos | None:
    return seq.item_pos[i] if isinstance(seq, YList) else None


def remediation_of(doc: YMap, scope: Scope) -> dict[str, str]:
    if "remediation" not in doc:
        return {}
    value = doc["remediation"]
    if isinstance(value, str):
        return {"summary": value.strip()}
    if not isinstance(value, YMap):
        scope.add(
            doc.key_pos["remediation"], "remediation", "expected a mapping of channel -> text"
        )
        return {}
    out: dict[str, str] = {}
    for key, text in value.items():
        if key not in REMEDIATION_KEYS:
            scope.add(
                value.key_pos[key],
                f"remediation.{key}",
                f"unknown key (expected one of {', '.join(REMEDIATION_KEYS)})",
            )
        elif not isinstance(text, str):
            scope.add(value.key_pos[key], f"remediation.{key}", "expected a string")
        else:
            out[key] = text.strip()
    return out


def frameworks_of(doc: YMap, scope: Scope) -> dict[str, tuple[str, ...]]:
    if "frameworks" not in doc:
        return {}
    value = doc["frameworks"]
    if not isinstance(value, YMap):
        scope.add(
            doc.key_pos["frameworks"],
            "frameworks",
            "expected a mapping of framework -> list of control ids",
        )
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for name, controls in value.items():
        items = [controls] if isinstance(controls, str) else controls
        if not isinstance(items, list) or not all(isinstance(c, (str, int, float)) for c in items):
            scope.add(value.key_pos[name], f"frameworks.{name}", "expected a list of control ids")
            continue
        out[name] = tuple(str(c) for c in items)
    return out


def params_of(doc: YMap, scope: Scope, overrides: Mapping[str, Any]) -> dict[str, Any]:
    raw = doc.get("params", YMap())
    if not isinstance(raw, YMap):
        scope.add(doc.key_pos["params"], "params", "expected a mapping of name -> default value")
        return {}
    params: dict[str, Any] = {}
    for name, default in raw.items():
        if not _PARAM.match(name):
            scope.add(raw.key_pos[name], f"params.{name}", "expected a snake_case name")
            continue
        params[name] = to_plain(default)
    for name, value in overrides.items():
        if name in params:
            params[name] = coerce_override(
                f"{scope.name}.{name}", params[name], value
            )
    return params


def coerce_override(label: str, default: Any, value: Any) -> Any:
    """Check an override against the default's type (a list stays a list, a number a number)."""

    if default is not None and type_name(default) != type_name(value):
        raise ConfigError(
            f"param {label}: expected {type_name(default)} like the default {default!r}, got {type_name(value)}"
        )
    return to_plain(value)


def examples_of(doc: YMap, scope: Scope) -> tuple[Example, ...]:
    if "examples" not in doc:
        return ()
    raw = doc["examples"]
    if not isinstance(raw, YMap):
        scope.add(
            doc.key_pos["examples"],
            "examples",
            "expected a mapping with pass/fail/not_applicable lists",
        )
        return ()
    examples: list[Example] = []
    for kind, items in raw.items():
        if kind == EXAMPLE_PARAMS:
            continue
        if kind not in EXAMPLE_KINDS:
            scope.add(
                raw.key_pos[kind],
                f"examples.{kind}",
                "unknown kind (expected pass, fail or not_applicable)",
            )
            continue
        if not isinstance(items, YList):
            scope.add(raw.key_pos[kind], f"examples.{kind}", "expected a list of records")
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                scope.add(
                    items.item_pos[i], f"examples.{kind}[{i}]", "expected a record (a mapping)"
                )
                continue
            examples.append(Example(EXAMPLE_KINDS[kind], to_plain(item), items.item_pos[i].line))
    return tuple(examples)


def example_params_of(doc: YMap, scope: Scope, params: Mapping[str, Any]) -> dict[str, Any]:
    raw = doc.get("examples")
    if not isinstance(raw, YMap) or EXAMPLE_PARAMS not in raw:
        return {}
    values = raw[EXAMPLE_PARAMS]
    pos = raw.key_pos[EXAMPLE_PARAMS]
    if not isinstance(values, YMap):
        scope.add(pos, "examples.params", "expected a mapping of param -> value")
        return {}
    for name in values:
        if name not in params:
            scope.add(values.key_pos[name], f"examples.params.{name}", f"unknown param (declared: {', '.join(params) or 'none'})")
    return dict(to_plain(values))
