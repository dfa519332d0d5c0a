"""Reject regexes that can take exponential time before they ever meet a record.

Python's `re` backtracks; a nested unbounded quantifier such as `(a+)+` or
`(\\w*)*` can take seconds on a 30-character string. Policies run on records from
untrusted pull requests, so such a pattern is refused at load with a message
that names the construct. The check walks `re`'s own parse tree, so it sees what
the engine will run, not a textual guess.
"""

from __future__ import annotations

import re
from typing import Any

try:  # Python 3.11 moved the parser; 3.10 still has the old module name.
    import re._parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse

_REPEATS = {
    sre_parse.MAX_REPEAT,
    sre_parse.MIN_REPEAT,
    getattr(sre_parse, "POSSESSIVE_REPEAT", None),
}
_UNBOUNDED = sre_parse.MAXREPEAT
MAX_PATTERN_LENGTH = 1000


class UnsafeRegex(ValueError):
    pass


def _has_unbounded_repeat(items: Any) -> bool:
    for op, av in items:
        if op in _REPEATS:
            _low, high, sub = av
            if high == _UNBOUNDED or _has_unbounded_repeat(sub):
                return True
        elif op is sre_parse.SUBPATTERN and _has_unbounded_repeat(av[-1]):
            return True
        elif op is sre_parse.BRANCH and any(_has_unbounded_repeat(b) for b in av[1]):
            return True
    return False


def _check_nesting(items: Any) -> None:
    for op, av in items:
        if op in _REPEATS:
            _low, high, sub = av
            if high == _UNBOUNDED and _has_unbounded_repeat(sub):
                raise UnsafeRegex(
                    "nested unbounded quantifier (like (a+)+) can take exponential time; "
                    "rewrite it without a repeat inside a repeat"
                )
            _check_nesting(sub)
        elif op is sre_parse.SUBPATTERN:
            _check_nesting(av[-1])
        elif op is sre_parse.BRANCH:
            for branch in av[1]:
                _check_nesting(branch)


def check_regex(pattern: str) -> re.Pattern[str]:
    """Compile a policy regex, or raise UnsafeRegex/ValueError saying why it is refused."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafeRegex(f"pattern longer than {MAX_PATTERN_LENGTH} characters")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    _check_nesting(sre_parse.parse(pattern))
    return compiled
