"""The verdict fast path: condition trees compiled once per policy into closures.

The same semantics as `Condition.holds` on a record whose values are all known, compiled
into nested closures over (record, per-record path cache): no EvalContext, no operator-
table lookups, plain-key paths read directly, and secret detection memoized per
(value, key). tests/test_engine_exactness.py holds it to the same statuses as `holds`
and as a jsonpath-ng baseline. Records with values known only at run time are judged
by `holds`, three-valued, instead (scanner/engine.py).

The engine's verdicts are generated from these (scanner/policy/fast_source.py): the plain
leaves written in place, the others calling their closure from here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any

from smscan.policy.conditions import AllOf, Condition, EvalContext, Leaf, Not
from smscan.policy.operators import (
    FLAG_OPERATORS,
    NUMBER_COMPARISONS,
    ONE_VALUE_FLAGS,
    VALUE_OPERATORS,
    TypeMismatch,
)
from smscan.policy.paths import CompiledPath

Fast = Callable[[dict[str, Any], dict[str, list[Any]]], bool]
Values = Callable[[dict[str, Any], dict[str, list[Any]]], list[Any]]


def compile_fast(condition: Condition) -> Fast:
    if isinstance(condition, Leaf):
        return _fast_leaf(condition)
    if isinstance(condition, Not):
        inner = compile_fast(condition.part)
        return lambda rec, cache: not inner(rec, cache)
    parts = tuple(compile_fast(p) for p in condition.parts)
    if len(parts) == 2:  # the commonest `all`/`any`, without the loop (every part gives a bool)
        first, second = parts
        if isinstance(condition, AllOf):
            return lambda rec, cache: first(rec, cache) and second(rec, cache)
        return lambda rec, cache: first(rec, cache) or second(rec, cache)
    if isinstance(condition, AllOf):

        def all_of(rec: dict[str, Any], cache: dict[str, list[Any]]) -> bool:
            for part in parts:  # noqa: SIM110 - no generator per call on the hot path
                if not part(rec, cache):
                    return False
            return True

        return all_of

    def any_of(rec: dict[str, Any], cache: dict[str, list[Any]]) -> bool:
        for part in parts:  # noqa: SIM110 - no generator per call on the hot path
            if part(rec, cache):
                return True
        return False

    return any_of


def _fast_values(path: CompiledPath) -> Values:
    keys = path.keys
    if keys is not None and len(keys) == 1:
        name = keys[0]
        return lambda rec, cache: [rec[name]] if name in rec else []
    if keys is not None and len(keys) == 2:
        first, second = keys

        def two(rec: dict[str, Any], cache: dict[str, list[Any]]) -> list[Any]:
            doc = rec.get(first)
            return [doc[second]] if isinstance(doc, dict) and second in doc else []

        return two
    text, find = path.text, path.finder

    def cached(rec: dict[str, Any], cache: dict[str, list[Any]]) -> list[Any]:
        found = cache.get(text)
        if found is None:
            try:
                found = find(rec)
            except (TypeError, ValueError, AttributeError) as exc:
                raise TypeMismatch(f"path {text} cannot be applied: {type(exc).__name__}") from None
            cache[text] = found
        return found

    return cached


def keyed_test(leaf: Leaf) -> tuple[tuple[str, ...], Callable[[Any], bool], bool] | None:
    """A leaf on a path of one or two plain keys, whose value is looked up in place (no list):
    (the keys, the test of the one value, the verdict for no value). None for any other leaf.

    Such a path yields no value or exactly one, so the verdict is the leaf's test of that
    one value, or what the test gives for nothing at all (computed once here)."""
    keys = leaf.subject.keys if leaf.subject is not None else None
    if keys is None or len(keys) > 2 or leaf.arg_path is not None or leaf.op == "no_secrets":
        return None
    hint = leaf.key_hint
    flag = FLAG_OPERATORS.get(leaf.op)
    if flag is not None:
        test_one: Callable[[Any], bool] = ONE_VALUE_FLAGS.get(leaf.op) or (lambda value: flag([value], hint))
        return keys, test_one, flag([], hint)
    arg = leaf.arg
    if leaf.op == "equals" and isinstance(arg, bool):
        # `true` never equals 1: only the bool singleton itself matches, never a null.
        return keys, lambda value: value is arg, False
    # a value operator is never satisfied by a path that matched nothing
    return keys, _value_test(leaf.op, arg), False


def _keyed_leaf(leaf: Leaf) -> Fast | None:
    """keyed_test's leaf as a verdict (None for any other leaf)."""
    keyed = keyed_test(leaf)
    if keyed is None:
        return None
    keys, test_one, nothing = keyed
    if leaf.op == "equals" and isinstance(leaf.arg, bool):
        return _identical_leaf(keys, leaf.arg)
    inline = _inline_leaf(leaf, keys)
    if inline is not None:
        return inline
    if len(keys) == 1:
        name = keys[0]
        return lambda rec, cache: test_one(rec[name]) if name in rec else nothing
    first, second = keys

    def two_keys(rec: dict[str, Any], cache: dict[str, list[Any]]) -> bool:
        doc = rec.get(first)
        if isinstance(doc, dict) and second in doc:
            return test_one(doc[second])
        return nothing

    return two_keys


