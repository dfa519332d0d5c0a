"""Condition trees: compiled from YAML once, evaluated per record.

A leaf reads one path (or a param) and applies one operator; `all`, `any` and
`not` combine leaves. Evaluation can run bare (fast, for the verdict) or with an
evidence list, which the engine asks for only when it has to explain a finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scanner.models import Evidence
from scanner.policy.operators import (
    FLAG_OPERATORS,
    VALUE_OPERATORS,
    ArgumentError,
    TypeMismatch,
)
from scanner.policy.paths import CompiledPath


class EvalContext:
    """One record being judged: path results are shared by every policy's leaves."""

    __slots__ = ("record", "cache", "evidence")

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        self.cache: dict[str, list[Any]] = {}
        self.evidence: list[Evidence] | None = None

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
            ok, note = self._value_test(values, ctx)
        if ctx.evidence is not None:
            ctx.evidence.append(self._evidence(values, ok, note, ctx))
        return ok

    def _value_test(self, values: list[Any], ctx: EvalContext) -> tuple[bool, str]:
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
        from scanner.secrets import find_secrets, redact

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
            actual = tuple(redact(v, key) for v in values)
        expected = self.arg_display
        if self.arg_path is not None:
            refs = ctx.lookup(self.arg_path)
            expected = {"path": self.arg_path.text, "value": redact(refs[0], key) if refs else None}
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
