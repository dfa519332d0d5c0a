"""Evidence (and message) shared between the findings of jobs that look alike to a policy.

A fleet's failures repeat: thousands of jobs fail network-isolation with the same
`EnableNetworkIsolation: false`, or max-runtime-limit with one of a few limits. A
finding's evidence is a function of the policy, the verdict and the values its leaves'
paths yield (a leaf sees nothing else of the record), so it is gathered once per distinct
set of those values and the (immutable) tuple shared. The message is shared the same way,
bound to everything but the job's identity (policy/bound.py), which each finding
fills in with its own.

The key is the values at the paths, not the whole fields they start from: jobs that
differ in `ResourceConfig.VolumeKmsKeyId` still look alike to a policy that reads only
`ResourceConfig.InstanceCount`. Equal keys must mean values that show alike, as evidence
shows values as they are: 1, 1.0 and True apart (equality merges them), a list apart from
a tuple, a map's keys in their order. Values of the commonest kinds (a string, an int, a
bool, a null, no value, or a list of those) make a tuple of them, each bool as a marker of
its own, for no two of those are equal unless they show alike; any other value (a float,
whose -0.0 equals 0.0; a map; a nested list; a subclass) makes the key their repr, which
tells all of those apart. The two kinds of key never meet: a repr key is marked.

Only where that function is all there is: not for a policy whose paths could read any
field, nor one whose evidence is masked against the record's other secrets (values read
without their keys), nor for a request-file record (its findings point at its own lines,
and its run-time values make evidence of their own).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from smscan.models import Evidence, Record, Status
from smscan.policy.bound import BoundMessage
from smscan.policy.model import Policy
from smscan.policy.paths import CompiledPath

_MAX_ENTRIES = 4096  # distinct value sets kept per policy; past it the memo starts over
# (first key, second key, path text, finder): see _spec
_Path = tuple[str, str | None, str, Callable[[Any], list[Any]] | None]
Key = tuple[Any, ...]  # (status, error, one item per path) or (status, error, _REPR, repr of the values)


class Shared(NamedTuple):
    evidence: tuple[Evidence, ...]
    message: BoundMessage | None  # None: the message is rendered for each finding


class EvidenceMemo:
    def __init__(self, policy: Policy) -> None:
        read = policy.fields_read()
        self.fields = None if read is None or policy.reads_values_without_keys else tuple(sorted(read))
        self._paths = () if self.fields is None else tuple(_spec(p) for p in _paths_read(policy))
        # One plain path (the commonest policy): its keys, read without the loop below.
        self._single = self._paths[0][:2] if len(self._paths) == 1 and self._paths[0][3] is None else None
        self._seen: dict[Key, Shared] = {}
        # The FAIL message of a template that does not read the evidence (explain._bind).
        self.bound_alike: BoundMessage | None = None

    def key(
        self, record: Record, status: Status, error: str, cache: dict[str, list[Any]] | None = None
    ) -> Key | None:
        """The values the evidence depends on, or None where it depends on more.

        `cache` is the verdict's path cache for the record (paths that are not plain keys),
        whose lists are what `path.find` gives."""
        if self.fields is None or record.key_lines or record.unknown:
            return None
        data = record.data
        value: Any
        if self._single is not None:
            first, second = self._single
            if second is None:
                value = data.get(first, _ABSENT)
            else:
                doc = data.get(first)
                value = doc.get(second, _ABSENT) if isinstance(doc, dict) else _ABSENT
            kind = type(value)
            if kind is str or kind is int or value is None or value is _ABSENT:
                return status, error, value
            if kind is bool:
                return status, error, _TRUE if value else _FALSE
            # any other value: as the loop below makes it
        found = cache if cache is not None else {}
        key: list[Any] = [status, error]
        try:
            for first, second, text, find in self._paths:
                if second is not None:  # $.a.b: its value, or the mark of none
                    doc = data.get(first)
                    value = doc.get(second, _ABSENT) if isinstance(doc, dict) else _ABSENT
                elif find is None:  # $.a
                    value = data.get(first, _ABSENT)
                else:
                    value = found.get(text)
                    if value is None:
                        value = find(data)
                kind = type(value)
                if kind is str or kind is int or value is None or value is _ABSENT:
                    key.append(value)
                elif kind is bool:
                    key.append(_TRUE if value else _FALSE)
                elif kind is list and (items := _plain_items(value)) is not None:
                    key.append(items)
                else:
                    return status, error, _REPR, repr(self._values(data, found))
            return tuple(key)
        except (TypeError, ValueError, AttributeError, RecursionError):
            return None  # a path that cannot be applied: the finding is explained on its own

    def _values(self, data: dict[str, Any], found: dict[str, list[Any]]) -> list[Any]:
        """The values at the paths as they are (a list from `find`, _ABSENT for none at a key)."""
        seen: list[Any] = []
        for first, second, text, find in self._paths:
            if second is not None:
                doc = data.get(first)
                seen.append(doc.get(second, _ABSENT) if isinstance(doc, dict) else _ABSENT)
            elif find is None:
                seen.append(data.get(first, _ABSENT))
            else:
                values = found.get(text)
                seen.append(find(data) if values is None else values)
        return seen

    def get(self, key: Key) -> Shared | None:
        return self._seen.get(key)

    def find(
        self, record: Record, status: Status, error: str, cache: dict[str, list[Any]] | None = None
    ) -> Shared | None:
        """What a job with the record's values was given, if one was (get of its key)."""
        key = self.key(record, status, error, cache)
        return None if key is None else self._seen.get(key)

    def put(self, key: Key, shared: Shared) -> None:
        if len(self._seen) >= _MAX_ENTRIES:
            self._seen.clear()
        self._seen[key] = shared


def _paths_read(policy: Policy) -> tuple[CompiledPath, ...]:
    """Every path a leaf of the policy reads (its subject, or the value it compares with)."""
    paths: dict[str, CompiledPath] = {}
    for condition in (policy.when, policy.check):
        for leaf in condition.leaves() if condition is not None else ():
            for path in (leaf.subject, leaf.arg_path):
                if path is not None:
                    paths.setdefault(path.text, path)
    return tuple(paths.values())


def _spec(path: CompiledPath) -> _Path:
    """How `key` reads the path: a plain one or two keys in place (a value or _ABSENT, which
    stands for the empty list `find` gives), anything else by `find` (its list)."""
    keys = path.keys
    if keys is not None and len(keys) == 1:
        return keys[0], None, path.text, None
    if keys is not None and len(keys) == 2:
        return keys[0], keys[1], path.text, None
    return "", None, path.text, path.finder


class _Absent:
    """No value at a path (a missing key), which a path sees differently from a null."""

    def __repr__(self) -> str:
        return "<absent>"  # no JSON value has this repr


_ABSENT = _Absent()


class _Mark:
    """A value in a key that equals nothing but itself (the default object equality)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


_TRUE, _FALSE, _REPR = _Mark("true"), _Mark("false"), _Mark("repr")


def _plain_items(values: list[Any]) -> tuple[Any, ...] | None:
    """A list of strings, ints, bools and nulls as a key's tuple (None: any other item)."""
    out: list[Any] = []
    for value in values:
        kind = type(value)
        if kind is str or kind is int or value is None:
            out.append(value)
        elif kind is bool:
            out.append(_TRUE if value else _FALSE)
        else:
            return None
    return tuple(out)
