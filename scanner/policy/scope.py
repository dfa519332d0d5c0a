"""Which jobs need a field that only an expensive call returns, judged from what is at hand.

A live scan lists jobs with Search, which returns whole jobs 100 at a time but lacks a
few fields (remote_debug_config among them) that only DescribeTrainingJob returns, at
one call a job. A policy that reads such a field matters only for the jobs its `when:`
admits; when that `when:` reads nothing but fields Search returns, it can be judged on
the Search result, and every other job can skip the describe: the policy is
NOT_APPLICABLE to it whatever the describe would say.

This is exact, not a heuristic: a job is skipped only when every such policy's `when:`
is false on data that holds every field the `when:` reads. Anything else (no `when:`,
a `when:` that reads an expensive field itself, a `when:` that cannot be judged)
describes the job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from smscan.policy.fast import compile_fast
from smscan.policy.model import Policy, fields_of
from smscan.policy.operators import TypeMismatch

Scope = Callable[[dict[str, Any]], bool]


def expensive_scope(policies: Sequence[Policy], expensive: frozenset[str]) -> Scope | None:
    """A predicate: does this record (holding only the cheap fields) need the expensive ones?

    None when every record does: some policy reading an expensive field has no `when:`,
    or its `when:` reads an expensive field (or a field that cannot be named).
    """
    whens = []
    for policy in policies:
        read = policy.fields_read()
        if read is not None and not read & expensive:
            continue
        when_fields = fields_of(policy.when)
        if policy.when is None or read is None or when_fields is None or when_fields & expensive:
            return None
        whens.append(compile_fast(policy.when))
    if not whens:
        return lambda data: False

    def needs(data: dict[str, Any]) -> bool:
        cache: dict[str, list[Any]] = {}
        for when in whens:
            try:
                if when(data, cache):
                    return True
            except (TypeMismatch, RecursionError):
                return True  # not judged here: the describe gives the full record to judge
        return False

    return needs


def scope_reason(policies: Sequence[Policy], expensive: frozenset[str]) -> str:
    """The policies that narrow the describes, for the fetch plan's reason."""
    narrowing = [
        p.id for p in policies
        if p.when is not None and (p.fields_read() or frozenset()) & expensive
    ]
    return ", ".join(sorted(narrowing))
