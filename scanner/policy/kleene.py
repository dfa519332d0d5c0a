"""Three-valued (Kleene) leaves, for records holding values known only at run time.

A request file may leave a value to run time (a Step Functions `.$` key, a Pipelines
`{"Get": ...}`); its Record lists those places as JSON pointers (`Record.unknown`). A
leaf whose path meets one of them cannot be judged TRUE or FALSE from the file, so it
is UNKNOWN (None here), and `all`/`any`/`not` combine UNKNOWN the Kleene way
(scanner/policy/conditions.py). What the record does show is still judged: a list with
one run-time item and one bad item is FALSE, a map with a run-time entry still shows
its other entries' secrets.

Where the data stands for a run-time value: a map entry is left out, a list item is
None (so indexes match the file), a whole field is None. None of it is ever read as a
value: a place listed in `unknown` is unknown whatever the data holds there (a tag map
whose one Key is dynamic keeps its other tags for the reports, but is judged unknown).

Records without run-time values never come here: the engine judges them two-valued.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smscan.policy.operators import VALUE_OPERATORS, ArgumentError, TypeMismatch, _is_empty
from smscan.policy.paths import CompiledPath, Star, Step
from smscan.policy.run_time_secrets import Loc, may_be_secret

if TYPE_CHECKING:
    from smscan.policy.conditions import EvalContext, Leaf

Tri = bool | None  # None: UNKNOWN
RUN_TIME_NOTE = "known only at run time"  # the evidence note of a leaf left UNKNOWN

def pointer_tokens(pointer: str) -> Loc:
    """RFC 6901: "/vpc_config/Subnets/1" -> ("vpc_config", "Subnets", "1"); "" -> ()."""
    if not pointer:
        return ()
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))


def pointer_text(loc: Loc) -> str:
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in loc)


@dataclass(frozen=True)
class UnknownIndex:
    """A record's run-time places, ready for lookups while paths are walked."""

    places: frozenset[Loc]
    above: frozenset[Loc]  # every strict prefix of a place: something below it is unknown

    @classmethod
    def of(cls, unknown: Mapping[str, str]) -> UnknownIndex:
        places = frozenset(pointer_tokens(p) for p in unknown)
        above = frozenset(place[:i] for place in places for i in range(len(place)))
        return cls(places, above)

    def below(self, loc: Loc) -> tuple[Loc, ...]:
        if loc not in self.above:
            return ()
        n = len(loc)
        return tuple(sorted(p for p in self.places if len(p) > n and p[:n] == loc))

    def children(self, loc: Loc) -> list[Loc]:
        n = len(loc) + 1
        return sorted(p for p in self.places if len(p) == n and p[:-1] == loc) if loc in self.above else []


@dataclass(frozen=True)
class Item:
    """One place a path reached: a known value, a value with run-time parts, or a run-time value."""

    loc: Loc
    value: Any  # the data there; None for a run-time place (whatever the data holds)
    whole: bool = False  # the value here is known only at run time
    inside: tuple[Loc, ...] = ()  # run-time places below a known value

    @property
    def unknown(self) -> bool:
        return self.whole or bool(self.inside)

    @property
    def places(self) -> tuple[Loc, ...]:
        return (self.loc,) if self.whole else self.inside


def locate(path: CompiledPath, record: dict[str, Any], index: UnknownIndex) -> list[Item]:
    """What `path` reaches in `record`, in document order, with the run-time places it meets.

    A plain path is walked as scanner.policy.paths walks it; stepping onto a run-time place
    ends that branch with a run-time item. A jsonpath-ng expression (filters, slices) cannot
    be followed that way: if its field holds any run-time value, it reaches one run-time item.
    """
    if () in index.places:  # the whole request is known only at run time
        return [Item((), None, whole=True)]
    steps = path.steps
    if steps is None:
        top = path.top_field
        if any(not top or place[0] == top for place in index.places):
            return [Item((top,) if top else (), None, whole=True)]
        return [Item((), value) for value in path.find(record)]
    current = [Item((), record)]
    for step in steps:
        found: list[Item] = []
        for item in current:
            if item.whole:  # met a run-time place on the way: it stands for all below
                found.append(item)
                continue
            for loc, value in _children(item.loc, item.value, step, index):
                if loc in index.places:
                    found.append(Item(loc, None, whole=True))
                else:
                    found.append(Item(loc, value))
        current = found
        if not current:
            break
    return [item if item.whole else Item(item.loc, item.value, inside=index.below(item.loc)) for item in current]


def _children(loc: Loc, value: Any, step: Step, index: UnknownIndex) -> list[tuple[Loc, Any]]:
    if isinstance(step, Star):  # jsonpath-ng's `[*]`/`.*`: a list's items or a map's values
        if isinstance(value, list):
            return [((*loc, str(i)), v) for i, v in enumerate(value)]
        if isinstance(value, dict):
            known = [((*loc, str(k)), v) for k, v in value.items()]
            return known + [(p, None) for p in index.children(loc) if p[-1] not in value]
        return []
    if isinstance(step, int):
        if isinstance(value, list) and -len(value) <= step < len(value):
            return [((*loc, str(step % len(value))), value[step])]
        return []
    if isinstance(value, dict):
        if step in value:
            return [((*loc, step), value[step])]
        if (*loc, step) in index.places:  # a map entry set at run time is left out of the data
            return [((*loc, step), None)]
    return []


