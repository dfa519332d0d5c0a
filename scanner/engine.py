"""The engine: compiled policies x seed-schema records -> one status per pair.

It knows nothing of AWS or of output formats. The verdict is computed on the fast
path (no evidence, shared path lookups per record); a Finding with evidence and a
rendered message is built only when someone will read it: FAIL, ERROR and UNKNOWN
always, PASS and NOT_APPLICABLE only on request. Evidence is masked before it enters a
Finding, so nothing downstream can leak what it never received.

A record with values known only at run time (`Record.unknown`: request files) is
judged three-valued instead (scanner/policy/kleene.py): UNKNOWN when the policy's
answer depends on such a value, never PASS. Records without them (AWS, inventory)
never leave the fast path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from smscan.explain import (
    explain,
    identity_of,
    judge_three_valued,
    record_secrets,
    template_names,
)
from smscan.explain_memo import EvidenceMemo
from smscan.models import Finding, Record, Resource, Status, new_finding
from smscan.policy.conditions import EvalContext
from smscan.policy.fast import compile_fast
from smscan.policy.fast_source import compile_judge
from smscan.policy.kleene import UnknownIndex
from smscan.policy.model import Policy
from smscan.policy.operators import TypeMismatch

__all__ = ["Engine", "Verdict", "explain", "fields_needed", "fields_of_policies", "judge_three_valued"]

Judge = Callable[[dict[str, Any], dict[str, list[Any]]], tuple[Status, str]]
_PASS, _FAIL, _NOT_APPLICABLE = (Status.PASS, ""), (Status.FAIL, ""), (Status.NOT_APPLICABLE, "")
# compared for every policy of every record
_FAILED, _ERRORED, _PASSED, _OUT = Status.FAIL, Status.ERROR, Status.PASS, Status.NOT_APPLICABLE
_EXPLAINED = (Status.FAIL, Status.ERROR, Status.UNKNOWN)


@dataclass(frozen=True)
class Verdict:
    policy: Policy
    status: Status
    finding: Finding | None  # None for an unexplained PASS / NOT_APPLICABLE


class Engine:
    def __init__(self, policies: Sequence[Policy], *, explain_passed: bool = False) -> None:
        self.policies = tuple(policies)
        self.explain_passed = explain_passed
        self._judges = tuple((policy, _compile(policy), EvidenceMemo(policy)) for policy in self.policies)
        # What judge needs of each policy, looked up once: a finding's id and severity, and the
        # (immutable) results of its unexplained verdicts, the same for every record.
        self._steps = tuple(
            (policy, judge, memo, policy.id, policy.severity, (policy, _PASSED, None), (policy, _OUT, None))
            for policy, judge, memo in self._judges
        )

    @property
    def compiled(self) -> tuple[tuple[Policy, Judge, EvidenceMemo], ...]:
        """(policy, its verdict, its evidence memo) for each policy, in order."""
        return self._judges

    def fields_read(self) -> frozenset[str] | None:
        """Top-level record fields the policies read (None: some path may read any field)."""
        return fields_of_policies(self.policies)

    def evaluate(self, record: Record) -> Iterator[Verdict]:
        for policy, status, finding in self.judge(record):
            yield Verdict(policy, status, finding)

    def statuses(self, data: dict[str, Any]) -> list[Status]:
        """The verdicts alone, in policy order: what a count needs, with no Finding built.

        Two-valued: for a record whose values are all known (a Record with `unknown` goes
        through `judge`)."""
        cache: dict[str, list[Any]] = {}
        return [judge(data, cache)[0] for _, judge, _ in self._judges]

    def judge(self, record: Record) -> list[tuple[Policy, Status, Finding | None]]:
        """Every policy's status on `record`, with a Finding where one is wanted (see evaluate)."""
        if record.unknown:
            return self._judge_unknown(record)
        data: dict[str, Any] = record.data
        cache: dict[str, list[Any]] = {}
        explain_passed = self.explain_passed
        known: frozenset[str] | None = None  # the record's secrets, found once when first needed
        resource: Resource | None = None  # the same for every finding of the record
        identity: dict[str, str] = {}
        out: list[tuple[Policy, Status, Finding | None]] = []
        for policy, judge, memo, policy_id, severity, passed, out_of_scope in self._steps:
            status, error = judge(data, cache)
            if not (status is _FAILED or status is _ERRORED or explain_passed):
                out.append(passed if status is _PASSED else out_of_scope)  # the judge gives no other
                continue
            if resource is None:
                resource = Resource.of(record)
                identity = identity_of(record, resource)
            # A job that looks like one explained before gets its evidence and message.
            shared = memo.find(record, status, error, cache)
            if shared is not None and shared.message is not None:
                message = shared.message.finish(identity)  # memoized: no key lines, no location
                finding = new_finding(policy_id, severity, status, resource, message, shared.evidence)
            else:
                if known is None and policy.reads_values_without_keys:
                    known = record_secrets(data)
                finding = explain(policy, record, status, error, known or frozenset(), resource, memo, identity)
            out.append((policy, status, finding))
        return out

    def _judge_unknown(self, record: Record) -> list[tuple[Policy, Status, Finding | None]]:
        index = UnknownIndex.of(record.unknown)
        known: frozenset[str] | None = None
        out: list[tuple[Policy, Status, Finding | None]] = []
        for policy, _, _ in self._judges:
            status, error = judge_three_valued(policy, EvalContext(record.data, index))
            if self.explain_passed or status in _EXPLAINED:
                if known is None and policy.reads_values_without_keys:
                    known = record_secrets(record.data)
                out.append((policy, status, explain(policy, record, status, error, known or frozenset())))
            else:
                out.append((policy, status, None))
        return out


def fields_of_policies(policies: Sequence[Policy]) -> frozenset[str] | None:
    """Top-level record fields the policies' conditions read (None: any field)."""
    read: set[str] = set()
    for policy in policies:
        fields = policy.fields_read()
        if fields is None:
            return None
        read |= fields
    return frozenset(read)


def fields_needed(policies: Sequence[Policy]) -> frozenset[str] | None:
    """The record fields judging `policies` reads, findings included (None: any field).

    A message template naming `record` shows the whole record, so it needs every field."""
    if any(p.message is not None and "record" in template_names(p.message.source) for p in policies):
        return None
    return fields_of_policies(policies)


def _compile(policy: Policy) -> Judge:
    """The policy's verdict as one function: NOT_APPLICABLE / PASS / FAIL, or ERROR with why.

    Generated from the whole tree where it can be (scanner/policy/fast_source.py), else the
    closures below, which it is held to."""
    generated = compile_judge(policy, _PASS, _FAIL, _NOT_APPLICABLE)
    return generated if generated is not None else closure_judge(policy)


def closure_judge(policy: Policy) -> Judge:
    """The policy's verdict as closures over its compiled tree (scanner/policy/fast.py)."""
    check = compile_fast(policy.check)
    when = compile_fast(policy.when) if policy.when is not None else None

    def judge(data: dict[str, Any], cache: dict[str, list[Any]]) -> tuple[Status, str]:
        try:
            if when is not None and not when(data, cache):
                return _NOT_APPLICABLE
            return _PASS if check(data, cache) else _FAIL
        except TypeMismatch as exc:
            return Status.ERROR, str(exc)
        except RecursionError:
            return Status.ERROR, "record nested too deeply to evaluate"

    return judge


