"""A compiled policy: metadata for reports plus the conditions the engine runs."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smscan.models import PolicyInfo, Severity, Status
from smscan.policy.conditions import Condition
from smscan.policy.message_field import PolicyMessage
from smscan.policy.prevent import Prevention


@dataclass(frozen=True)
class Example:
    expected: Status
    data: dict[str, Any]
    line: int


@dataclass(frozen=True)
class Policy:
    info: PolicyInfo
    check: Condition
    when: Condition | None = None
    message: PolicyMessage | None = None
    examples: tuple[Example, ...] = ()
    example_params: Mapping[str, Any] = field(default_factory=dict)
    prevent: Prevention | None = None  # the guardrail mapping (smscan guardrails); None: not stated

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def severity(self) -> Severity:
        return self.info.severity

    @functools.cached_property
    def reads_values_without_keys(self) -> bool:
        """True when a path yields values apart from their keys (`$.environment.*`, filters).

        Secret detection judges a value by its key too, so evidence from such a path is
        masked against every secret of the record, found up front.
        """
        for condition in (self.check, self.when):
            for leaf in condition.leaves() if condition is not None else ():
                for path in (leaf.subject, leaf.arg_path):
                    if path is not None and not path.keyed:
                        return True
        return False

    def fields_read(self) -> frozenset[str] | None:
        """Top-level record fields this policy reads; None when a path could read any field."""
        return fields_of(self.check, self.when)


def fields_of(*conditions: Condition | None) -> frozenset[str] | None:
    """Top-level record fields the conditions read; None when a path could read any field."""
    fields: set[str] = set()
    for condition in conditions:
        if condition is None:
            continue
        for leaf in condition.leaves():
            for path in (leaf.subject, leaf.arg_path):
                if path is None:
                    continue
                if path.top_field is None:
                    return None
                fields.add(path.top_field)
    return frozenset(fields)
