"""The OPERATORS table: every comparison a policy leaf can make, by name.

Two kinds. A *flag* operator (`exists: true`) judges the whole list of values a
path matched, including "nothing matched". A *value* operator judges each matched
value against an argument; a path that matched nothing never satisfies it (see
docs/POLICIES.md). Arguments are checked and prepared (regexes compiled) at load.
A record value of the wrong type raises TypeMismatch: the engine turns that into
ERROR, because a policy that cannot judge a record must never report PASS.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from smscan.policy.regex_safety import check_regex


class TypeMismatch(Exception):
    """The record holds a value of a type this operator cannot judge."""


class ArgumentError(ValueError):
    """The policy gave an operator an argument it cannot use (a load-time error)."""


def _missing(value: Any) -> bool:
    return value is None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and len(value) == 0)


# --- flag operators: judge the list of matched values --------------------------------
# `key` is the path's last name (DB_PASSWORD in $.environment.DB_PASSWORD): the secret
# detector needs it to judge a bare string by its key name.


def _exists(values: Sequence[Any], key: str | None = None) -> bool:
    return any(not _missing(v) for v in values)


def _empty(values: Sequence[Any], key: str | None = None) -> bool:
    return all(_is_empty(v) for v in values)


def _not_empty(values: Sequence[Any], key: str | None = None) -> bool:
    present = [v for v in values if not _missing(v)]
    return bool(present) and not any(_is_empty(v) for v in present)


def _absent(values: Sequence[Any], key: str | None = None) -> bool:
    return not _exists(values)


def _no_secrets(values: Sequence[Any], key: str | None = None) -> bool:
    from smscan.secrets import find_secrets

    return not any(find_secrets(v, key) for v in values if not _missing(v))


FLAG_OPERATORS: dict[str, Callable[[Sequence[Any], str | None], bool]] = {
    "exists": _exists,
    "absent": _absent,
    "empty": _empty,
    "not_empty": _not_empty,
    "no_secrets": _no_secrets,
}

# The same flags on a path that matched exactly one value (`flag([value])`), for the
# verdict fast path: no list per leaf. no_secrets is not here (it is memoized apart).
ONE_VALUE_FLAGS: dict[str, Callable[[Any], bool]] = {
    "exists": lambda value: value is not None,
    "absent": lambda value: value is None,
    "empty": _is_empty,
    "not_empty": lambda value: value is not None and not (isinstance(value, (str, list, dict)) and len(value) == 0),
}


# --- value operators: judge one value against a prepared argument --------------------


def _number(value: Any, op: str) -> float:
    if not _is_number(value):
        raise TypeMismatch(f"{op} needs a number, the record has {type_name(value)}")
    return float(value)


def _equals(value: Any, arg: Any) -> bool:
    # `true == 1` in Python; a policy asking for `true` must not accept 1.
    return type(value) is type(arg) and value == arg if isinstance(arg, bool) else value == arg


def _in(value: Any, arg: Sequence[Any]) -> bool:
    return any(_equals(value, item) for item in arg)


def _matches(value: Any, arg: re.Pattern[str]) -> bool:
    if not isinstance(value, str):
        raise TypeMismatch(f"matches needs a string, the record has {type_name(value)}")
    return arg.search(value) is not None


def _contains(value: Any, arg: Any) -> bool:
    if isinstance(value, str):
        if not isinstance(arg, str):
            raise TypeMismatch("contains on a string needs a string argument")
        return arg in value
    if isinstance(value, list):
        return any(_equals(item, arg) for item in value)
    if isinstance(value, dict):
        if not isinstance(arg, (str, int, float, bool)):
            raise TypeMismatch(f"contains on a map needs a key, the policy gives {type_name(arg)}")
        return arg in value
    raise TypeMismatch(f"contains needs a string, list or map, the record has {type_name(value)}")


def _starts_with(value: Any, arg: tuple[str, ...]) -> bool:
    if not isinstance(value, str):
        raise TypeMismatch(f"starts_with needs a string, the record has {type_name(value)}")
    return value.startswith(arg)


def _has_keys(value: Any, arg: Sequence[str]) -> bool:
    if not isinstance(value, dict):
        raise TypeMismatch(f"has_keys needs a map, the record has {type_name(value)}")
    return all(not _is_empty(value.get(key)) for key in arg)


def _length(value: Any, op: str) -> int:
    if not isinstance(value, (str, list, dict)):
        raise TypeMismatch(f"{op} needs a string, list or map, the record has {type_name(value)}")
    return len(value)


@dataclass(frozen=True)
class ValueOperator:
    test: Callable[[Any, Any], bool]
    prepare: Callable[[Any], Any]  # validates and converts the argument; raises ArgumentError
    expects: str  # what the argument must be, for error messages


def _any_arg(arg: Any) -> Any:
    return arg


def _list_arg(arg: Any) -> tuple[Any, ...]:
    if not isinstance(arg, list):
        raise ArgumentError("expected a list")
    return tuple(arg)


def _str_list_arg(arg: Any) -> tuple[str, ...]:
    items = [arg] if isinstance(arg, str) else arg
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ArgumentError("expected a string or a list of strings")
    return tuple(items)


def _number_arg(arg: Any) -> float:
    if not _is_number(arg):
        raise ArgumentError("expected a number")
    return float(arg)


def _int_arg(arg: Any) -> int:
    if not isinstance(arg, int) or isinstance(arg, bool) or arg < 0:
        raise ArgumentError("expected a non-negative integer")
    return arg


def _regex_arg(arg: Any) -> re.Pattern[str]:
    if not isinstance(arg, str):
        raise ArgumentError("expected a regular expression string")
    try:
        return check_regex(arg)
    except ValueError as exc:
        raise ArgumentError(str(exc)) from None


def _compare(name: str, cmp: Callable[[float, float], bool]) -> ValueOperator:
    return ValueOperator(lambda v, a: cmp(_number(v, name), a), _number_arg, "a number")


# The comparisons of the number operators, for the verdict fast path to apply to an int or
# a float directly (their argument is prepared as a float; the value is compared as one).
NUMBER_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _length_bound(name: str, cmp: Callable[[int, int], bool]) -> ValueOperator:
    return ValueOperator(lambda v, a: cmp(_length(v, name), a), _int_arg, "a non-negative integer")


VALUE_OPERATORS: dict[str, ValueOperator] = {
    "equals": ValueOperator(_equals, _any_arg, "any value"),
    "not_equals": ValueOperator(lambda v, a: not _equals(v, a), _any_arg, "any value"),
    "in": ValueOperator(_in, _list_arg, "a list"),
    "not_in": ValueOperator(lambda v, a: not _in(v, a), _list_arg, "a list"),
    "matches": ValueOperator(_matches, _regex_arg, "a regular expression"),
    "not_matches": ValueOperator(lambda v, a: not _matches(v, a), _regex_arg, "a regex"),
    "contains": ValueOperator(_contains, _any_arg, "any value"),
    "starts_with": ValueOperator(_starts_with, _str_list_arg, "a string or list of strings"),
    "has_keys": ValueOperator(_has_keys, _str_list_arg, "a list of strings"),
    "gt": _compare("gt", NUMBER_COMPARISONS["gt"]),
    "ge": _compare("ge", NUMBER_COMPARISONS["ge"]),
    "lt": _compare("lt", NUMBER_COMPARISONS["lt"]),
    "le": _compare("le", NUMBER_COMPARISONS["le"]),
    "length_ge": _length_bound("length_ge", lambda v, a: v >= a),
    "length_le": _length_bound("length_le", lambda v, a: v <= a),
}

OPERATOR_NAMES = tuple(FLAG_OPERATORS) + tuple(VALUE_OPERATORS)


def type_name(value: Any) -> str:
    """A value's JSON type name, for messages that must not show the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if _is_number(value):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    return type(value).__name__
