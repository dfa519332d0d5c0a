"""Coercions from input values to the seed schema's types, one function per seed type.

Each takes (value, field name) and returns the canonical value; the value is never
None here. A value of another type is a RecordError that names the field and the
expected type, never the value (it could be a secret). The rules are listed in
scanner/record/normalize.py's docstring.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from smscan.errors import RecordError
from smscan.record.hstore import parse_hstore
from smscan.record.strict_json import DECODER, deeper_than
from smscan.record.timestamps import to_iso_utc

MAX_NESTING = 200  # describe responses are a few levels deep; deeper is not AWS data
_INT64 = (-(2**63), 2**63 - 1)
_LIST_FIELDS = frozenset(
    {
        "debug_rule_configurations",
        "debug_rule_evaluation_statuses",
        "final_metric_data_list",
        "input_data_config",
        "profiler_rule_configurations",
        "profiler_rule_evaluation_statuses",
        "secondary_status_transitions",
    }
)
_NESTED_TIME_KEYS = frozenset(
    {"StartTime", "EndTime", "Timestamp", "LastModifiedTime", "CreationTime"}
)
# What to_iso_utc writes (a zero fraction is dropped, so ".000000" is not canonical).
_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(?!000000)\d{6})?Z", re.ASCII)



def _bool(value: Any, name: str) -> bool | None:
    if value is True or value is False:
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("t", "true"):
            return True
        if text in ("f", "false"):
            return False
        if not text:
            return None
    raise wrong(name, 'a boolean (true/false or "t"/"f"/"true"/"false")', value)


def _int64(value: Any, name: str) -> int | None:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.lstrip("+-").isdigit() and text.isascii():
            number = int(text)
    if number is None or not _INT64[0] <= number <= _INT64[1]:
        raise wrong(name, "a 64-bit integer", value)
    return number


def _timestamp(value: Any, name: str) -> str | None:
    if isinstance(value, str) and not value.strip():
        return None
    try:
        return to_iso_utc(value)
    except ValueError:
        raise wrong(
            name, "a timestamp (ISO-8601 text, datetime or epoch seconds)", value
        ) from None


def _json_seed(value: Any, name: str) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return None
        text, too_deep = value, False
        try:
            value = DECODER.decode(text)
        except RecursionError:  # deeper than Python's stack
            too_deep = True
        except ValueError:
            raise RecordError(
                f"expected {_container(name)} or JSON text of one, "
                "got text that is not valid JSON",
                field=name,
            ) from None
        # The file source bounds a document's nesting, but not that of JSON text inside it.
        if too_deep or deeper_than(value, MAX_NESTING, text):
            raise RecordError(
                f"expected at most {MAX_NESTING} levels of nesting", field=name
            )
    if name in _LIST_FIELDS:
        if isinstance(value, list):
            return value
    elif type(value) is dict:
        return value
    elif isinstance(value, Mapping):
        return dict(value)
    raise wrong(name, _container(name), value)


def _json_describe(value: Any, name: str) -> Any:
    kind = type(value)  # what a JSON parser gives is a dict or a list: no ABC check for those
    if kind is dict:
        if name in _LIST_FIELDS:
            return _json_seed(value, name)
        # The first level of _plain, for the usual object of strings, numbers and lists of
        # them (VpcConfig, ResourceConfig): nothing to change, found without a call per level.
        for key, item in value.items():
            kind = type(item)
            if kind is str or kind is int or kind is bool or item is None:
                if item is None or key not in _NESTED_TIME_KEYS:
                    continue
            elif kind is list:
                for leaf in item:
                    kind = type(leaf)
                    if not (kind is str or kind is int or kind is bool or leaf is None):
                        return _plain(value, name, 1)
                continue
            return _plain(value, name, 1)
        return value
    if kind is list:
        fits = name in _LIST_FIELDS
    else:
        fits = isinstance(value, (list, tuple) if name in _LIST_FIELDS else Mapping)
    if not fits:
        return _json_seed(value, name)  # CLI JSON and request files may carry JSON text
    return _plain(value, name, 1)


def _plain(value: Any, name: str, depth: int) -> Any:
    """`value` with datetimes (and epoch times under time keys) as ISO text; copy on change."""
    if depth > MAX_NESTING:
        raise RecordError(
            f"expected at most {MAX_NESTING} levels of nesting", field=name
        )
    kind = type(value)
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        out = None if kind is dict else dict(value)
        for key, item in value.items():
            kind = type(item)
            if kind is str or kind is int or kind is bool or item is None:  # most values: no call, no copy
                if item is None or key not in _NESTED_TIME_KEYS:
                    continue
                new = _nested_time(item)
            elif kind is float:
                if not math.isfinite(item):
                    raise _non_finite(name)
                if key not in _NESTED_TIME_KEYS:
                    continue
                new = _nested_time(item)
            elif kind is list and _flat(item) and depth < MAX_NESTING:
                continue  # a list of strings, ints, bools and nulls (Subnets ...): nothing to change
            else:
                new = _plain(item, name, depth + 1)
            if new is not item:
                out = dict(value) if out is None else out
                out[key] = new
        return value if out is None else out
    if kind is list or isinstance(value, (list, tuple)):
        items = None if kind is list else list(value)
        for index, item in enumerate(value):
            kind = type(item)
            if kind is str or kind is int or kind is bool or item is None:
                continue
            if kind is float:
                if not math.isfinite(item):
                    raise _non_finite(name)
                continue
            new = _plain(item, name, depth + 1)
            if new is not item:
                items = list(value) if items is None else items
                items[index] = new
        return value if items is None else items
    if isinstance(value, date):
        return to_iso_utc(value)
    return value


def _flat(items: list[Any]) -> bool:
    for item in items:
        kind = type(item)
        if not (kind is str or kind is int or kind is bool or item is None):
            return False
    return True


def _non_finite(name: str) -> RecordError:
    return RecordError("expected finite numbers, got NaN or infinity", field=name)


def _nested_time(value: int | float | str) -> Any:
    if isinstance(value, bool):
        return value
    if type(value) is str and _CANONICAL_TIME.fullmatch(value):
        return value  # to_iso_utc gives it back unchanged, or fails and it is kept anyway
    try:
        text = to_iso_utc(value)
    except ValueError:
        return value  # not ours to reject: nested values are kept as AWS sent them
    return value if text == value else text


def hstore(value: Any, name: str) -> dict[str, str | None]:
    if isinstance(value, str):
        try:
            return parse_hstore(value)
        except ValueError as err:
            raise RecordError(str(err), field=name) from None
    if type(value) is dict or isinstance(value, Mapping):
        if _all_text(value):  # the usual map: nothing to convert, nothing to refuse
            return dict(value)
        return {_hstore_key(k, name): _hstore_value(v, name) for k, v in value.items()}
    if name == "tags" and isinstance(value, (list, tuple)):  # [{"Key": k, "Value": v}]
        out: dict[str, str | None] = {}
        for item in value:
            if not (type(item) is dict or isinstance(item, Mapping)) or "Key" not in item:
                raise wrong(name, 'a map or a list of {"Key", "Value"} objects', item)
            text, key = item.get("Value"), item["Key"]
            if text is not None and type(text) is not str:  # the value first, as `out[k] = v` checks it
                text = _hstore_value(text, name)
            if type(key) is not str:
                key = _hstore_key(key, name)
            out[key] = text
        return out
    raise wrong(name, "a map of strings (an object or hstore text)", value)


def _all_text(value: Mapping[Any, Any]) -> bool:
    for key, text in value.items():
        if type(key) is not str or (text is not None and type(text) is not str):
            return False
    return True


def _hstore_key(key: Any, name: str) -> str:
    if isinstance(key, str):
        return key
    raise wrong(name, "string keys", key)


def _hstore_value(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise wrong(name, "string values", value)


def _container(name: str) -> str:
    return "a JSON array" if name in _LIST_FIELDS else "a JSON object"


def wrong(name: str, expected: str, value: Any) -> RecordError:
    """The one error for a value of the wrong type: names its type, never the value."""
    return RecordError(f"expected {expected}, got {type_name(value)}", field=name)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


Coerce = Callable[[Any, str], Any]
SEED_COERCE: dict[str, Coerce | None] = {
    "string": None,  # inlined in normalize's loop: most fields are strings
    "bool": _bool,
    "int64": _int64,
    "timestamp": _timestamp,
    "json": _json_seed,
    "hstore": hstore,
}
DESCRIBE_COERCE = {**SEED_COERCE, "json": _json_describe}