# --- leaves ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    result: Tri
    note: str
    values: list[Any]  # the known values the leaf saw, for the evidence
    places: tuple[Loc, ...]  # the run-time places that left it UNKNOWN (empty otherwise)


def judge_leaf(leaf: Leaf, ctx: EvalContext, index: UnknownIndex) -> Outcome | None:
    """The leaf's three-valued outcome, or None when it meets no run-time value (judge it as usual)."""
    items = _items(leaf.subject, ctx, index) if leaf.subject is not None else [Item((), leaf.param_value)]
    refs = _items(leaf.arg_path, ctx, index) if leaf.arg_path is not None else []
    if not any(i.unknown for i in items) and not any(r.unknown for r in refs):
        return None
    values = [i.value for i in items if not i.whole]  # the evidence shows what the file says
    if leaf.op in _FLAGS:
        result = _FLAGS[leaf.op](items, leaf.key_hint, ctx.record)
        note = ""
    else:
        result, note = _value_leaf(leaf, items, refs)
    if result is None:
        places = tuple(p for i in (*items, *refs) for p in i.places)
        if leaf.op == "no_secrets":  # name only the values a secret may be passed in
            places = tuple(p for p in places if may_be_secret(p, ctx.record))
        return Outcome(None, RUN_TIME_NOTE, values, places)
    return Outcome(result, note, values, ())


def _items(path: CompiledPath, ctx: EvalContext, index: UnknownIndex) -> list[Item]:
    found = ctx.located.get(path.text)
    if found is None:
        try:
            found = locate(path, ctx.record, index)
        except (TypeError, ValueError, AttributeError) as exc:
            raise TypeMismatch(f"path {path.text} cannot be applied: {type(exc).__name__}") from None
        ctx.located[path.text] = found
    return found


def _exists(items: list[Item]) -> Tri:
    result: Tri = False
    for item in items:
        if item.whole:
            result = None
        elif item.inside or item.value is not None:
            return True
    return result


def _absent(items: list[Item], key: str | None, record: dict[str, Any]) -> Tri:
    present = _exists(items)
    return None if present is None else not present


def _empty(items: list[Item], key: str | None, record: dict[str, Any]) -> Tri:
    result: Tri = True
    for item in items:
        if item.whole:
            result = None
        elif item.inside or not _is_empty(item.value):  # a run-time member is a member
            return False
    return result


def _not_empty(items: list[Item], key: str | None, record: dict[str, Any]) -> Tri:
    present = _exists(items)
    if present is False:
        return False
    result: Tri = present
    for item in items:
        if item.whole:
            result = None
        elif not item.inside and item.value is not None and _is_empty(item.value):
            return False
    return result


def _no_secrets(items: list[Item], key: str | None, record: dict[str, Any]) -> Tri:
    """FALSE for a secret the file shows; UNKNOWN for a run-time value a secret may be passed in.

    A run-time value is judged by where it goes: under a secret-looking key (DB_PASSWORD)
    the job would receive a secret in plain text through its definition, so it is UNKNOWN;
    under an ordinary key (STAGE) it is not judged a secret. A whole field (Environment.$)
    may hold any key, so it is UNKNOWN.
    """
    from smscan.secrets import find_secrets

    result: Tri = True
    for item in items:
        if item.value is not None and find_secrets(item.value, key):
            return False
        if any(may_be_secret(place, record) for place in item.places):
            result = None
    return result


def _flag_exists(items: list[Item], key: str | None, record: dict[str, Any]) -> Tri:
    return _exists(items)


_FLAGS = {
    "exists": _flag_exists,
    "absent": _absent,
    "empty": _empty,
    "not_empty": _not_empty,
    "no_secrets": _no_secrets,
}


def _value_leaf(leaf: Leaf, items: list[Item], refs: list[Item]) -> tuple[Tri, str]:
    operator = VALUE_OPERATORS[leaf.op]
    present = [i for i in items if i.unknown or i.value is not None]
    arg = leaf.arg
    if leaf.arg_path is not None:
        if any(r.unknown for r in refs):
            return (None, "") if present else (False, "missing")
        known = [r.value for r in refs if r.value is not None]
        if not known:
            return False, f"{leaf.arg_path.text} is missing"
        try:
            arg = operator.prepare(known[0])
        except ArgumentError as exc:
            raise TypeMismatch(f"{leaf.arg_path.text}: {exc}") from None
    if not present:
        return False, "missing"
    test = operator.test
    result: Tri = not leaf.match_any  # all: TRUE until a FALSE; any: FALSE until a TRUE
    for item in present:
        if item.whole:
            outcome: Tri = None
        elif item.inside:
            outcome = _has_keys(item, arg) if leaf.op == "has_keys" and isinstance(item.value, dict) else None
        else:
            outcome = bool(test(item.value, arg))
        if outcome is leaf.match_any:  # the deciding value: TRUE for any, FALSE for all
            return outcome, ""
        if outcome is None:
            result = None
    return result, ""


def _has_keys(item: Item, keys: tuple[str, ...]) -> Tri:
    """A map with run-time entries still lacks a key it does not name (required-tags FAILs)."""
    result: Tri = True
    for key in keys:
        loc = (*item.loc, key)
        if loc in item.inside:
            result = None
        elif any(p[: len(loc)] == loc for p in item.inside):
            continue  # a known entry with run-time parts is not empty
        elif _is_empty(item.value.get(key)):
            return False
    return result
