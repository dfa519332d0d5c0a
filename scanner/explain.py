"""Findings explained: evidence gathered by re-running a policy, and the message rendered.

The engine (engine.py) decides verdicts on the fast path; this is what it runs for the
verdicts someone will read (FAIL, ERROR and UNKNOWN always, PASS and NOT_APPLICABLE on
request). Evidence is masked before it enters a Finding, so nothing downstream can leak
what it never received. A record with values known only at run time is judged three-
valued here too, so its UNKNOWN can name the places behind it.
"""

from __future__ import annotations

import functools
from dataclasses import fields
from types import ModuleType
from typing import Any

from smscan.explain_memo import EvidenceMemo, Shared
from smscan.locate import evidence_location, unique, unknown_location, unknown_reasons
from smscan.models import Evidence, Finding, Record, Resource, Status
from smscan.policy.bound import BoundMessage
from smscan.policy.conditions import EvalContext
from smscan.policy.kleene import Loc, UnknownIndex
from smscan.policy.model import Policy
from smscan.policy.operators import TypeMismatch

_PASS, _FAIL, _NOT_APPLICABLE = (Status.PASS, ""), (Status.FAIL, ""), (Status.NOT_APPLICABLE, "")


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


def record_secrets(data: dict[str, Any]) -> frozenset[str]:
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
            shared = Shared(evidence, _bind(policy, status, evidence, memo))
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


def _bind(
    policy: Policy, status: Status, evidence: tuple[Evidence, ...], memo: EvidenceMemo | None = None
) -> BoundMessage | None:
    """A FAIL's templated message, rendered but for the job's identity (None: render per job).

    The other messages are one f-string each, as cheap as finishing a bound one. A template
    that does not read the evidence binds to the same text whatever it is: once per policy
    (kept in its memo)."""
    if status is not Status.FAIL or policy.message is None:
        return None
    names = template_names(policy.message.source)
    if "evidence" in names or memo is None:
        return policy.message.bind(_shared_context(policy, evidence, names))
    if memo.bound_alike is None:
        memo.bound_alike = policy.message.bind(_shared_context(policy, (), names))
    return memo.bound_alike


def _gather(
    policy: Policy, record: Record, status: Status, known: frozenset[str] | None
) -> tuple[tuple[Evidence, ...], list[Loc]]:
    """The policy re-run collecting evidence, and the run-time places behind an UNKNOWN."""
    ctx = EvalContext(record.data, UnknownIndex.of(record.unknown) if record.unknown else None)
    ctx.evidence = []
    if known is None:
        known = record_secrets(record.data) if policy.reads_values_without_keys else frozenset()
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
    names = template_names(policy.message.source) if policy.message is not None else _ALL_NAMES
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
def template_names(source: str) -> frozenset[str]:
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
