"""Which input key becomes which seed field, and how its value is coerced (normalize.py).

A `Plan` is that map for one input shape (describe: PascalCase keys; seed: the field
names) and one set of fields to coerce (lazy normalization keeps the others as given).
Converting walks the document's keys, not the 47 fields: a describe answer holds about
half of them. The documents of one file nearly always list the same keys in the same
order, so the walk is worked out once per key order (a `Layout`): the fields kept as
given are copied in one C-level update, and only those to check or coerce are visited,
in the document's order, so the first bad value is the one reported, as a plain walk
would report it. A key order seen again and again (every line of a fleet export) gets that
walk as one straight-line function, compiled once: a loop over the layout's steps spends
more time on the loop than on the fields. The source it compiles holds only the schema's
field names and indices; the document's keys and the coercions are passed in as values.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Container, Mapping
from typing import Any, NamedTuple

from smscan.record.coerce import DESCRIBE_COERCE, SEED_COERCE, Coerce, wrong
from smscan.record.schema import FIELDS_BY_AWS_KEY, FIELDS_BY_NAME, SEED_FIELDS

# Always coerced: the identity every report, waiver and baseline uses (models.Resource,
# gate.waivers, gate.baseline), whatever the policies read.
IDENTITY = frozenset(
    {"_key", "training_job_name", "training_job_arn", "account_id", "region", "training_job_status", "tags"}
)
ORDER = tuple(f.name for f in SEED_FIELDS)
_EMPTY = dict.fromkeys(ORDER)  # every field absent, in order: each record starts as a copy
_BOOL = SEED_COERCE["bool"]
_MAX_LAYOUTS = 256  # key orders kept per plan; past it the cache starts over (exports hold dozens)
# Conversions of one key order before it is compiled: a file whose every line orders its
# keys differently must not pay a compile per line.
_COMPILE_AFTER = 8

_Steps = tuple[tuple[str, str | None, Coerce | None], ...]  # (field, input key, coercion)
_ByKey = dict[str, tuple[str, Coerce | None]]  # input key -> (field, coercion; None: a string)


def as_given(value: Any, name: str) -> Any:
    return value


class Layout(NamedTuple):
    given_names: tuple[str, ...]  # fields kept as the document gives them ...
    given_keys: tuple[str, ...]  # ... from these keys
    checked: tuple[tuple[str, str, Coerce | None], ...]  # (key, field, coercion), document order
    unknown: tuple[str, ...] | None  # keys no field comes from, and not known either (counted)


_Compiled = tuple[Callable[[Mapping[str, Any]], dict[str, Any]], tuple[str, ...] | None]  # (convert, unknown)


class Plan:
    def __init__(self, by_key: _ByKey, known: Container[str]) -> None:
        self.by_key = by_key
        self.known = known
        self._layouts: dict[tuple[str, ...], Layout] = {}
        self._compiled: dict[tuple[str, ...], _Compiled] = {}
        self._seen: Counter[tuple[str, ...]] = Counter()

    def convert(self, doc: Mapping[str, Any], unknown_keys: Counter[str] | None) -> dict[str, Any]:
        """Every seed field, in order, each present value coerced to its type; the input's
        keys that no field comes from are counted in `unknown_keys`."""
        keys = tuple(doc)
        compiled = self._compiled.get(keys)
        if compiled is None:
            return self._walk(doc, keys, unknown_keys)
        data = compiled[0](doc)
        if unknown_keys is not None and compiled[1]:
            unknown_keys.update(compiled[1])
        return data

    def layout(self, keys: tuple[str, ...]) -> Layout:
        """The walk for documents listing `keys` in this order."""
        return self._layouts.get(keys) or self._layout(keys)

    def _walk(self, doc: Mapping[str, Any], keys: tuple[str, ...], unknown_keys: Counter[str] | None) -> dict[str, Any]:
        layout = self.layout(keys)
        self._seen[keys] += 1
        if self._seen[keys] >= _COMPILE_AFTER:
            if len(self._compiled) >= _MAX_LAYOUTS:
                self._compiled.clear()
            self._compiled[keys] = (_compile(keys, layout), layout.unknown)
            del self._seen[keys]
        data = _EMPTY.copy()
        if layout.given_keys:
            data.update(zip(layout.given_names, map(doc.__getitem__, layout.given_keys), strict=True))
        for key, name, coerce in layout.checked:
            value = doc[key]
            if value is None:
                continue
            if coerce is None:
                if type(value) is not str and not isinstance(value, str):
                    raise wrong(name, "a string", value)
                data[name] = value
            elif coerce is _BOOL and (value is True or value is False):
                data[name] = value  # what the coercion gives a JSON boolean, without the call
            else:
                data[name] = coerce(value, name)
        if unknown_keys is not None and layout.unknown:
            unknown_keys.update(layout.unknown)
        return data

    def _layout(self, keys: tuple[str, ...]) -> Layout:
        given: list[tuple[str, str]] = []
        checked: list[tuple[str, str, Coerce | None]] = []
        unmapped = False
        for key in keys:
            entry = self.by_key.get(key)
            if entry is None:
                unmapped = True
            elif entry[1] is as_given:
                given.append((entry[0], key))
            else:
                checked.append((key, entry[0], entry[1]))
        unknown = tuple(k for k in keys if k not in self.known) if unmapped else None
        layout = Layout(tuple(n for n, _ in given), tuple(k for _, k in given), tuple(checked), unknown)
        if len(self._layouts) >= _MAX_LAYOUTS:
            self._layouts.clear()
            self._seen.clear()
        self._layouts[keys] = layout
        return layout


def _compile(keys: tuple[str, ...], layout: Layout) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """`Plan._walk` for one key order as straight-line code: the same reads in the same order,
    the same checks, the same errors."""
    at = {key: index for index, key in enumerate(keys)}
    env: dict[str, Any] = {"_copy": _EMPTY.copy, "_keys": keys, "_wrong": wrong}
    src = ["def convert(doc):", "    keys = _keys", "    data = _copy()"]
    for name, key in zip(layout.given_names, layout.given_keys, strict=True):
        src.append(f"    data[{name!r}] = doc[keys[{at[key]}]]")
    for number, (key, name, coerce) in enumerate(layout.checked):
        src += [f"    value = doc[keys[{at[key]}]]", "    if value is not None:"]
        if coerce is None:
            src += [
                "        if type(value) is not str and not isinstance(value, str):",
                f"            raise _wrong({name!r}, 'a string', value)",
                f"        data[{name!r}] = value",
            ]
            continue
        env[f"_c{number}"] = coerce
        if coerce is _BOOL:  # what the coercion gives a JSON boolean, without the call
            src.append(f"        data[{name!r}] = value if value is True or value is False else _c{number}(value, {name!r})")
        else:
            src.append(f"        data[{name!r}] = _c{number}(value, {name!r})")
    src.append("    return data")
    exec("\n".join(src), env)  # noqa: S102 - schema names and indices only (see the module docstring)
    return env["convert"]


def _by_key(steps: _Steps) -> _ByKey:
    return {key: (name, coerce) for name, key, coerce in steps if key is not None}


_SEED_STEPS: _Steps = tuple((f.name, f.name, SEED_COERCE[f.type]) for f in SEED_FIELDS)
_DESCRIBE_STEPS: _Steps = tuple((f.name, f.aws_key, DESCRIBE_COERCE[f.type]) for f in SEED_FIELDS)
DESCRIBE_KNOWN = frozenset(FIELDS_BY_AWS_KEY) | {"ResponseMetadata"}
DESCRIBE_PLAN = Plan(_by_key(_DESCRIBE_STEPS), DESCRIBE_KNOWN)
SEED_PLAN = Plan(_by_key(_SEED_STEPS), FIELDS_BY_NAME)


@functools.lru_cache(maxsize=32)
def lazy_plans(read: frozenset[str]) -> tuple[Plan, Plan]:
    """The describe and seed plans coercing only `read` and IDENTITY."""
    keep = read | IDENTITY
    describe, seed = (
        _by_key(tuple((name, key, coerce if name in keep else as_given) for name, key, coerce in steps))
        for steps in (_DESCRIBE_STEPS, _SEED_STEPS)
    )
    return Plan(describe, DESCRIBE_KNOWN), Plan(seed, FIELDS_BY_NAME)
