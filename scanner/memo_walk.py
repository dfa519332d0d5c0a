"""The evidence memo's key: the values of the leaves a finding's evidence shows.

Evidence is gathered by evaluating the policy as the verdict does, `all` and `any`
stopping at the first part that decides them (conditions.py), so it holds one item per
leaf evaluated, and each item is a function of that leaf's values alone (its path's, and
the path it compares with). Which leaf comes next is decided by the outcomes of the ones
before, functions of their values too: so the values of the evaluated leaves, in order,
decide the evidence, and jobs whose values agree there share it, whatever they hold at
the leaves never reached. (A key of every path the policy reads would tell apart jobs that
differ only at a leaf the evaluation skipped: a distributed job's instance groups when its
instance count already decided.)

A value's part of the key tells apart what evidence shows apart (smscan.explain_memo): a
string, an int, a null or no value as itself, a bool as a marker, a list of those as a
tuple, anything else as a marker and its repr. The walk calls the verdict's own compiled
leaves for the outcomes, so it stops where the evidence does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smscan.policy.conditions import AllOf, AnyOf, Condition, Leaf, Not
from smscan.policy.fast import compile_fast, keyed_test
from smscan.policy.model import Policy
from smscan.policy.paths import CompiledPath

Parts = list[Any]
Walk = Callable[[dict[str, Any], dict[str, list[Any]], Parts], bool]
Read = Callable[[dict[str, Any], dict[str, list[Any]]], Any]


class _Absent:
    """No value at a path (a missing key), which a path sees differently from a null."""

    def __repr__(self) -> str:
        return "<absent>"  # no JSON value has this repr


class _Mark:
    """A value in a key that equals nothing but itself (the default object equality)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


ABSENT = _Absent()
TRUE, FALSE, REPR = _Mark("true"), _Mark("false"), _Mark("repr")


def compile_key(policy: Policy) -> Callable[[dict[str, Any], dict[str, list[Any]]], tuple[Any, ...]]:
    """The parts of the memo key for a record (and the verdict's path cache): the values of
    the leaves evaluated, in order. Raises what the verdict raises where it is an ERROR."""
    when = _walk(policy.when) if policy.when is not None else None
    check = _walk(policy.check)

    def key(data: dict[str, Any], cache: dict[str, list[Any]]) -> tuple[Any, ...]:
        parts: Parts = []
        if when is None or when(data, cache, parts):
            check(data, cache, parts)
        return tuple(parts)

    return key


def part(value: Any) -> Any:
    """A value (or ABSENT) as its part of a key."""
    kind = type(value)
    if kind is str or kind is int or value is None or value is ABSENT:
        return value
    if kind is bool:
        return TRUE if value else FALSE
    if kind is list:
        items = plain_items(value)
        if items is not None:
            return items
    return REPR, repr(value)


def plain_items(values: list[Any]) -> tuple[Any, ...] | None:
    """A list of strings, ints, bools and nulls as a key's tuple (None: any other item)."""
    out: list[Any] = []
    for value in values:
        kind = type(value)
        if kind is str or kind is int or value is None:
            out.append(value)
        elif kind is bool:
            out.append(TRUE if value else FALSE)
        else:
            return None
    return tuple(out)


def _walk(condition: Condition) -> Walk:
    if isinstance(condition, Leaf):
        return _leaf(condition)
    if isinstance(condition, Not):
        inner = _walk(condition.part)
        return lambda data, cache, parts: not inner(data, cache, parts)
    walks = tuple(_walk(p) for p in condition.parts)
    if isinstance(condition, AllOf):

        def all_of(data: dict[str, Any], cache: dict[str, list[Any]], parts: Parts) -> bool:
            for walk in walks:  # noqa: SIM110 - no generator per call on the hot path
                if not walk(data, cache, parts):
                    return False
            return True

        return all_of
    assert isinstance(condition, AnyOf)

    def any_of(data: dict[str, Any], cache: dict[str, list[Any]], parts: Parts) -> bool:
        for walk in walks:  # noqa: SIM110 - no generator per call on the hot path
            if walk(data, cache, parts):
                return True
        return False

    return any_of


def _leaf(leaf: Leaf) -> Walk:
    keyed = keyed_test(leaf)
    if keyed is not None:  # the value read once, for its part and for the verdict's own test
        keys, test_one, nothing = keyed
        if len(keys) == 1:
            name = keys[0]

            def one_key(data: dict[str, Any], cache: dict[str, list[Any]], parts: Parts) -> bool:
                value = data.get(name, ABSENT)
                parts.append(part(value))
                return nothing if value is ABSENT else test_one(value)

            return one_key
        first, second = keys

        def two_keys(data: dict[str, Any], cache: dict[str, list[Any]], parts: Parts) -> bool:
            doc = data.get(first)
            value = doc.get(second, ABSENT) if isinstance(doc, dict) else ABSENT
            parts.append(part(value))
            return nothing if value is ABSENT else test_one(value)

        return two_keys
    outcome = compile_fast(leaf)
    reads = tuple(_read(p) for p in (leaf.subject, leaf.arg_path) if p is not None)
    if len(reads) == 1:
        (read,) = reads

        def one(data: dict[str, Any], cache: dict[str, list[Any]], parts: Parts) -> bool:
            parts.append(read(data, cache))
            return outcome(data, cache)

        return one

    def several(data: dict[str, Any], cache: dict[str, list[Any]], parts: Parts) -> bool:
        for read in reads:
            parts.append(read(data, cache))
        return outcome(data, cache)

    return several


def _read(path: CompiledPath) -> Read:
    """The path's values as a key part: a plain one or two keys in place (ABSENT for no
    value, which stands for the empty list `find` gives), any other path by its finder."""
    keys = path.keys
    if keys is not None and len(keys) == 1:
        name = keys[0]
        return lambda data, cache: part(data.get(name, ABSENT))
    if keys is not None and len(keys) == 2:
        first, second = keys

        def two(data: dict[str, Any], cache: dict[str, list[Any]]) -> Any:
            doc = data.get(first)
            return part(doc.get(second, ABSENT) if isinstance(doc, dict) else ABSENT)

        return two
    text, find = path.text, path.finder

    def found(data: dict[str, Any], cache: dict[str, list[Any]]) -> Any:
        values = cache.get(text)
        if values is None:  # a leaf the verdict read without the cache (fast_source) or never reached
            values = cache[text] = find(data)  # for the leaf's own test, which reads it next
        return part(values)

    return found
