"""Evidence (and message) shared between the findings of jobs that look alike to a policy.

A fleet's failures repeat: thousands of jobs fail network-isolation with the same
`EnableNetworkIsolation: false`, or max-runtime-limit with one of a few limits. A
finding's evidence is a function of the policy, the verdict and the values its leaves'
paths yield (a leaf sees nothing else of the record), so it is gathered once per distinct
set of those values and the (immutable) tuple shared. The message is shared the same way,
bound to everything but the job's identity (policy/bound.py), which each finding
fills in with its own.

The key is the values of the leaves the evidence shows (smscan.memo_walk: the leaves
evaluated, `all` and `any` stopping where they are decided), not the whole fields they
start from: jobs that differ in `ResourceConfig.VolumeKmsKeyId` still look alike to a
policy that reads only `ResourceConfig.InstanceCount`, and distributed jobs alike in their
instance count alike to inter-container-encryption, whatever their instance groups hold.
Equal keys must mean values that show alike, as evidence shows values as they are: 1, 1.0
and True apart (equality merges them), a list apart from a tuple, a map's keys in their
order. Values of the commonest kinds (a string, an int, a bool, a null, no value, or a
list of those) are their own parts, each bool as a marker of its own, for no two of those
are equal unless they show alike; any other value (a float, whose -0.0 equals 0.0; a map;
a nested list; a subclass) is a marked repr, which tells all of those apart.

Only where that function is all there is: not for a policy whose paths could read any
field, nor one whose evidence is masked against the record's other secrets (values read
without their keys), nor for a request-file record (its findings point at its own lines,
and its run-time values make evidence of their own).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from smscan.memo_walk import ABSENT, compile_key, part
from smscan.models import Evidence, Record, Status
from smscan.policy.bound import BoundMessage
from smscan.policy.model import Policy
from smscan.policy.operators import TypeMismatch

_MAX_ENTRIES = 4096  # distinct value sets kept per policy; past it the memo starts over
Key = tuple[Any, ...]  # (status, error, one part per leaf evaluated: smscan.memo_walk)


class Shared(NamedTuple):
    evidence: tuple[Evidence, ...]
    message: BoundMessage | None  # None: the message is rendered for each finding


class EvidenceMemo:
    def __init__(self, policy: Policy) -> None:
        read = policy.fields_read()
        self.fields = None if read is None or policy.reads_values_without_keys else tuple(sorted(read))
        self._walk = compile_key(policy) if self.fields is not None else None
        # Every leaf on one path of one or two plain keys (the commonest policy): the key is
        # that value's part, read in place. As exact as the walk: the value decides the rest.
        self._single = _one_path(policy) if self._walk is not None else None
        self._seen: dict[Key, Shared] = {}
        # The FAIL message of a template that does not read the evidence (explain._bind).
        self.bound_alike: BoundMessage | None = None

    def key(
        self, record: Record, status: Status, error: str, cache: dict[str, list[Any]] | None = None
    ) -> Key | None:
        """The values the evidence depends on, or None where it depends on more.

        `cache` is the verdict's path cache for the record (paths that are not plain keys),
        whose lists are what `path.find` gives."""
        if self._walk is None or record.key_lines or record.unknown:
            return None
        return self.key_of(record.data, status, error, cache if cache is not None else {})

    def key_of(
        self, data: dict[str, Any], status: Status, error: str, cache: dict[str, list[Any]]
    ) -> Key | None:
        """`key` for the data of a record without key lines or run-time values (the
        verdict's path cache given)."""
        single = self._single
        if single is None:
            walk = self._walk
            if walk is None:
                return None
            try:
                return (status, error, *walk(data, cache))
            except (TypeMismatch, TypeError, ValueError, AttributeError, RecursionError):
                return None
        first, second = single
        if second is None:
            value = data.get(first, ABSENT)
        else:
            doc = data.get(first)
            value = doc.get(second, ABSENT) if isinstance(doc, dict) else ABSENT
        kind = type(value)
        if kind is str or kind is int or value is None or value is ABSENT:
            return status, error, value
        return status, error, part(value)

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


def _one_path(policy: Policy) -> tuple[str, str | None] | None:
    """The keys of the one plain path every leaf of the policy reads, if there is one."""
    leaves = [leaf for c in (policy.when, policy.check) if c is not None for leaf in c.leaves()]
    paths = {leaf.subject.text for leaf in leaves if leaf.subject is not None}
    subject = leaves[0].subject
    keys = subject.keys if subject is not None else None
    if len(paths) != 1 or any(leaf.subject is None or leaf.arg_path is not None for leaf in leaves):
        return None
    if keys is None or len(keys) > 2:
        return None
    return keys[0], keys[1] if len(keys) == 2 else None