def _inline_leaf(leaf: Leaf, keys: tuple[str, ...]) -> Fast | None:
    """The commonest keyed leaves with their one-value test written in place (a call fewer
    per leaf): `exists`, `not_empty` and the number comparisons on two keys. Each is
    keyed_test's test of the value (ONE_VALUE_FLAGS, _value_test), and False for no value,
    which is what those give for nothing."""
    if len(keys) != 2:
        return None
    first, second = keys
    if leaf.op == "exists":
        return lambda rec, cache: isinstance(doc := rec.get(first), dict) and doc.get(second) is not None
    if leaf.op == "not_empty":

        def not_empty(rec: dict[str, Any], cache: dict[str, list[Any]]) -> bool:
            doc = rec.get(first)
            if isinstance(doc, dict):
                value = doc.get(second)
                return value is not None and not (isinstance(value, _SIZED) and len(value) == 0)
            return False

        return not_empty
    compare = NUMBER_COMPARISONS.get(leaf.op)
    if compare is None:
        return None
    test, arg = VALUE_OPERATORS[leaf.op].test, leaf.arg

    def number(rec: dict[str, Any], cache: dict[str, list[Any]]) -> bool:
        doc = rec.get(first)
        if isinstance(doc, dict) and second in doc:
            value = doc[second]
            kind = type(value)
            if kind is int or kind is float:
                return compare(float(value), arg)  # as _number does: the float of the value
            return value is not None and bool(test(value, arg))
        return False

    return number


_SIZED = (str, list, dict)


def _identical_leaf(keys: tuple[str, ...], arg: bool) -> Fast:
    """`equals: true|false` on a one- or two-key path: the value is that bool itself."""
    if len(keys) == 1:
        name = keys[0]
        return lambda rec, cache: rec.get(name) is arg
    first, second = keys

    def two_keys(rec: dict[str, Any], cache: dict[str, list[Any]]) -> bool:
        doc = rec.get(first)
        return isinstance(doc, dict) and doc.get(second) is arg

    return two_keys


def _value_test(op: str, arg: Any) -> Callable[[Any], bool]:
    """The value operator on one value (a null never satisfies it); numbers compared and
    strings matched inline, any other type through the operator (which may refuse it)."""
    test = VALUE_OPERATORS[op].test
    compare = NUMBER_COMPARISONS.get(op)
    if compare is not None:

        def number(value: Any) -> bool:
            kind = type(value)
            if kind is int or kind is float:
                return compare(float(value), arg)  # as _number does: the float of the value
            return value is not None and bool(test(value, arg))

        return number
    if op == "matches":
        search = arg.search
        # A fleet's values repeat (instance types, image URIs): each string is searched once.
        seen: dict[str, bool] = {}

        def matches(value: Any) -> bool:
            if type(value) is str:
                found = seen.get(value)
                if found is None:
                    if len(seen) >= _MATCHES_KEPT:
                        seen.clear()
                    found = seen[value] = search(value) is not None
                return found
            return value is not None and bool(test(value, arg))

        return matches
    return lambda value: value is not None and bool(test(value, arg))


