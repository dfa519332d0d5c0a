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

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from types import ModuleType
from typing import Any

from smscan.explain_memo import EvidenceMemo, Shared
from smscan.locate import evidence_location, unique, unknown_location, unknown_reasons
from smscan.models import Evidence, Finding, Record, Resource, Status
from smscan.policy.conditions import EvalContext
from smscan.policy.fast import compile_fast
from smscan.policy.kleene import Loc, UnknownIndex
from smscan.policy.messages import BoundMessage
from smscan.policy.model import Policy
from smscan.policy.operators import TypeMismatch

Judge = Callable[[dict[str, Any], dict[str, list[Any]]], tuple[Status, str]]
_PASS, _FAIL, _NOT_APPLICABLE = (Status.PASS, ""), (Status.FAIL, ""), (Status.NOT_APPLICABLE, "")
_FAILED, _ERRORED = Status.FAIL, Status.ERROR  # compared for every policy of every record


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
        for policy, judge, memo in self._judges:
            status, error = judge(data, cache)
            if not (status is _FAILED or status is _ERRORED or explain_passed):
                out.append((policy, status, None))
                continue
            if resource is None:
                resource = Resource.of(record)
                identity = identity_of(record, resource)
            # A job that looks like one explained before gets its evidence and message.
            key = memo.key(record, status, error, cache)
            shared = memo.get(key) if key is not None else None
            if shared is not None and shared.message is not None:
                message = shared.message.finish(identity)  # memoized: no key lines, no location
                finding = Finding(policy.id, policy.severity, status, resource, message, shared.evidence)
            else:
                if known is None and policy.reads_values_without_keys:
                    known = _secret_strings(data)
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
                    known = _secret_strings(record.data)
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
    if any(p.message is not None and "record" in _template_names(p.message.source) for p in policies):
        return None
    return fields_of_policies(policies)


def _compile(policy: Policy) -> Judge:
    """The policy's verdict as one closure: NOT_APPLICABLE / PASS / FAIL, or ERROR with why."""
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


_EXPLAINED = (Status.FAIL, Status.ERROR, Status.UNKNOWN)


def judge_three_valued(policy: Policy, ctx: EvalContext) -> tuple[Status, str]:
    """The policy's status with Kleene logic; `ctx.undecided` ends up naming the run-time
    places behind an UNKNOWN. A `when:` that is UNKNOWN makes the result UNKNOWN."""
    try:
        if policy.when is not None:
            scope = policy.when.holds(ctx)
            if scope is False:
                return _NOT_APPLICABLE
            if scope is None:
                return Status.UNKNOWN, ""
        holds = policy.check.holds(ctx)
    except TypeMismatch as exc:
        return Status.ERROR, str(exc)
    except RecursionError:
        return Status.ERROR, "record nested too deeply to evaluate"
    if holds is None:
        return Status.UNKNOWN, ""
    return _PASS if holds else _FAIL


def _secret_strings(data: dict[str, Any]) -> frozenset[str]:
    return _secrets().secret_strings(data)


def explain(
    policy: Policy,
    record: Record,
    status: Status,
    error: str = "",
    known: frozenset[str] | None = None,
    resource: Resource | None = None,
    memo: EvidenceMemo | None = None,
    identity: dict[str, str] | None = None,
) -> Finding:
    """Re-run the policy collecting evidence, and render its message.

    `known` is every secret string of the record, masked wherever the evidence shows it,
    even read without its key; the caller finds them once per record, and only for a
    policy whose paths yield values apart from their keys (None: find them here).
    `memo` shares evidence and message between jobs that look alike to the policy;
    `identity` is identity_of(record, resource), when the caller has it.
    """
    key = memo.key(record, status, error) if memo is not None else None
    shared = memo.get(key) if memo is not None and key is not None else None
    resource = resource or Resource.of(record)
    undecided: list[Loc] = []  # shared evidence is never a request file's: nothing undecided
    if shared is not None:
        evidence = shared.evidence
    else:
        evidence, undecided = _gather(policy, record, status, known)
        if status is Status.UNKNOWN:
            error = unknown_reasons(record, undecided)
        if memo is not None and key is not None:
            shared = Shared(evidence, _bind(policy, status, evidence))
            memo.put(key, shared)
    if shared is not None and shared.message is not None:
        message = shared.message.finish(identity or identity_of(record, resource))
    else:
        message = _message(policy, record, resource, status, evidence, error)
    return Finding(
        policy_id=policy.id,
        severity=policy.severity,
        status=status,
        resource=resource,
        message=message,
        evidence=evidence,
        location=unknown_location(record, undecided) if undecided else evidence_location(record, evidence),
    )


