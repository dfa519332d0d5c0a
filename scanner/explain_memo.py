"""Evidence shared between the findings of jobs that look alike to a policy.

A fleet's failures repeat: thousands of jobs fail network-isolation with the same
`EnableNetworkIsolation: false`, or max-runtime-limit with one of a few limits. A
finding's evidence is a function of the policy, the verdict and the values of the fields
the policy reads, so it is gathered once per distinct set of those values and the
(immutable) tuple shared; the message and the job's identity are still each finding's own.

Only where that function is all there is: not for a policy whose paths could read any
field, nor one whose evidence is masked against the record's other secrets (values read
without their keys), nor for a request-file record (its findings point at its own lines,
and its run-time values make evidence of their own).
"""

from __future__ import annotations

from typing import Any

from smscan.models import Evidence, Record, Status
from smscan.policy.model import Policy

_MAX_ENTRIES = 4096  # distinct value sets kept per policy; past it the memo starts over


class _Absent:
    """A field missing from the record, which a path sees differently from a null."""

    def __repr__(self) -> str:
        return "<absent>"


_ABSENT = _Absent()


class EvidenceMemo:
    def __init__(self, policy: Policy) -> None:
        read = policy.fields_read()
        self.fields = None if read is None or policy.reads_values_without_keys else tuple(sorted(read))
        self._seen: dict[tuple[Status, str, str], tuple[Evidence, ...]] = {}

    def key(self, record: Record, status: Status, error: str) -> tuple[Status, str, str] | None:
        """The values the evidence depends on, or None where it depends on more.

        repr tells apart what equality would merge (1, 1.0 and True; a list and a tuple),
        and evidence shows values as they are."""
        if self.fields is None or record.key_lines or record.unknown:
            return None
        data: dict[str, Any] = record.data
        return status, error, repr([data.get(name, _ABSENT) for name in self.fields])

    def get(self, key: tuple[Status, str, str]) -> tuple[Evidence, ...] | None:
        return self._seen.get(key)

    def put(self, key: tuple[Status, str, str], evidence: tuple[Evidence, ...]) -> None:
        if len(self._seen) >= _MAX_ENTRIES:
            self._seen.clear()
        self._seen[key] = evidence
