"""Condition trees: compiled from YAML once, evaluated per record.

A leaf reads one path (or a param) and applies one operator; `all`, `any` and
`not` combine leaves. Evaluation can run bare (fast, for the verdict) or with an
evidence list, which the engine asks for only when it has to explain a finding.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from smscan.models import Evidence
from smscan.policy.operators import (
    FLAG_OPERATORS,
    VALUE_OPERATORS,
    ArgumentError,
    TypeMismatch,
)
from smscan.policy.paths import CompiledPath


class EvalContext:
    """One record being judged: path results are shared by every policy's leaves."""

    __slots__ = ("record", "cache", "evidence", "known_secrets")

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        self.cache: dict[str, list[Any]] = {}
        self.evidence: list[Evidence] | None = None
        self.known_secrets: frozenset[str] = frozenset()  # masked wherever evidence shows them

    def lookup(self, path: CompiledPath) -> list[Any]:
        found = self.cache.get(path.text)
        if found is None:
            try:
                found = path.find(self.record)
            except (TypeError, ValueError, AttributeError) as exc:
                # Only jsonpath-ng filter expressions get here (comparing mixed types).
                raise TypeMismatch(
                    f"path {path.text} cannot be applied: {type(exc).__name__}"
                ) from None
            self.cache[path.text] = found
        return found


@dataclass(frozen=True)
class Leaf:
    op: str
    subject: CompiledPath | None  # None when the leaf tests a param
    param_name: str | None
    param_value: Any
    arg: Any  # prepared argument (compiled regex, tuple ...); None for flags or path refs
    arg_display: Any  # the argument as the policy wrote it (after param substitution)
    arg_path: CompiledPath | None
    match_any: bool

    @property
    def label(self) -> str:
        return self.subject.text if self.subject else f"param {self.param_name}"

    @property
    def key_hint(self) -> str | None:
        """The path's last name: secret detection judges a bare string by its key."""
        if self.subject is None:
            return None
        last = self.subject.text.rsplit(".", 1)[-1].strip("[]'\"* ")
        return last if last and last != "$" else None

    def holds(self, ctx: EvalContext) -> bool:
        values = ctx.lookup(self.subject) if self.subject else [self.param_value]
        note = ""
        flag = FLAG_OPERATORS.get(self.op)
        if flag is not None:
            ok = flag(values, self.key_hint)
        else:
            ok, note = self.value_test(values, ctx)
        if ctx.evidence is not None:
            ctx.evidence.append(self._evidence(values, ok, note, ctx))
        return ok

    def value_test(self, values: list[Any], ctx: EvalContext) -> tuple[bool, str]:
        operator = VALUE_OPERATORS[self.op]
        arg = self.arg
        if self.arg_path is not None:
            refs = [v for v in ctx.lookup(self.arg_path) if v is not None]
            if not refs:
                return False, f"{self.arg_path.text} is missing"
            try:
                arg = operator.prepare(refs[0])
            except ArgumentError as exc:
                raise TypeMismatch(f"{self.arg_path.text}: {exc}") from None
        present = [v for v in values if v is not None]
        if not present:
            return False, "missing"
        results = (operator.test(v, arg) for v in present)
        return (any(results) if self.match_any else all(results)), ""

    def _evidence(self, values: list[Any], ok: bool, note: str, ctx: EvalContext) -> Evidence:
        from smscan.secrets import find_secrets, redact

        key = self.key_hint
        if self.op == "no_secrets":
            hits = [h for v in values if v is not None for h in find_secrets(v, key)]
            actual: tuple[Any, ...] = tuple(
                f"{h.key}: {h.masked} ({h.kind})" if h.key else f"{h.masked} ({h.kind})" for h in hits
            )
            note = note or (
                "no likely secret found" if not hits else f"{len(hits)} likely secret(s)"
            )
        else:
            actual = tuple(redact(v, key, ctx.known_secrets) for v in values)
        expected = self.arg_display
        if self.arg_path is not None:
            refs = ctx.lookup(self.arg_path)
            ref = redact(refs[0], key, ctx.known_secrets) if refs else None
            expected = {"path": self.arg_path.text, "value": ref}
        return Evidence(
            path=self.label,
            operator=self.op,
            expected=expected,
            actual=actual,
            satisfied=ok,
            note=note or ("nothing at this path" if not values else ""),
        )

    def leaves(self) -> Iterator[Leaf]:
        yield self


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]

    def holds(self, ctx: EvalContext) -> bool:
        return all(part.holds(ctx) for part in self.parts)

    def leaves(self) -> Iterator[Leaf]:
        for part in self.parts:
            yield from part.leaves()


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def holds(self, ctx: EvalContext) -> bool:
        return any(part.holds(ctx) for part in self.parts)

    def leaves(self) -> Iterator[Leaf]:
        for part in self.parts:
            yield from part.leaves()


@dataclass(frozen=True)
class Not:
    part: Condition

    def holds(self, ctx: EvalContext) -> bool:
        return not self.part.holds(ctx)

    def leaves(self) -> Iterator[Leaf]:
        yield from self.part.leaves()


Condition = Leaf | AllOf | AnyOf | Not


# --- the verdict fast path ----------------------------------------------------------------
# The same semantics as `holds`, compiled once per policy into nested closures over
# (record, per-record path cache): no EvalContext, no operator-table lookups, plain-key
# paths read directly, and secret detection memoized per (value, key). tests/
# test_engine_exactness.py holds it to the same statuses as a jsonpath-ng baseline.

Fast = Callable[[dict[str, Any], dict[str, list[Any]]], bool]
Values = Callable[[dict[str, Any], dict[str, list[Any]]], list[Any]]


def compile_fast(condition: Condition) -> Fast:
    if isinstance(condition, Leaf):
        return _fast_leaf(condition)
    if isinstance(condition, Not):
        inner = compile_fast(condition.part)
        return lambda rec, cache: not inner(rec, cache)
    parts = tuple(compile_fast(p) for p in condition.parts)
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


def _fast_leaf(leaf: Leaf) -> Fast:
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
    test = VALUE_OPERATORS[leaf.op].test
    arg = leaf.arg
    if leaf.op == "equals" and isinstance(arg, bool):
        test = _is  # `true` never equals 1: only the bool singleton itself matches
    match_any = leaf.match_any

    def value_leaf(rec: dict[str, Any], cache: dict[str, list[Any]]) -> bool:
        values = get(rec, cache)
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


_DETECT_CACHE_MAX_LEN = 256  # long values are rare and would make the memo large


@functools.lru_cache(maxsize=1 << 15)
def _detect_memo(value: str, key: str | None) -> bool:
    from smscan.secrets import detect

    return detect(value, key) is not None


def _no_secrets_fast(values: list[Any], key: str | None) -> bool:
    """`no_secrets` for the verdict: a flat str map is judged item by item, memoized
    (hyperparameter, tag and environment values repeat across a fleet); anything else
    goes to the detector whole, exactly as `holds` does."""
    from smscan.secrets import find_secrets

    for value in values:
        if value is None:
            continue
        if isinstance(value, dict) and all(type(v) is str or v is None for v in value.values()):
            for k, v in value.items():
                if v is not None and (
                    _detect_memo(v, str(k)) if len(v) <= _DETECT_CACHE_MAX_LEN else bool(find_secrets(v, str(k)))
                ):
                    return False
        elif type(value) is str and len(value) <= _DETECT_CACHE_MAX_LEN:
            if _detect_memo(value, key):
                return False
        elif find_secrets(value, key):
            return False
    return True