def identity_of(record: Record, resource: Resource) -> dict[str, str]:
    """The job's identity as a message context names it (messages.IDENTITY_NAMES)."""
    return {
        "job_name": resource.name or resource.arn or str(record.origin),
        "job_arn": resource.arn,
        "account_id": resource.account_id,
        "region": resource.region,
    }


def _bind(policy: Policy, status: Status, evidence: tuple[Evidence, ...]) -> BoundMessage | None:
    """A FAIL's templated message, rendered but for the job's identity (None: render per job).

    The other messages are one f-string each, as cheap as finishing a bound one."""
    if status is not Status.FAIL or policy.message is None:
        return None
    return policy.message.bind(_shared_context(policy, evidence, _template_names(policy.message.source)))


def _gather(
    policy: Policy, record: Record, status: Status, known: frozenset[str] | None
) -> tuple[tuple[Evidence, ...], list[Loc]]:
    """The policy re-run collecting evidence, and the run-time places behind an UNKNOWN."""
    ctx = EvalContext(record.data, UnknownIndex.of(record.unknown) if record.unknown else None)
    ctx.evidence = []
    if known is None:
        known = _secret_strings(record.data) if policy.reads_values_without_keys else frozenset()
    ctx.known_secrets = known
    if ctx.unknown is not None:
        judge_three_valued(policy, ctx)  # the same walk as the verdict's, now with evidence
    else:
        try:
            if policy.when is None or policy.when.holds(ctx):
                policy.check.holds(ctx)
        except (TypeMismatch, RecursionError):
            pass  # the evidence gathered up to the failure is what we can show
    return tuple(ctx.evidence), unique(ctx.undecided) if status is Status.UNKNOWN else []


def _message(
    policy: Policy, record: Record, resource: Resource, status: Status, evidence: tuple[Evidence, ...], error: str
) -> str:
    job = resource.name or resource.arn or str(record.origin)
    if status is Status.ERROR:
        return f"Training job {job}: policy {policy.id} could not be evaluated: {error}."
    if status is Status.UNKNOWN:
        return f"Training job {job}: policy {policy.id} cannot be decided before run time: {error}."
    if status is not Status.FAIL:
        return f"Training job {job} {'passes' if status is Status.PASS else 'is out of scope of'} {policy.id}."
    if policy.message is None:
        return f"Training job {job} fails: {policy.info.title}."
    return policy.message.render(_template_context(policy, record, resource, evidence))


def _template_context(
    policy: Policy, record: Record, resource: Resource, evidence: tuple[Evidence, ...]
) -> dict[str, Any]:
    names = _template_names(policy.message.source) if policy.message is not None else _ALL_NAMES
    context = identity_of(record, resource)
    context.update(_shared_context(policy, evidence, names))
    # Masking the whole record is the costliest part of a finding: only a template that
    # names it pays for it.
    if "record" in names:
        context["record"] = _secrets().redact(record.data)
    return context


def _shared_context(policy: Policy, evidence: tuple[Evidence, ...], names: frozenset[str]) -> dict[str, Any]:
    """The message context but for the job's identity and record: the same for every job
    with this evidence."""
    context: dict[str, Any] = {
        "params": dict(policy.info.params),
        "policy": {"id": policy.id, "title": policy.info.title, "severity": policy.severity.value},
    }
    # The evidence is already masked and the sandbox is immutable, so a shallow dict per
    # item is what asdict gave; only a template that names it pays for the copy.
    if "evidence" in names:
        context["evidence"] = [{f: getattr(e, f) for f in _EVIDENCE_FIELDS} for e in evidence]
    return context


_EVIDENCE_FIELDS = tuple(f.name for f in fields(Evidence))
_ALL_NAMES = frozenset({"evidence", "record"})


@functools.lru_cache(maxsize=1024)
def _template_names(source: str) -> frozenset[str]:
    """Variables a message template reads (any unparsable template: assume all)."""
    from jinja2 import TemplateSyntaxError, meta

    from smscan.policy.messages import _environment

    try:
        return frozenset(meta.find_undeclared_variables(_environment().parse(source)))
    except TemplateSyntaxError:
        return frozenset({"record"})


@functools.cache
def _secrets() -> ModuleType:
    """smscan.secrets, imported on first use: loading policies does not pay for its detectors,
    and a hot path does not pay an import statement per call."""
    from smscan import secrets

    return secrets
