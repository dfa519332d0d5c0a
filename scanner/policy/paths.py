"""JSONPath, compiled once at load.

Most policy paths are plain lookups (`$.vpc_config.Subnets[*]`). Those are compiled
to a tuple of steps walked with dict/list indexing, which is many times faster than
jsonpath-ng's generic `find()` and returns the same values. Anything else (filters,
slices, recursive descent) goes to jsonpath-ng's extended parser.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Star(enum.Enum):
    ANY = "*"  # `[*]` and `.*`: jsonpath-ng treats them alike


# A step is a map key (str), a list index (int) or a wildcard.
Step = str | int | Star

_STEP = re.compile(
    r"""\.(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)
      | \.\*(?P<dotstar>)
      | \[\s*(?P<index>-?\d+)\s*\]
      | \[\s*\*\s*\](?P<star>)
      | \[\s*'(?P<sq>[^'\\]*)'\s*\]
      | \[\s*"(?P<dq>[^"\\]*)"\s*\]""",
    re.VERBOSE,
)
_TOP_FIELD = re.compile(r"^\$\.([A-Za-z_][A-Za-z0-9_]*)|^\$\[\s*['\"]([^'\"]+)['\"]\s*\]")


class PathSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class CompiledPath:
    text: str
    top_field: str | None  # the record field this path reads; None when it cannot be told
    finder: Callable[[Any], list[Any]]
    keys: tuple[str, ...] | None = None  # set when the path is plain map keys ($.a.b.c)
    # False when values may come apart from their key: a last step `.*`/`[*]`, or any
    # jsonpath-ng expression. Secret detection judges a value by its key too.
    keyed: bool = True
    # The plain steps of a path the fast walker handles; None for a jsonpath-ng expression.
    # Three-valued evaluation walks them to find where a path meets a run-time value.
    steps: tuple[Step, ...] | None = None

    def find(self, record: Any) -> list[Any]:
        return self.finder(record)


def _parse_simple(text: str) -> tuple[Step, ...] | None:
    if not text.startswith("$"):
        return None
    steps: list[Step] = []
    pos = 1
    while pos < len(text):
        m = _STEP.match(text, pos)
        if m is None:
            return None
        if m.group("name") is not None:
            steps.append(m.group("name"))
        elif m.group("index") is not None:
            steps.append(int(m.group("index")))
        elif m.group("sq") is not None:
            steps.append(m.group("sq"))
        elif m.group("dq") is not None:
            steps.append(m.group("dq"))
        else:
            steps.append(Star.ANY)
        pos = m.end()
    return tuple(steps)


def _wildcard(value: Any) -> list[Any]:
    # jsonpath-ng (>= 1.16) semantics for both `[*]` and `.*`, so the fast path and
    # jsonpath-ng always agree: a list's items or a map's values; nothing for a scalar.
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return []


def _walk(steps: tuple[Step, ...]) -> Callable[[Any], list[Any]]:
    if all(isinstance(s, str) for s in steps):
        # The commonest shape ($.a.b.c): no list building until the end.
        def find_keys(doc: Any) -> list[Any]:
            for step in steps:
                if not isinstance(doc, dict) or step not in doc:
                    return []
                doc = doc[step]
            return [doc]

        return find_keys

    stars = [i for i, s in enumerate(steps) if isinstance(s, Star)]
    if len(stars) == 1 and all(isinstance(s, str) for s in steps if not isinstance(s, Star)):
        return _walk_one_star(
            tuple(s for s in steps[: stars[0]] if isinstance(s, str)),
            tuple(s for s in steps[stars[0] + 1 :] if isinstance(s, str)),
        )

    def find(doc: Any) -> list[Any]:
        current = [doc]
        for step in steps:
            found: list[Any] = []
            for value in current:
                if isinstance(step, Star):
                    found.extend(_wildcard(value))
                elif isinstance(step, int):
                    if isinstance(value, list) and -len(value) <= step < len(value):
                        found.append(value[step])
                elif isinstance(value, dict) and step in value:
                    found.append(value[step])
            current = found
            if not current:
                break
        return current

    return find


def _walk_one_star(before: tuple[str, ...], after: tuple[str, ...]) -> Callable[[Any], list[Any]]:
    """`$.a.b[*].c.d`: keys down to the wildcard, its items, and keys on from each item; the
    same values as the generic walk, in the same order (the shape of most list paths)."""

    def find_star(doc: Any) -> list[Any]:
        for step in before:
            if not isinstance(doc, dict) or step not in doc:
                return []
            doc = doc[step]
        found = []
        for item in _wildcard(doc):
            for step in after:
                if not isinstance(item, dict) or step not in item:
                    break
                item = item[step]
            else:
                found.append(item)
        return found

    return find_star


def _jsonpath_ng(text: str) -> Callable[[Any], list[Any]]:
    from jsonpath_ng.exceptions import JSONPathError
    from jsonpath_ng.ext import parse

    try:
        expr = parse(text)
    except JSONPathError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PathSyntaxError(message) from None

    def find(doc: Any) -> list[Any]:
        # Filters compare record values of any type; a TypeError there is a record
        # the policy cannot judge, which the engine reports as ERROR.
        return [match.value for match in expr.find(doc)]

    return find


def compile_path(text: str) -> CompiledPath:
    """Compile a JSONPath. Raises PathSyntaxError with jsonpath-ng's reason."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathSyntaxError("a path must start with '$'")
    top = _TOP_FIELD.match(text)
    top_field = (top.group(1) or top.group(2)) if top else None
    steps = _parse_simple(text)
    if steps is not None:
        if steps and isinstance(steps[0], str):
            top_field = steps[0]
        elif steps:
            top_field = None  # `$[*]` or `$.*` reads every field
        keys = tuple(s for s in steps if isinstance(s, str))
        plain = keys if keys and len(keys) == len(steps) else None
        keyed = not steps or not isinstance(steps[-1], Star)
        return CompiledPath(text, top_field, _walk(steps), plain, keyed, steps)
    return CompiledPath(text, top_field, _jsonpath_ng(text), keyed=False)


def pointer_prefixes(text: str) -> list[str]:
    """JSON pointers for a path's leading plain steps, longest first, ending with "" (the record).

    `$.vpc_config.Subnets[*]` -> ["/vpc_config/Subnets", "/vpc_config", ""]. Used to point a
    request-file finding at the line of the offending key, or of the job when the key is missing.
    """
    steps = _parse_simple(text) or ()
    pointers = [""]
    current = ""
    for step in steps:
        if isinstance(step, Star):
            break
        current += "/" + str(step).replace("~", "~0").replace("/", "~1")
        pointers.append(current)
    return pointers[::-1]
