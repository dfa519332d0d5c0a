"""A policy's `prevent:` section: how it maps onto IAM request-context conditions, checked at load.

    prevent:
      deny_when:                      # each entry is one Deny statement (entries are OR-ed)
        - Bool: {sagemaker:NetworkIsolation: false}      # operators in one entry are AND-ed
        - Null: {sagemaker:NetworkIsolation: true}
        - for_each: {param: required_tags}               # one statement per item
          StringNotLike: {aws:RequestTag/${TagKey}: "?*"}
      actions: [CreateTrainingJob]    # optional: narrow the actions derived from the keys
      stricter_than_detection: why    # required when a not_applicable example is denied
    prevent:
      detect_only: why no condition key can express the policy

Values are literals or `{param: NAME}`; params are resolved here (after overrides), so a
guardrail always says what the detective check says. A param that resolves to an empty list
leaves its statement out (the policy is NOT_APPLICABLE then, too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smscan.guardrails.keys import ACTIONS, TAG_PLACEHOLDER, lookup
from smscan.guardrails.operators import fits, parse_operator
from smscan.policy.problems import Scope
from smscan.yamlpos import Pos, YList, YMap

KEYS = ("deny_when", "actions", "stricter_than_detection", "detect_only")
FOR_EACH = "for_each"


@dataclass(frozen=True)
class IamCondition:
    operator: str
    key: str
    values: tuple[str, ...]  # as IAM policy JSON writes them: "true", "86400", "subnet-0a1b"


@dataclass(frozen=True)
class DenyRule:
    conditions: tuple[IamCondition, ...]
    actions: tuple[str, ...]
    label: str  # the for_each item ("" otherwise): tells statements of one entry apart
    line: int
    empty_param: str | None = None  # the param that resolved to []: no statement is generated


@dataclass(frozen=True)
class Prevention:
    rules: tuple[DenyRule, ...] = ()
    detect_only: str | None = None
    stricter: str | None = None

    @property
    def preventable(self) -> bool:
        return self.detect_only is None


def prevent_of(doc: YMap, scope: Scope, params: Mapping[str, Any]) -> Prevention | None:
    if "prevent" not in doc:
        return None
    raw, pos = doc["prevent"], doc.key_pos["prevent"]
    if not isinstance(raw, YMap):
        scope.add(pos, "prevent", "expected a mapping with deny_when (or detect_only)")
        return None
    for key in raw:
        if key not in KEYS:
            scope.add(raw.key_pos[key], f"prevent.{key}", f"unknown key (expected one of {', '.join(KEYS)})")
    if "detect_only" in raw:
        return _detect_only(raw, scope)
    if "deny_when" not in raw:
        scope.add(pos, "prevent", "expected deny_when (a list of conditions) or detect_only (a reason)")
        return None
    actions = _actions(raw, scope)
    stricter = _text(raw, "stricter_than_detection", scope)
    entries = raw["deny_when"]
    if not isinstance(entries, YList) or not entries:
        scope.add(raw.key_pos["deny_when"], "prevent.deny_when", "expected a non-empty list of condition blocks")
        return None
    rules: list[DenyRule] = []
    for i, entry in enumerate(entries):
        rules.extend(_rules(entry, f"prevent.deny_when[{i}]", entries.item_pos[i], actions, params, scope))
    return Prevention(rules=tuple(rules), stricter=stricter or None)


def _detect_only(raw: YMap, scope: Scope) -> Prevention | None:
    for other in ("deny_when", "actions", "stricter_than_detection"):
        if other in raw:
            scope.add(raw.key_pos[other], f"prevent.{other}", "not allowed with detect_only")
    reason = _text(raw, "detect_only", scope)
    if not reason:
        scope.add(raw.key_pos["detect_only"], "prevent.detect_only", "expected the reason the policy cannot be prevented")
        return None
    return Prevention(detect_only=reason)


def _text(raw: YMap, key: str, scope: Scope) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        scope.add(raw.key_pos[key], f"prevent.{key}", "expected a string")
        return ""
    return " ".join(value.split())


def _actions(raw: YMap, scope: Scope) -> tuple[str, ...] | None:
    if "actions" not in raw:
        return None
    value = raw["actions"]
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        scope.add(raw.key_pos["actions"], "prevent.actions", "expected a list of action names")
        return None
    full = tuple(n if n.startswith("sagemaker:") else f"sagemaker:{n}" for n in names)
    for name in full:
        if name not in ACTIONS:
            scope.add(raw.key_pos["actions"], "prevent.actions", f"unknown action {name!r} (expected {', '.join(ACTIONS)})")
    return tuple(a for a in ACTIONS if a in full)


def _rules(
    entry: Any, where: str, pos: Pos, narrow: tuple[str, ...] | None, params: Mapping[str, Any], scope: Scope
) -> list[DenyRule]:
    if not isinstance(entry, YMap) or not entry:
        scope.add(pos, where, "expected a mapping of condition operator -> {key: value}")
        return []
    items: list[Any] = [""]
    if FOR_EACH in entry:
        items = _param_or_literal(entry[FOR_EACH], f"{where}.{FOR_EACH}", entry.key_pos[FOR_EACH], params, scope)
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            scope.add(entry.key_pos[FOR_EACH], f"{where}.{FOR_EACH}", "expected a list of non-empty strings")
            return []
        if not any(TAG_PLACEHOLDER in key for block in entry.values() if isinstance(block, dict) for key in block):
            scope.add(entry.key_pos[FOR_EACH], f"{where}.{FOR_EACH}", f"no condition key uses {TAG_PLACEHOLDER}")
            return []
        if not items:
            return [DenyRule((), (), "", pos.line, empty_param=_param_name(entry[FOR_EACH]) or FOR_EACH)]
    rules = []
    for item in items:
        rule = _rule(entry, where, pos, item, narrow, params, scope)
        if rule is None:
            break  # the entry's problems are the same for every item: report them once
        rules.append(rule)
    return rules


def _rule(
    entry: YMap, where: str, pos: Pos, item: str, narrow: tuple[str, ...] | None,
    params: Mapping[str, Any], scope: Scope,
) -> DenyRule | None:
    conditions: list[IamCondition] = []
    actions = set(narrow or ACTIONS)
    empty: str | None = None
    ok = True
    for op_text, block in entry.items():
        if op_text == FOR_EACH:
            continue
        field, op_pos = f"{where}.{op_text}", entry.key_pos[op_text]
        try:
            operator = parse_operator(op_text)
        except ValueError as exc:
            scope.add(op_pos, field, str(exc))
            ok = False
            continue
        if not isinstance(block, YMap) or not block:
            scope.add(op_pos, field, "expected a mapping of condition key -> value(s)")
            ok = False
            continue
        for key_text, raw_value in block.items():
            key_pos, key_field = block.key_pos[key_text], f"{field}.{key_text}"
            if TAG_PLACEHOLDER in key_text and not item:
                scope.add(key_pos, key_field, f"{TAG_PLACEHOLDER} needs a for_each list")
                ok = False
                continue
            name = key_text.replace(TAG_PLACEHOLDER, item)
            key = lookup(name)
            if key is None:
                scope.add(key_pos, key_field, "unknown condition key for training jobs (see docs/GUARDRAILS.md for the keys)")
                ok = False
                continue
            why = fits(operator, key)
            if why:
                scope.add(key_pos, key_field, why)
                ok = False
                continue
            value = _param_or_literal(raw_value, key_field, key_pos, params, scope)
            values = _iam_values(value, operator.family, key_field, key_pos, scope)
            if values is None:
                ok = False
                continue
            if not values:
                empty = _param_name(raw_value) or key_text
            actions &= set(key.actions)
            conditions.append(IamCondition(op_text, name, values))
    if not ok:
        return None
    if not actions:
        scope.add(pos, where, "no action carries all of these condition keys together")
        return None
    return DenyRule(tuple(conditions), tuple(a for a in ACTIONS if a in actions), item, pos.line, empty)


def _param_name(raw: Any) -> str | None:
    return raw["param"] if isinstance(raw, dict) and isinstance(raw.get("param"), str) else None


def _param_or_literal(raw: Any, field: str, pos: Pos, params: Mapping[str, Any], scope: Scope) -> Any:
    if isinstance(raw, dict):
        name = _param_name(raw)
        if name is None or len(raw) != 1:
            scope.add(pos, field, "expected a value, a list of values or {param: NAME}")
            return None
        if name not in params:
            scope.add(pos, field, f"unknown param {name!r} (declared: {', '.join(params) or 'none'})")
            return None
        return params[name]
    return raw


def _iam_values(value: Any, family: str, field: str, pos: Pos, scope: Scope) -> tuple[str, ...] | None:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        text = _iam_value(item, family)
        if text is None:
            expected = {"Bool": "true or false", "Null": "true or false", "Numeric": "a number"}.get(family, "a string")
            scope.add(pos, field, f"expected {expected}, got {item!r}")
            return None
        out.append(text)
    return tuple(out)


def _iam_value(item: Any, family: str) -> str | None:
    if family in ("Bool", "Null"):
        if isinstance(item, bool):
            return "true" if item else "false"
        return item if item in ("true", "false") else None
    if family == "Numeric":
        if isinstance(item, bool) or not isinstance(item, (int, float, str)):
            return None
        try:
            float(item)
        except ValueError:
            return None
        return str(item)
    if isinstance(item, str) and item and "${" not in item:
        # Policy variables (${aws:username} ...) are left out: the evaluator cannot resolve them.
        return item
    return None
