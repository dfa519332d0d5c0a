"""A policy's whole verdict (when, check, status) generated as one Python function.

The closures of scanner/policy/fast.py cost a call per node of the condition tree; here
the tree becomes one boolean expression, compiled once at load, in which `all`/`any`/`not`
are Python's own short-circuit `and`/`or`/`not` (the same order of evaluation, so the
same TypeMismatch wins) and the plain leaves (one or two plain keys) are written in
place, as is the way down to the wildcard of `$.a.b[*].c`. Any other leaf (a jsonpath-ng
path, no_secrets, a path as argument) calls its closure from fast.py, with the record's
path cache.

Nothing a policy file says is pasted into the source: every key, argument and helper is
a name (c0, c1, ...) bound in the function's globals; the source holds only those names,
the operators' own Python and the bools True/False. tests/test_fast_source.py holds the
generated verdicts to the closures and to `Condition.holds`, errors included.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from smscan.models import Status
from smscan.policy.conditions import AnyOf, Condition, Leaf, Not
from smscan.policy.fast import _MATCHES_KEPT, compile_fast, keyed_test, values_test
from smscan.policy.model import Policy
from smscan.policy.operators import (
    FLAG_OPERATORS,
    NUMBER_COMPARISONS,
    VALUE_OPERATORS,
    TypeMismatch,
)
from smscan.policy.paths import Star, _walk_one_star

Judge = Callable[[dict[str, Any], dict[str, list[Any]]], tuple[Status, str]]
Outcome = tuple[Status, str]

# Deeper trees keep the closures: the generated expression's parentheses would near the
# parser's nesting limit, and the closures recurse as deep as the tree, so a tree deep enough
# gives their RecursionError (an ERROR verdict), which one flat expression would not.
MAX_DEPTH = 24
_SIZED = (str, list, dict)
_COMPARE = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_LENGTH = {"length_ge": ">=", "length_le": "<="}


def generate(
    policy: Policy, passed: Outcome, failed: Outcome, out_of_scope: Outcome
) -> tuple[str, dict[str, Any]] | None:
    """The source of `judge(rec, cache)` and the globals it runs in; None for a tree too deep."""
    if _depth(policy.check) > MAX_DEPTH or (policy.when is not None and _depth(policy.when) > MAX_DEPTH):
        return None
    # A first pass counts the maps read by more than one leaf: each is looked up once, into a
    # local, before the part (when or check) where it is first read.
    counted = _Source()
    if policy.when is not None:
        counted.expr(policy.when)
    counted.expr(policy.check)
    source = _Source(frozenset(key for key, uses in counted.uses.items() if uses > 1))
    env = source.env
    env.update(
        _pass=passed, _fail=failed, _out=out_of_scope, _error=Status.ERROR, _mismatch=TypeMismatch,
        _deep=(Status.ERROR, "record nested too deeply to evaluate"), _sized=_SIZED, _nomap={},
    )  # fmt: skip
    when = source.expr(policy.when) if policy.when is not None else True
    when_maps = source.take_maps()
    check = source.expr(policy.check)
    check_maps = source.take_maps()
    lines = ["def judge(rec, cache):"]
    if when is False:
        lines.append("    return _out")
        return "\n".join(lines) + "\n", env
    lines.append("    try:")
    if when is not True:
        lines += when_maps
        lines += [f"        if not {when}:", "            return _out"]
    lines += check_maps
    if check is True or check is False:
        lines.append(f"        return {'_pass' if check else '_fail'}")
    else:
        lines += [f"        if {check}:", "            return _pass", "        return _fail"]
    lines += [
        "    except _mismatch as exc:",
        "        return _error, str(exc)",
        "    except RecursionError:",
        "        return _deep",
    ]
    return "\n".join(lines) + "\n", env


def compile_judge(policy: Policy, passed: Outcome, failed: Outcome, out_of_scope: Outcome) -> Judge | None:
    """The generated verdict of `policy`, or None when it keeps the closures (too deep)."""
    try:
        generated = generate(policy, passed, failed, out_of_scope)
        if generated is None:
            return None
        source, env = generated
        code = compile(source, "<verdict>", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return None  # a tree the parser cannot take after all: the closures judge it
    exec(code, env)  # noqa: S102 - the source is ours alone (see the module docstring)
    judge: Judge = env["judge"]
    return judge


def _depth(condition: Condition) -> int:
    if isinstance(condition, Leaf):
        return 1
    if isinstance(condition, Not):
        return 1 + _depth(condition.part)
    return 1 + max((_depth(p) for p in condition.parts), default=0)


class _Source:
    """The expression of a condition tree, with the constants it names."""

    def __init__(self, hoisted: frozenset[str] = frozenset()) -> None:
        self.env: dict[str, Any] = {}
        self._count = 0
        self.uses: Counter[str] = Counter()  # first keys of the two-key reads
        self._hoisted = hoisted  # the first keys read into a local
        self._maps: dict[str, str] = {}  # first key -> its local
        self._lines: list[str] = []  # the lookups into those locals not yet placed

    def name(self, value: Any) -> str:
        name = f"c{self._count}"
        self._count += 1
        self.env[name] = value
        return name

    def take_maps(self) -> list[str]:
        """The lines that read the maps the expressions so far use (each once)."""
        lines, self._lines = self._lines, []
        return lines

    def map_of(self, key: str) -> str:
        """The local holding the map at `key` (an empty one for no map there)."""
        local = self._maps.get(key)
        if local is None:
            local = self._maps[key] = f"m{len(self._maps)}"
            self._lines.append(f"        {local} = d if isinstance(d := rec.get({self.name(key)}), dict) else _nomap")
        return local

    def expr(self, condition: Condition) -> str | bool:
        """The condition as an expression, or the bool it always is (a leaf on params only)."""
        if isinstance(condition, Leaf):
            return self.leaf(condition)
        if isinstance(condition, Not):
            inner = self.expr(condition.part)
            return (not inner) if isinstance(inner, bool) else f"(not {inner})"
        decisive = isinstance(condition, AnyOf)  # the value that ends the `all` / `any`
        parts: list[str] = []
        for part in condition.parts:
            code = self.expr(part)
            if code is decisive:
                if not parts:
                    return decisive
                parts.append(str(decisive))  # the parts before it still run: they may raise
                break
            if code is not (not decisive):
                parts.append(str(code))
        if not parts:
            return not decisive
        if len(parts) == 1:
            return parts[0]
        return "(" + (" or " if decisive else " and ").join(parts) + ")"

    def leaf(self, leaf: Leaf) -> str | bool:
        if leaf.subject is None and leaf.arg_path is None:
            constant = _constant(leaf)
            if constant is not None:
                return constant
        keyed = keyed_test(leaf)
        if keyed is not None:
            code = self.keyed(leaf, keyed[0])
            if code is not None:
                return code
        star = _star_split(leaf)
        if star is not None:
            before, after = star
            test = _star_test(leaf, after)
            nothing = bool(test(None))  # as the path finding nothing (see _star_test)
            return f"({self.name(test)}(v) if (v := {self.value(before)}) is not None else {nothing!r})"
        return f"{self.name(compile_fast(leaf))}(rec, cache)"

    def value(self, keys: tuple[str, ...]) -> str:
        """The value at one or two plain keys, None when there is none: every keyed test
        gives for None what it gives for no value (see fast.keyed_test)."""
        if len(keys) == 1:
            return f"rec.get({self.name(keys[0])})"
        first, second = keys
        self.uses[first] += 1
        if first in self._hoisted:
            return f"{self.map_of(first)}.get({self.name(second)})"
        return f"(d.get({self.name(second)}) if isinstance(d := rec.get({self.name(first)}), dict) else None)"

    def keyed(self, leaf: Leaf, keys: tuple[str, ...]) -> str | None:
        """The leaf's test written in place, as fast._value_test and ONE_VALUE_FLAGS judge one
        value; None for an operator written nowhere but in its closure."""
        op, arg, value = leaf.op, leaf.arg, self.value(keys)
        if op == "exists":
            return f"({value} is not None)"
        if op == "absent":
            return f"({value} is None)"
        # A str, list or map by its own truth, which is its length; any other type (a subclass
        # among them) as ONE_VALUE_FLAGS judges it.
        exact = f"(t := type(v := {value})) is str or t is list or t is dict"
        if op == "not_empty":
            return f"(not not v if {exact} else v is not None and not (isinstance(v, _sized) and len(v) == 0))"
        if op == "empty":
            return f"(not v if {exact} else v is None or (isinstance(v, _sized) and len(v) == 0))"
        if op not in VALUE_OPERATORS:
            return None
        if op == "equals" and isinstance(arg, bool):
            return f"({value} is {arg!r})"  # only the bool singleton itself, never 1
        a = self.name(arg)
        if op == "equals" and type(arg) in (str, int, float):
            return f"({value} == {a})"  # a null equals none of them
        # Any type the fast case does not take goes to the operator itself, which may refuse it.
        test = self.name(VALUE_OPERATORS[op].test)
        other = f"(v is not None and bool({test}(v, {a})))"
        compare = _COMPARE.get(op)
        if compare is not None and op in NUMBER_COMPARISONS:
            # as _number does: the float of an int, not Python's exact int-float comparison
            return f"(float(v) {compare} {a} if (t := type(v := {value})) is int else v {compare} {a} if t is float else {other})"
        length = _LENGTH.get(op)
        if length is not None:
            return f"(len(v) {length} {a} if (t := type(v := {value})) is str or t is list or t is dict else {other})"
        if op in ("matches", "not_matches") and isinstance(arg, re.Pattern):
            remembered: dict[str, bool] = {}
            seen, miss = self.name(remembered), self.name(_search_remembered(arg, remembered))
            found = f"({seen}[v] if v in {seen} else {miss}(v))"
            return f"({'' if op == 'matches' else 'not '}{found} if type(v := {value}) is str else {other})"
        if op in ("in", "not_in") and isinstance(arg, tuple) and all(type(item) is str for item in arg):
            members = self.name(frozenset(arg))
            return f"(v {op.replace('_', ' ')} {members} if type(v := {value}) is str else {other})"
        if op == "starts_with" and isinstance(arg, tuple):
            return f"(v.startswith({a}) if type(v := {value}) is str else {other})"
        return f"((v := {value}) is not None and bool({test}(v, {a})))"


def _star_split(leaf: Leaf) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The keys before and after the one wildcard of `$.a[*].b`-like paths with one or two
    keys before it (None for any other leaf, or one whose closure does more: no_secrets,
    a path as argument)."""
    steps = leaf.subject.steps if leaf.subject is not None else None
    if steps is None or leaf.arg_path is not None or leaf.op == "no_secrets":
        return None
    stars = [i for i, step in enumerate(steps) if isinstance(step, Star)]
    if len(stars) != 1 or not 1 <= stars[0] <= 2 or any(type(step) is int for step in steps):
        return None
    before, after = steps[: stars[0]], steps[stars[0] + 1 :]
    return tuple(str(s) for s in before), tuple(str(s) for s in after)


