"""The baseline the issue measures smscan's engine against: the straightforward way.

Each policy's JSONPath expressions are parsed once with jsonpath-ng (the extended parser,
as smscan's own fallback uses), then every record is judged policy by policy, leaf by leaf:
`expr.find(record)` for the values, plain Python comparisons for the operator. No path
compilation to lookups, no sharing of path results between policies, no fast paths.
Secret detection is the same function smscan uses (scanner.secrets.find_secrets): the
baseline is about evaluation, not about a different detector.

It reads the policies smscan's loader compiled (loading is not what is measured) and
reimplements the documented semantics (docs/POLICIES.md) so that it gives the same status
for every (policy, record): tests/test_engine_exactness.py checks that it does. A record
with values known only at run time is judged three-valued (bench/baseline_kleene.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonpath_ng.ext import parse

from bench import baseline_kleene as kleene
from smscan.models import Status
from smscan.policy.conditions import AllOf, AnyOf, Condition, Leaf, Not
from smscan.policy.model import Policy
from smscan.secrets import find_secrets


class Mismatch(Exception):
    """A record value the operator cannot judge: the status is ERROR."""


@dataclass
class BaseLeaf:
    op: str
    expr: Any  # a parsed jsonpath-ng expression, or None for a param leaf
    key: str | None
    param_value: Any
    arg: Any
    ref: Any  # parsed expression of a {path: P} argument
    match_any: bool
    top: str | None = None  # the record field the path reads (None: any)
    ref_top: str | None = None


@dataclass
class BaseNode:
    kind: str  # "all" | "any" | "not" | "leaf"
    parts: list[Any]


def _convert(condition: Condition) -> BaseNode:
    if isinstance(condition, AllOf):
        return BaseNode("all", [_convert(p) for p in condition.parts])
    if isinstance(condition, AnyOf):
        return BaseNode("any", [_convert(p) for p in condition.parts])
    if isinstance(condition, Not):
        return BaseNode("not", [_convert(condition.part)])
    assert isinstance(condition, Leaf)
    return BaseNode("leaf", [BaseLeaf(
        op=condition.op,
        expr=parse(condition.subject.text) if condition.subject else None,
        key=condition.key_hint,
        param_value=condition.param_value,
        arg=condition.arg,
        ref=parse(condition.arg_path.text) if condition.arg_path else None,
        match_any=condition.match_any,
        top=condition.subject.top_field if condition.subject else None,
        ref_top=condition.arg_path.top_field if condition.arg_path else None,
    )])


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_empty(v: Any) -> bool:
    return v is None or (isinstance(v, (str, list, dict)) and len(v) == 0)


def _equals(v: Any, arg: Any) -> bool:
    if isinstance(arg, bool):
        return type(v) is bool and v == arg
    return bool(v == arg)


def _test(op: str, v: Any, arg: Any) -> bool:
    if op == "equals":
        return _equals(v, arg)
    if op == "not_equals":
        return not _equals(v, arg)
    if op in ("in", "not_in"):
        found = any(_equals(v, item) for item in arg)
        return found if op == "in" else not found
    if op in ("matches", "not_matches"):
        if not isinstance(v, str):
            raise Mismatch(op)
        hit = arg.search(v) is not None
        return hit if op == "matches" else not hit
    if op == "contains":
        if isinstance(v, str):
            if not isinstance(arg, str):
                raise Mismatch(op)
            return arg in v
        if isinstance(v, list):
            return any(_equals(item, arg) for item in v)
        if isinstance(v, dict):
            return arg in v
        raise Mismatch(op)
    if op == "starts_with":
        if not isinstance(v, str):
            raise Mismatch(op)
        return v.startswith(tuple(arg))
    if op == "has_keys":
        if not isinstance(v, dict):
            raise Mismatch(op)
        return all(not _is_empty(v.get(k)) for k in arg)
    if op in ("gt", "ge", "lt", "le"):
        if not _is_number(v):
            raise Mismatch(op)
        x, a = float(v), float(arg)
        return {"gt": x > a, "ge": x >= a, "lt": x < a, "le": x <= a}[op]
    if op in ("length_ge", "length_le"):
        if not isinstance(v, (str, list, dict)):
            raise Mismatch(op)
        return len(v) >= arg if op == "length_ge" else len(v) <= arg
    raise ValueError(f"unknown operator {op}")


def _leaf(leaf: BaseLeaf, record: dict[str, Any]) -> bool:
    if leaf.expr is not None:
        try:
            values = [m.value for m in leaf.expr.find(record)]
        except (TypeError, ValueError, AttributeError) as exc:
            raise Mismatch("path") from exc
    else:
        values = [leaf.param_value]
    op = leaf.op
    if op == "exists":
        return any(v is not None for v in values)
    if op == "absent":
        return not any(v is not None for v in values)
    if op == "empty":
        return all(_is_empty(v) for v in values)
    if op == "not_empty":
        present = [v for v in values if v is not None]
        return bool(present) and not any(_is_empty(v) for v in present)
    if op == "no_secrets":
        return not any(find_secrets(v, leaf.key) for v in values if v is not None)
    arg = leaf.arg
    if leaf.ref is not None:
        refs = [m.value for m in leaf.ref.find(record) if m.value is not None]
        if not refs:
            return False
        arg = _prepare(op, refs[0])
    present = [v for v in values if v is not None]
    if not present:
        return False
    results = [_test(op, v, arg) for v in present]
    return any(results) if leaf.match_any else all(results)


def _prepare(op: str, arg: Any) -> Any:
    if op in ("gt", "ge", "lt", "le") and not _is_number(arg):
        raise Mismatch("argument")
    if op in ("in", "not_in") and not isinstance(arg, list):
        raise Mismatch("argument")
    if op in ("starts_with", "has_keys"):
        arg = [arg] if isinstance(arg, str) else arg
        if not isinstance(arg, list) or not all(isinstance(a, str) for a in arg):
            raise Mismatch("argument")
    if op in ("length_ge", "length_le") and (not isinstance(arg, int) or isinstance(arg, bool) or arg < 0):
        raise Mismatch("argument")
    return arg


def _leaf3(leaf: BaseLeaf, record: dict[str, Any], places: set[kleene.Loc]) -> bool | None:
    try:
        if leaf.expr is not None:
            found = kleene.items(leaf.expr, leaf.top, record, places)
        else:
            found = [kleene.Item((), leaf.param_value)]
        refs = kleene.items(leaf.ref, leaf.ref_top, record, places) if leaf.ref is not None else None
    except (TypeError, ValueError, AttributeError) as exc:
        raise Mismatch("path") from exc
    if leaf.op in ("exists", "absent", "empty", "not_empty", "no_secrets"):
        return kleene.flag(leaf.op, found, leaf.key, record)

    def test(op: str, v: Any, arg: Any) -> bool:
        return bool(_test(op, v, arg))

    return kleene.value_leaf(
        found, refs, leaf.op, leaf.arg, leaf.match_any, test, lambda a: _prepare(leaf.op, a)
    )


def _holds3(node: BaseNode, record: dict[str, Any], places: set[kleene.Loc]) -> bool | None:
    if node.kind == "leaf":
        return _leaf3(node.parts[0], record, places)
    if node.kind == "not":
        inner = _holds3(node.parts[0], record, places)
        return None if inner is None else not inner
    decisive = node.kind == "any"  # any: a TRUE decides; all: a FALSE decides
    results = []
    for part in node.parts:
        result = _holds3(part, record, places)
        if result is decisive:
            return decisive
        results.append(result)
    return None if None in results else not decisive


def _holds(node: BaseNode, record: dict[str, Any]) -> bool:
    if node.kind == "leaf":
        return _leaf(node.parts[0], record)
    if node.kind == "all":
        return all(_holds(p, record) for p in node.parts)
    if node.kind == "any":
        return any(_holds(p, record) for p in node.parts)
    return not _holds(node.parts[0], record)


class BaselineEngine:
    def __init__(self, policies: Sequence[Policy]) -> None:
        self.policies = [
            (p.id, _convert(p.when) if p.when is not None else None, _convert(p.check)) for p in policies
        ]

    def evaluate(self, record: dict[str, Any], unknown: Mapping[str, str] | None = None) -> Iterator[tuple[str, Status]]:
        if unknown:
            yield from self._evaluate3(record, {kleene.tokens(p) for p in unknown})
            return
        for policy_id, when, check in self.policies:
            try:
                if when is not None and not _holds(when, record):
                    yield policy_id, Status.NOT_APPLICABLE
                elif _holds(check, record):
                    yield policy_id, Status.PASS
                else:
                    yield policy_id, Status.FAIL
            except (Mismatch, RecursionError):
                yield policy_id, Status.ERROR

    def _evaluate3(self, record: dict[str, Any], places: set[kleene.Loc]) -> Iterator[tuple[str, Status]]:
        for policy_id, when, check in self.policies:
            try:
                scope = True if when is None else _holds3(when, record, places)
                if scope is False:
                    yield policy_id, Status.NOT_APPLICABLE
                    continue
                result = _holds3(check, record, places) if scope else None
            except (Mismatch, RecursionError):
                yield policy_id, Status.ERROR
                continue
            yield policy_id, {True: Status.PASS, False: Status.FAIL, None: Status.UNKNOWN}[result]
