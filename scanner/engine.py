"""The engine: compiled policies x seed-schema records -> one status per pair.

It knows nothing of AWS or of output formats. The verdict is computed on the fast
path (no evidence, shared path lookups per record); a Finding with evidence and a
rendered message is built only when someone will read it: FAIL and ERROR always,
PASS and NOT_APPLICABLE only on request. Evidence is masked before it enters a
Finding, so nothing downstream can leak what it never received.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scanner.models import Evidence, Finding, Location, Record, Resource, Status
from scanner.policy.conditions import EvalContext
from scanner.policy.model import Policy
from scanner.policy.operators import TypeMismatch
from scanner.policy.paths import pointer_prefixes


@dataclass(frozen=True)
class Verdict:
    policy: Policy
    status: Status
    finding: Finding | None  # None for an unexplained PASS / NOT_APPLICABLE


class Engine:
    def __init__(self, policies: Sequence[Policy], *, explain_passed: bool = False) -> None:
        self.policies = tuple(policies)
        self.explain_passed = explain_passed

    def fields_read(self) -> frozenset[str] | None:
        """Top-level record fields the policies read (None: some path may read any field)."""
        fields: set[str] = set()
        for policy in self.policies:
            read = policy.fields_read()
            if read is None:
                return None
            fields |= read
        return frozenset(fields)

    def evaluate(self, record: Record) -> Iterator[Verdict]:
        ctx = EvalContext(record.data)
        for policy in self.policies:
            status, error = _judge(policy, ctx)
            wanted = status in (Status.FAIL, Status.ERROR) or self.explain_passed
            finding = explain(policy, record, status, error) if wanted else None
            yield Verdict(policy, status, finding)


def _judge(policy: Policy, ctx: EvalContext) -> tuple[Status, str]:
    try:
        if policy.when is not None and not policy.when.holds(ctx):
            return Status.NOT_APPLICABLE, ""
        return (Status.PASS if policy.check.holds(ctx) else Status.FAIL), ""
    except TypeMismatch as exc:
        return Status.ERROR, str(exc)
    except RecursionError:
        return Status.ERROR, "record nested too deeply to evaluate"


def explain(policy: Policy, record: Record, status: Status, error: str = "") -> Finding:
    """Re-run the policy collecting evidence, and render its message."""
    ctx = EvalContext(record.data)
    ctx.evidence = []
    try:
        if policy.when is None or policy.when.holds(ctx):
            policy.check.holds(ctx)
    except (TypeMismatch, RecursionError):
        pass  # the evidence gathered up to the failure is what we can show
    evidence = tuple(ctx.evidence)
    resource = Resource.of(record)
    return Finding(
        policy_id=policy.id,
        severity=policy.severity,
        status=status,
        resource=resource,
        message=_message(policy, record, resource, status, evidence, error),
        evidence=evidence,
        location=_location(record, evidence),
    )


def _location(record: Record, evidence: tuple[Evidence, ...]) -> Location | None:
    """For request files: the line of the first unsatisfied key, or of the job object."""
    if not record.key_lines:
        return None
    failed = [e for e in evidence if not e.satisfied] or list(evidence)
    for pointer in pointer_prefixes(failed[0].path) if failed else [""]:
        line = record.key_lines.get(pointer)
        if line is not None:
            return Location(path=record.origin.source, line=line)
    return None


def _message(
    policy: Policy, record: Record, resource: Resource, status: Status, evidence: tuple[Evidence, ...], error: str
) -> str:
    job = resource.name or resource.arn or str(record.origin)
    if status is Status.ERROR:
        return f"Training job {job}: policy {policy.id} could not be evaluated: {error}."
    if status is not Status.FAIL:
        return f"Training job {job} {'passes' if status is Status.PASS else 'is out of scope of'} {policy.id}."
    if policy.message is None:
        return f"Training job {job} fails: {policy.info.title}."
    return policy.message.render(_template_context(policy, record, resource, evidence))


def _template_context(
    policy: Policy, record: Record, resource: Resource, evidence: tuple[Evidence, ...]
) -> dict[str, Any]:
    from scanner.secrets import redact

    return {
        "job_name": resource.name or resource.arn or str(record.origin),
        "job_arn": resource.arn,
        "account_id": resource.account_id,
        "region": resource.region,
        "params": dict(policy.info.params),
        "policy": {"id": policy.id, "title": policy.info.title, "severity": policy.severity.value},
        "evidence": [asdict(e) for e in evidence],
        "record": redact(record.data),
    }