def _fast_leaf(leaf: Leaf) -> Fast:
    keyed = _keyed_leaf(leaf)
    if keyed is not None:
        return keyed
    if leaf.subject is None:
        constant = [leaf.param_value]
        get: Values = lambda rec, cache: constant  # noqa: E731
    else:
        get = _fast_values(leaf.subject)
    key = leaf.key_hint
    if leaf.op == "no_secrets":
        return lambda rec, cache: _no_secrets_fast(get(rec, cache), key)
    flag = FLAG_OPERATORS.get(leaf.op)
    if flag is not None:
        return lambda rec, cache: flag(get(rec, cache), key)
    if leaf.arg_path is not None:  # rare: compare two fields of the record

        def path_ref_leaf(rec: dict[str, Any], cache: dict[str, list[Any]]) -> bool:
            ctx = EvalContext(rec)
            ctx.cache = cache  # share the record's path lookups with the other leaves
            return leaf.value_test(get(rec, cache), ctx)[0]

        return path_ref_leaf
    test_values = values_test(leaf)
    return lambda rec, cache: test_values(get(rec, cache))


def values_test(leaf: Leaf) -> Callable[[list[Any]], bool]:
    """A value operator's leaf (no path as argument) on the values its path found."""
    test = VALUE_OPERATORS[leaf.op].test
    arg = leaf.arg
    if leaf.op == "equals" and isinstance(arg, bool):
        test = _is  # `true` never equals 1: only the bool singleton itself matches
    match_any = leaf.match_any

    def value_leaf(values: list[Any]) -> bool:
        if len(values) == 1:
            value = values[0]
            return value is not None and bool(test(value, arg))
        present = [v for v in values if v is not None]
        if not present:
            return False
        if match_any:
            return any(test(v, arg) for v in present)
        return all(test(v, arg) for v in present)

    return value_leaf


def _is(value: Any, arg: Any) -> bool:
    return value is arg


_MATCHES_KEPT = 4096  # strings a `matches` leaf remembers; past it, it starts over
_DETECT_CACHE_MAX_LEN = 256  # long values are rare and would make the memo large


@functools.lru_cache(maxsize=1 << 15)
def _detect_memo(value: str, key: str | None) -> bool:
    return _secrets().detect(value, key) is not None


def _flat_text(value: dict[Any, Any]) -> bool:
    """Every value a string or a null (the usual environment, hyperparameter or tag map)."""
    for item in value.values():  # noqa: SIM110 - no generator per record on the hot path
        if item is not None and type(item) is not str:
            return False
    return True


def _no_secrets_fast(values: list[Any], key: str | None) -> bool:
    """`no_secrets` for the verdict: a flat str map is judged item by item, memoized
    (hyperparameter, tag and environment values repeat across a fleet); anything else
    goes to the detector whole, exactly as `holds` does."""
    find_secrets = _secrets().find_secrets
    for value in values:
        if value is None:
            continue
        if isinstance(value, dict) and _flat_text(value):
            for k, v in value.items():
                if v is None:
                    continue
                name = k if type(k) is str else str(k)
                if _detect_memo(v, name) if len(v) <= _DETECT_CACHE_MAX_LEN else bool(find_secrets(v, name)):
                    return False
        elif type(value) is str and len(value) <= _DETECT_CACHE_MAX_LEN:
            if _detect_memo(value, key):
                return False
        elif find_secrets(value, key):
            return False
    return True


@functools.cache
def _secrets() -> ModuleType:
    """smscan.secrets, imported on first use: loading policies does not pay for its detectors,
    and a hot path does not pay an import statement per call."""
    from smscan import secrets

    return secrets
