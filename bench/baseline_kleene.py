"""The baseline's three-valued leaves, for records with values known only at run time.

Written the straightforward way, apart from scanner/policy/kleene.py, to the semantics
docs/POLICIES.md states: jsonpath-ng finds the matches (with their full paths), and a
run-time place is met when it lies on a match's path, under a match, or where the path
would have gone had the file given the value. tests/test_engine_exactness.py checks that
the engine and this give the same status.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jsonpath_ng.jsonpath import Child, Fields, Index, Root, Wildcard

from smscan.secrets import detect, find_secrets

Loc = tuple[str, ...]
STAR = object()  # a wildcard step
_FLAG = re.compile(r"--?([A-Za-z][A-Za-z0-9_.-]{0,63})")


@dataclass
class Item:
    loc: Loc
    value: Any
    whole: bool = False  # the value here is set at run time
    inside: tuple[Loc, ...] = ()  # run-time places below it

    def places(self) -> tuple[Loc, ...]:
        return (self.loc,) if self.whole else self.inside


def tokens(pointer: str) -> Loc:
    if not pointer:
        return ()
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))


def steps_of(expr: Any) -> list[Any] | None:
    """The plain steps of a parsed path (names, indexes, STAR); None for anything else."""
    if isinstance(expr, Root):
        return []
    if not isinstance(expr, Child):
        return None
    head, step = steps_of(expr.left), expr.right
    if head is None:
        return None
    if isinstance(step, Fields) and len(step.fields) == 1:
        return [*head, step.fields[0]]
    if isinstance(step, Index) and len(step.indices) == 1:
        return [*head, step.indices[0]]
    if isinstance(step, Wildcard):
        return [*head, STAR]
    return None


def _resolve(doc: Any, loc: Loc) -> tuple[bool, Any]:
    for token in loc:
        if isinstance(doc, dict) and token in doc:
            doc = doc[token]
        elif isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
            doc = doc[int(token)]
        else:
            return False, None
    return True, doc


def _match_loc(full_path: Any, record: Any) -> Loc:
    """A jsonpath-ng full path as pointer tokens (negative indexes counted from the end)."""
    if isinstance(full_path, Child):
        head = _match_loc(full_path.left, record)
        step = full_path.right
    else:
        head, step = (), full_path
    if isinstance(step, Fields):
        return (*head, step.fields[0])
    if isinstance(step, Index):
        i = step.indices[0]
        _, parent = _resolve(record, head)
        return (*head, str(i % len(parent) if i < 0 else i))
    return head


def _follows(place: Loc, steps: list[Any], record: Any) -> bool:
    """True when the path's steps lead onto `place` (whose parent the data holds)."""
    if len(place) > len(steps):
        return False
    found, parent = _resolve(record, place[:-1])
    if not found or not place:
        return False
    for token, step, depth in zip(place, steps, range(len(place)), strict=False):
        _, container = _resolve(record, place[:depth])
        if step is STAR:
            if isinstance(container, list) and not (token.isdigit() and int(token) < len(container)):
                return False
            if not isinstance(container, (dict, list)):
                return False
        elif isinstance(step, int):
            if not isinstance(container, list) or not -len(container) <= step < len(container):
                return False
            if token != str(step % len(container)):
                return False
        elif not isinstance(container, dict) or token != step:
            return False
    return True


def items(expr: Any, top: str | None, record: dict[str, Any], places: set[Loc]) -> list[Item]:
    if () in places:
        return [Item((), None, whole=True)]
    steps = steps_of(expr)
    if steps is None:  # a filter or slice: any run-time value in its field leaves it open
        if any(top is None or place[0] == top for place in places):
            return [Item((top,) if top else (), None, whole=True)]
        return [Item((), m.value) for m in expr.find(record)]
    out: list[Item] = []
    seen: set[Loc] = set()
    for match in expr.find(record):
        loc = _match_loc(match.full_path, record)
        ancestors = [loc[:i] for i in range(len(loc)) if loc[:i] in places]
        if ancestors:
            if ancestors[0] not in seen:
                seen.add(ancestors[0])
                out.append(Item(ancestors[0], None, whole=True))
        elif loc in places:
            seen.add(loc)
            out.append(Item(loc, None, whole=True))  # whatever the data holds there
        else:
            below = tuple(sorted(p for p in places if len(p) > len(loc) and p[: len(loc)] == loc))
            out.append(Item(loc, match.value, inside=below))
    for place in sorted(places):
        if place in seen or any(place[:i] in places for i in range(len(place))):
            continue
        if _follows(place, steps, record):
            out.append(Item(place, None, whole=True))
    return out


def may_be_secret(place: Loc, record: dict[str, Any]) -> bool:
    """A run-time value under a secret-looking key, or a whole field (any key may be in it)."""
    if len(place) <= 1:
        return True
    key: str | None = place[-1]
    _, parent = _resolve(record, place[:-1])
    while isinstance(parent, list) and key is not None and key.isdigit():
        i = int(key)
        before = parent[i - 1] if 0 < i <= len(parent) else None
        if isinstance(before, str) and _FLAG.fullmatch(before):
            key = _FLAG.fullmatch(before)[1]  # type: ignore[index]
            break
        place = place[:-1]
        key = place[-1] if place else None
        _, parent = _resolve(record, place[:-1])
    return key is not None and detect("value-known-at-run-time", key) is not None


def flag(op: str, found: list[Item], key: str | None, record: dict[str, Any]) -> bool | None:
    present = any(not i.whole and (i.inside or i.value is not None) for i in found)
    whole = any(i.whole for i in found)
    if op in ("exists", "absent"):
        exists = True if present else None if whole else False
        return exists if op == "exists" or exists is None else not exists
    if op == "empty":
        if any(not i.whole and (i.inside or not _empty(i.value)) for i in found):
            return False
        return None if whole else True
    if op == "not_empty":
        if not present and not whole:
            return False
        if any(not i.whole and not i.inside and i.value is not None and _empty(i.value) for i in found):
            return False
        return True if present and not whole else None
    assert op == "no_secrets"
    if any(i.value is not None and find_secrets(i.value, key) for i in found):
        return False
    return None if any(may_be_secret(p, record) for i in found for p in i.places()) else True


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, (str, list, dict)) and len(v) == 0)


def value_leaf(
    found: list[Item], refs: list[Item] | None, op: str, arg: Any, match_any: bool,
    test: Callable[[str, Any, Any], bool], prepare: Callable[[Any], Any],
) -> bool | None:
    present = [i for i in found if i.whole or i.inside or i.value is not None]
    if refs is not None:
        if any(r.whole or r.inside for r in refs):
            return None if present else False
        known = [r.value for r in refs if r.value is not None]
        if not known:
            return False
        arg = prepare(known[0])
    if not present:
        return False
    outcomes: list[bool | None] = []
    for item in present:
        if item.whole:
            outcome: bool | None = None
        elif item.inside:
            outcome = _has_keys(item, arg) if op == "has_keys" and isinstance(item.value, dict) else None
        else:
            outcome = test(op, item.value, arg)
        if outcome is match_any:
            return outcome
        outcomes.append(outcome)
    return None if None in outcomes else not match_any


def _has_keys(item: Item, keys: Any) -> bool | None:
    open_keys = False
    for key in keys:
        loc = (*item.loc, key)
        if loc in item.inside:
            open_keys = True
        elif not any(p[: len(loc)] == loc for p in item.inside) and _empty(item.value.get(key)):
            return False
    return None if open_keys else True