def _star_test(leaf: Leaf, after: tuple[str, ...]) -> Callable[[Any], bool]:
    """The leaf on what its path finds from the value at the wildcard: that path's finder
    (paths._walk_one_star) with no keys before it, so the same values, in the same order.
    None, like no value at all, finds nothing. The record's path cache is left unfilled: a
    finding's evidence walk finds the values itself when it needs them."""
    find = _walk_one_star((), after)
    flag = FLAG_OPERATORS.get(leaf.op)
    if flag is not None:
        key = leaf.key_hint
        return lambda doc: flag(find(doc), key)
    test = values_test(leaf)
    return lambda doc: test(find(doc))


def _search_remembered(pattern: re.Pattern[str], seen: dict[str, bool]) -> Callable[[str], bool]:
    """A string's first search, remembered in `seen` (a fleet's values repeat), as
    fast._value_test's `matches` remembers it."""
    search = pattern.search

    def miss(value: str) -> bool:
        if len(seen) >= _MATCHES_KEPT:
            seen.clear()
        found = seen[value] = search(value) is not None
        return found

    return miss


def _constant(leaf: Leaf) -> bool | None:
    """A leaf on a param alone judges the same constant for every record: its verdict,
    or None when judging it raises (then every record's judging raises, via the closure)."""
    try:
        return bool(compile_fast(leaf)({}, {}))
    except Exception:  # noqa: BLE001 - whatever it raises, the closure raises it per record
        return None
