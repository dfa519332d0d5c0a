"""Prove each guardrail on its policy's own examples, as `smscan policy test` and the tests do.

Every example record is turned into the request context CreateTrainingJob would carry and
run through the policy's Deny statements: a `fail` example must be denied, a `pass`
example allowed. A `not_applicable` example must be allowed too, unless the policy says
why its guardrail is stricter than its detective check (`stricter_than_detection`): IAM
sees no instance count, say, so it cannot leave single-instance jobs out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from smscan.guardrails.compile import compile_guardrails
from smscan.guardrails.context import training_job_context
from smscan.guardrails.evaluate import EvaluationError, denying_statements
from smscan.guardrails.keys import CREATE_TRAINING_JOB
from smscan.guardrails.pack import document
from smscan.models import Status
from smscan.policy.model import Policy


@dataclass(frozen=True)
class PreventionCheck:
    failures: tuple[str, ...]
    examples: int  # examples run through a guardrail
    policies: int  # policies with a guardrail


def check_prevention(policies: Iterable[Policy]) -> PreventionCheck:
    from smscan.policy.loader import load_policies

    failures: list[str] = []
    examples = checked = 0
    for policy in policies:
        if policy.prevent is None or not policy.prevent.preventable:
            continue
        if policy.example_params:
            # Examples may need params the defaults leave empty (an allowlist, say).
            [policy] = load_policies([policy.info.source_path], {policy.id: dict(policy.example_params)})
        compiled = compile_guardrails([policy])
        docs = [document([s.to_json() for s in compiled.statements])]
        checked += 1
        stricter = policy.prevent is not None and policy.prevent.stricter is not None
        for example in policy.examples:
            examples += 1
            where = f"{policy.info.source_path}:{example.line}: policy {policy.id}: guardrail"
            try:
                denied = denying_statements(docs, CREATE_TRAINING_JOB, training_job_context(example.data))
            except EvaluationError as exc:
                failures.append(f"{where}: cannot decide the {example.expected.value} example: {exc}")
                continue
            if example.expected is Status.FAIL and not denied:
                failures.append(f"{where}: the fail example is allowed (no statement denies it)")
            elif example.expected is Status.PASS and denied:
                failures.append(f"{where}: the pass example is denied by {', '.join(denied)}")
            elif example.expected is Status.NOT_APPLICABLE and denied and not stricter:
                failures.append(
                    f"{where}: the not_applicable example is denied by {', '.join(denied)} "
                    "(state prevent.stricter_than_detection if that is intended)"
                )
    return PreventionCheck(tuple(failures), examples, checked)
