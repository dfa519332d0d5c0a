"""A parsed JSON line to its Record in one call, for the key orders a fleet export repeats.

What `normalize` does with a plain job (tell its shape, convert it through the plan's
layout, fill in the identity from the ARN, make the Origin and the Record) depends on its
keys and their order only, save for the values themselves. Once a key order has gone that
way `DIRECT_AFTER` times, the whole of it is compiled into one straight-line function:
the values are unpacked from the document at once, and no call is left but the coercions
of the fields they need (the record's dict, Origin and Record are made in place).

The function answers None, and the caller takes normalize's way, for anything but the
common case: a value whose check or coercion fails (normalize words the error), a value
a coercion would convert (a "true" string for a bool), an ARN whose prefix parse_arn has
not taken yet, or none. Its answer is then normalize's, held to it by a test
(tests/test_fast_paths.py); `NormalizeStats` counts only the records it returns.

The source compiled holds only schema field names and indices, as in plan.py; the
coercions and the cached ARN prefixes are passed in as values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smscan.errors import RecordError
from smscan.models import Origin, Record
from smscan.record import normalize as _normalize
from smscan.record.plan import (
    _BOOL,
    _EMPTY,
    _MAX_LAYOUTS,
    DESCRIBE_PLAN,
    SEED_PLAN,
    Layout,
    Plan,
    lazy_plans,
)
from smscan.record.shapes import plain_job

# Lines of one key order before its reader is compiled: a compile costs what the reader saves
# on a few hundred lines, so the rarer orders of a fleet keep normalize's way.
DIRECT_AFTER = 64
Direct = Callable[[dict[str, Any], str, int, "_normalize.NormalizeStats"], Record | None]
_JOB = _normalize._JOB


class DirectTable:
    """The compiled readers of one set of fields to coerce (None: every field)."""

    def __init__(self, read: frozenset[str] | None) -> None:
        self.describe, self.seed = (DESCRIBE_PLAN, SEED_PLAN) if read is None else lazy_plans(read)
        self.by_keys: dict[tuple[str, ...], Direct] = {}  # tuple(doc) -> its reader
        self._refused: set[tuple[str, ...]] = set()  # key orders it cannot take
        self._seen: dict[tuple[str, ...], int] = {}

    def seen(self, doc: dict[str, Any]) -> None:
        """Note a document `normalize` took: its key set gets a reader when seen often."""
        keys = tuple(doc)
        if keys in self._refused or keys in self.by_keys:  # a reader that gave it back: not compiled again
            return
        if len(self._seen) >= _MAX_LAYOUTS and keys not in self._seen:
            self._seen.clear()  # a file whose every line orders its keys anew: no table grows
        count = self._seen[keys] = self._seen.get(keys, 0) + 1
        if count < DIRECT_AFTER:
            return
        del self._seen[keys]
        if len(self.by_keys) + len(self._refused) >= _MAX_LAYOUTS:
            self.by_keys.clear()
            self._refused.clear()
        made = self._make(keys)
        if made is None:
            self._refused.add(keys)
        else:
            self.by_keys[keys] = made

    def _make(self, keys: tuple[str, ...]) -> Direct | None:
        probe = dict.fromkeys(keys)
        if not plain_job(probe):
            return None
        describe = _normalize._is_describe(probe)  # decided by the identity keys plain_job asks for
        if describe and "TrainingJob" in probe and "TrainingJobName" not in probe:
            return None  # a Search item or not: the value decides
        return _compile(self.describe if describe else self.seed, keys)


_TABLES: dict[frozenset[str] | None, DirectTable] = {}
_MAX_TABLES = 32  # as many as lazy_plans keeps


def table(read: frozenset[str] | None) -> DirectTable:
    """The readers for `read`, shared by every JsonRecords reading those fields."""
    found = _TABLES.get(read)
    if found is None:
        if len(_TABLES) >= _MAX_TABLES:
            _TABLES.clear()
        found = _TABLES[read] = DirectTable(read)
    return found


def _compile(plan: Plan, keys: tuple[str, ...]) -> Direct | None:
    layout = plan.layout(keys)
    at = {key: index for index, key in enumerate(keys)}
    if not any(name == "training_job_arn" for _, name, _ in layout.checked):
        return None  # the identity comes from elsewhere (normalize._identify): normalize's way
    env: dict[str, Any] = {
        "_copy": _EMPTY.copy,
        "_new": object.__new__,
        "_set": object.__setattr__,
        "_Origin": Origin,
        "_Record": Record,
        "_RecordError": RecordError,
        "_prefixes": _normalize._PREFIXES,
        "_unknown": layout.unknown,
    }
    arn = f"v{at[_arn_key(layout)]}"
    skip = len(_JOB)
    src = [
        "def direct(doc, source, line, stats):",
        f"    ({', '.join(f'v{i}' for i in range(len(keys)))},) = doc.values()",
        # parse_arn's answer for a prefix it has taken; any other ARN is parse_arn's to judge
        f"    if type({arn}) is not str:",
        "        return None",
        f"    end = {arn}.find({_JOB!r})",
        f"    known = _prefixes.get({arn}[:end]) if end > 0 and len({arn}) > end + {skip} else None",
        "    if known is None:",
        "        return None",
    ]
    stores = [f"    data[{name!r}] = v{at[key]}" for name, key in zip(layout.given_names, layout.given_keys, strict=True)]
    coerced: list[str] = []
    for key, name, coerce in layout.checked:
        value = f"v{at[key]}"
        if coerce is None:
            src += [f"    if {value} is not None and type({value}) is not str:", "        return None"]
        elif coerce is _BOOL:
            src += [f"    if {value} is not None and {value} is not True and {value} is not False:", "        return None"]
        else:
            env[f"_c{at[key]}"] = coerce
            coerced += [f"        if {value} is not None:", f"            {value} = _c{at[key]}({value}, {name!r})"]
        if name not in ("_key", "account_id", "region", "training_job_arn", "training_job_name"):
            stores.append(f"    data[{name!r}] = {value}")
    if coerced:
        src += ["    try:", *coerced, "    except _RecordError:", "        return None"]
    name_value = next((f"v{at[key]}" for key, field, _ in layout.checked if field == "training_job_name"), None)
    src += [
        "    data = _copy()",
        *stores,
        # what normalize._identify fills in from the ARN
        f"    data['_key'] = data['training_job_arn'] = {arn}",
        "    data['account_id'] = known[0]",
        "    data['region'] = known[1]",
        f"    data['training_job_name'] = {name_value or 'None'} or {arn}[end + {skip}:]",
        "    stats.records += 1",
    ]
    if layout.unknown:
        src.append("    stats.unknown_keys.update(_unknown)")
    src += [
        "    origin = _new(_Origin)",
        "    _set(origin, '__dict__', {'source': source, 'line': line, 'pointer': None})",
        "    record = _new(_Record)",
        "    _set(record, '__dict__', {'data': data, 'origin': origin, 'key_lines': {}, 'unknown': {}})",
        "    return record",
    ]
    exec("\n".join(src), env)  # noqa: S102 - schema names and indices only (see the module docstring)
    return env["direct"]


def _arn_key(layout: Layout) -> str:
    return next(key for key, name, _ in layout.checked if name == "training_job_arn")
