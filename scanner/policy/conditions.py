"""Condition trees: compiled from YAML once, evaluated per record.

A leaf reads one path (or a param) and applies one operator; `all`, `any` and
`not` combine leaves. Evaluation can run bare (fast, for the verdict) or with an
evidence list, which the engine asks for only when it has to explain a finding.

`holds` is three-valued when the record has values known only at run time
(`EvalContext.unknown`, see scanner/policy/kleene.py): a leaf that meets one is None
(UNKNOWN), `all` is FALSE if any part is FALSE, else UNKNOWN if any part is; `any`
mirrors it; `not` keeps UNKNOWN. Without run-time values it is the two-valued logic
of `compile_fast`, exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from smscan.models import Evidence
from smscan.policy.kleene import Loc, Tri, UnknownIndex, judge_leaf
from smscan.policy.operators import (
    FLAG_OPERATORS,
    VALUE_OPERATORS,
    ArgumentError,
    TypeMismatch,
)
from smscan.policy.paths import CompiledPath


class EvalContext:
    """One record being judged: path results are shared by every policy's leaves."""

    __slots__ = ("record", "cache", "evidence", "known_secrets", "unknown", "located", "undecided")

    def __init__(self, record: dict[str, Any], unknown: UnknownIndex | None = None) -> None:
        self.record = record
        self.cache: dict[str, list[Any]] = {}
        self.evidence: list[Evidence] | None = None
        self.known_secrets: frozenset[str] = frozenset()  # masked wherever evidence shows them
        self.unknown = unknown  # the record's run-time places; None: every value is known
        self.located: dict[str, list[Any]] = {}  # path -> kleene.Item list, when unknown is set
        # The run-time places behind an UNKNOWN result, for its message (see AllOf/AnyOf).
        self.undecided: list[Loc] = []

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


_PLAIN = frozenset({bool, int, float, type(None)})


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

    @functools.cached_property  # read for every value of every finding's evidence
    def key_hint(self) -> str | None:
        """The path's last name: secret detection judges a bare string by its key."""
        if self.subject is None:
            return None
        last = self.subject.text.rsplit(".", 1)[-1].strip("[]'\"* ")
        return last if last and last != "$" else None

    def holds(self, ctx: EvalContext) -> Tri:
        if ctx.unknown is not None:
            outcome = judge_leaf(self, ctx, ctx.unknown)
            if outcome is not None:
                ctx.undecided.extend(outcome.places)
                if ctx.evidence is not None:
                    evidence = self._evidence(outcome.values, outcome.result is True, outcome.note, ctx)
                    ctx.evidence.append(evidence)
                return outcome.result
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
        secrets = _secrets()
        find_secrets, redact = secrets.find_secrets, secrets.redact
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
            known = ctx.known_secrets  # numbers, booleans and nulls hold no secret: as they are
            actual = tuple(v if type(v) in _PLAIN else redact(v, key, known) for v in values)
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

    def holds(self, ctx: EvalContext) -> Tri:
        if ctx.unknown is None:  # every value known: plain two-valued logic
            for part in self.parts:  # noqa: SIM110 - all() of a generator costs a frame per call
                if not part.holds(ctx):
                    return False
            return True
        mark = len(ctx.undecided)
        result: Tri = True
        for part in self.parts:
            holds = part.holds(ctx)
            if holds is False:
                del ctx.undecided[mark:]  # a known FALSE decides: the unknowns do not matter
                return False
            if holds is None:
                result = None
        return result

    def leaves(self) -> Iterator[Leaf]:
        for part in self.parts:
            yield from part.leaves()


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def holds(self, ctx: EvalContext) -> Tri:
        if ctx.unknown is None:
            for part in self.parts:  # noqa: SIM110 - any() of a generator costs a frame per call
                if part.holds(ctx):
                    return True
            return False
        mark = len(ctx.undecided)
        result: Tri = False
        for part in self.parts:
            holds = part.holds(ctx)
            if holds is True:
                del ctx.undecided[mark:]
                return True
            if holds is None:
                result = None
        return result

    def leaves(self) -> Iterator[Leaf]:
        for part in self.parts:
            yield from part.leaves()


@dataclass(frozen=True)
class Not:
    part: Condition

    def holds(self, ctx: EvalContext) -> Tri:
        holds = self.part.holds(ctx)
        return None if holds is None else not holds

    def leaves(self) -> Iterator[Leaf]:
        yield from self.part.leaves()


Condition = Leaf | AllOf | AnyOf | Not


@functools.cache
def _secrets() -> ModuleType:
    """smscan.secrets, imported on first use: loading policies does not pay for its detectors,
    and a hot path does not pay an import statement per call."""
    from smscan import secrets

    return secrets
