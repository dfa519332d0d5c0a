"""Turn a YAML condition into a Condition tree, reporting every problem with its position."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smscan.policy.conditions import AllOf, AnyOf, Condition, Leaf, Not
from smscan.policy.operators import (
    FLAG_OPERATORS,
    OPERATOR_NAMES,
    VALUE_OPERATORS,
    ArgumentError,
)
from smscan.policy.paths import CompiledPath, PathSyntaxError, compile_path
from smscan.policy.problems import Scope
from smscan.record.schema import FIELDS_BY_NAME
from smscan.yamlpos import Pos, YList, YMap, to_plain

_LEAF_KEYS = {"path", "param", "match"}


def _key_pos(node: Any, key: str) -> Pos | None:
    if isinstance(node, YMap):
        return node.key_pos.get(key, node.pos)
    return getattr(node, "pos", None)


def build_condition(
    node: Any, fld: str, scope: Scope, params: Mapping[str, Any], pos: Pos | None
) -> Condition | None:
    """Compile `node`; on any problem, record it in `scope` and return None."""
    if not isinstance(node, YMap):
        scope.add(pos, fld, "expected a mapping with path+operator, or all/any/not")
        return None
    combinators = [k for k in ("all", "any", "not") if k in node]
    if combinators:
        extra = sorted(set(node) - {combinators[0]})
        if len(combinators) > 1 or extra:
            scope.add(
                node.pos,
                fld,
                f"a {combinators[0]} condition takes no other keys, got {extra or combinators[1:]}",
            )
            return None
        key = combinators[0]
        sub = node[key]
        if key == "not":
            inner = build_condition(sub, f"{fld}.not", scope, params, node.key_pos[key])
            return Not(inner) if inner is not None else None
        if not isinstance(sub, YList) or not sub:
            scope.add(node.key_pos[key], f"{fld}.{key}", "expected a non-empty list of conditions")
            return None
        parts = [
            build_condition(item, f"{fld}.{key}[{i}]", scope, params, sub.item_pos[i])
            for i, item in enumerate(sub)
        ]
        if any(p is None for p in parts):
            return None
        built = tuple(p for p in parts if p is not None)
        return AllOf(built) if key == "all" else AnyOf(built)
    return _build_leaf(node, fld, scope, params)


def _check_path(text: Any, fld: str, scope: Scope, pos: Pos | None) -> CompiledPath | None:
    if not isinstance(text, str):
        scope.add(pos, fld, "expected a JSONPath string such as $.vpc_config.Subnets")
        return None
    try:
        path = compile_path(text)
    except PathSyntaxError as exc:
        scope.add(pos, fld, f"invalid JSONPath {text!r}: {exc}")
        return None
    if path.top_field is not None and path.top_field not in FIELDS_BY_NAME:
        scope.add(
            pos,
            fld,
            f"unknown record field {path.top_field!r} (expected a seed-schema field such as enable_network_isolation)",
        )
        return None
    return path


def _build_leaf(node: YMap, fld: str, scope: Scope, params: Mapping[str, Any]) -> Leaf | None:
    ops = [k for k in node if k not in _LEAF_KEYS]
    unknown = [k for k in ops if k not in OPERATOR_NAMES]
    for key in unknown:
        scope.add(
            node.key_pos[key],
            f"{fld}.{key}",
            f"unknown operator {key!r} (expected one of {', '.join(OPERATOR_NAMES)})",
        )
    if unknown:
        return None
    if len(ops) != 1:
        scope.add(
            node.pos,
            fld,
            f"expected exactly one operator, got {len(ops)}"
            + (f" ({', '.join(ops)})" if ops else ""),
        )
        return None
    op = ops[0]
    if ("path" in node) == ("param" in node):
        scope.add(node.pos, fld, "expected exactly one of path or param")
        return None
    subject = None
    param_name, param_value = None, None
    if "path" in node:
        subject = _check_path(node["path"], f"{fld}.path", scope, node.key_pos["path"])
        if subject is None:
            return None
    else:
        param_name = node["param"]
        if not isinstance(param_name, str) or param_name not in params:
            scope.add(
                node.key_pos["param"],
                f"{fld}.param",
                f"unknown param {param_name!r} (declared: {', '.join(params) or 'none'})",
            )
            return None
        param_value = params[param_name]
    match = node.get("match", "all")
    if match not in ("all", "any"):
        scope.add(node.key_pos.get("match"), f"{fld}.match", "expected all or any")
        return None
    raw = node[op]
    op_pos = node.key_pos[op]
    if op in FLAG_OPERATORS:
        if raw is not True:
            scope.add(
                op_pos,
                f"{fld}.{op}",
                f"expected true (write the opposite operator instead of {op}: false)",
            )
            return None
        return Leaf(op, subject, param_name, param_value, None, True, None, match == "any")
    return _value_leaf(
        node, op, raw, op_pos, fld, scope, params, subject, param_name, param_value, match == "any"
    )


def _value_leaf(
    node: YMap,
    op: str,
    raw: Any,
    op_pos: Pos,
    fld: str,
    scope: Scope,
    params: Mapping[str, Any],
    subject: CompiledPath | None,
    param_name: str | None,
    param_value: Any,
    match_any: bool,
) -> Leaf | None:
    operator = VALUE_OPERATORS[op]
    arg_path = None
    value: Any = raw
    if isinstance(raw, YMap) and set(raw) == {"param"}:
        name = raw["param"]
        if not isinstance(name, str) or name not in params:
            scope.add(
                op_pos,
                f"{fld}.{op}.param",
                f"unknown param {name!r} (declared: {', '.join(params) or 'none'})",
            )
            return None
        value = params[name]
    elif isinstance(raw, YMap) and set(raw) == {"path"}:
        arg_path = _check_path(raw["path"], f"{fld}.{op}.path", scope, op_pos)
        if arg_path is None:
            return None
        if op in ("matches", "not_matches"):
            scope.add(
                op_pos,
                f"{fld}.{op}",
                "a regex cannot come from the record (expected a literal or a param)",
            )
            return None
        return Leaf(op, subject, param_name, param_value, None, None, arg_path, match_any)
    try:
        prepared = operator.prepare(to_plain(value))
    except ArgumentError as exc:
        scope.add(op_pos, f"{fld}.{op}", f"{exc} (expected {operator.expects})")
        return None
    return Leaf(op, subject, param_name, param_value, prepared, to_plain(value), None, match_any)
