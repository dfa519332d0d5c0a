"""Strict JSON reading shared by the file source and the JSON-text columns of inventory rows.

Python's json accepts NaN, Infinity and 1e999; JSON (RFC 8259) does not, and a non-finite
number that reached a report would make the JSON report invalid. Nesting is bounded by a
walk that needs no recursion, so a 10,000-level document cannot exhaust the stack.
"""

from __future__ import annotations

import json
from typing import Any


class NotJson(ValueError):
    """A number json.loads would accept but JSON does not: NaN, Infinity, 1e999."""


def _no_constant(name: str) -> float:
    raise NotJson(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value - value != 0:  # inf (nan cannot come from a JSON number)
        raise NotJson("a number too large for a 64-bit float")
    return value


DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)


def deeper_than(value: Any, limit: int, text: str = "", start: int = 0, end: int | None = None) -> bool:
    """True when `value` nests more than `limit` levels of objects and arrays.

    Given the text it was decoded from, counting brackets first (C speed) rules out nearly
    every document before any walk.
    """
    if text and text.count("{", start, end) + text.count("[", start, end) <= limit:
        return False
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False
