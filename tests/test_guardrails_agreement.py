"""Detection and prevention agree job by job: what a policy FAILs its guardrail denies.

Beyond each policy's own examples, every preventable policy is run both ways over the demo
fleet (50 jobs shaped like DescribeTrainingJob responses, scanned with the demo config's
allowlists) and over the CreateTrainingJob request files of tests/test_requests.py (as
`aws sagemaker create-training-job --cli-input-json` takes them). A FAIL must be denied by that
policy's statements and a PASS allowed; NOT_APPLICABLE is allowed unless the policy says its
guardrail is stricter.
"""

from __future__ import annotations

from pathlib import Path

from smscan.cli.config import load_config
from smscan.engine import Engine
from smscan.guardrails.compile import compile_guardrails
from smscan.guardrails.context import training_job_context
from smscan.guardrails.evaluate import denying_statements
from smscan.guardrails.keys import CREATE_TRAINING_JOB
from smscan.guardrails.pack import document
from smscan.models import Record, Status
from smscan.policy.loader import load_policies

ROOT = Path(__file__).parents[1]
DEMO_FLEET = ROOT / "scanner" / "data" / "demo_fleet.jsonl"
DEMO_CONFIG = ROOT / "scanner" / "data" / "demo-config.yaml"
REQUESTS = ROOT / "tests" / "fixtures" / "requests" / "repo" / "jobs"


def _records() -> list[Record]:
    from smscan.sources.files import FileOptions, FileSource
    from smscan.sources.requests.source import RequestFileSource, RequestOptions

    items = list(FileSource(FileOptions((str(DEMO_FLEET),))).items())
    items += list(RequestFileSource(RequestOptions((str(REQUESTS),))).items())
    records = [item for item in items if isinstance(item, Record)]
    assert len(records) == len(items) and len(records) > 50
    return records


def test_every_guardrail_denies_what_its_policy_fails() -> None:
    policies = [p for p in load_policies(overrides=load_config(str(DEMO_CONFIG)).params) if p.prevent and p.prevent.preventable]
    records = _records()
    seen: dict[Status, int] = {}
    disagreements = []
    for policy in policies:
        engine = Engine([policy])
        docs = [document([s.to_json() for s in compile_guardrails([policy]).statements])]
        for record in records:
            status = next(engine.evaluate(record)).status
            seen[status] = seen.get(status, 0) + 1
            denied = bool(denying_statements(docs, CREATE_TRAINING_JOB, training_job_context(record.data)))
            allowed_na = status is Status.NOT_APPLICABLE and (not denied or policy.prevent.stricter)
            # UNKNOWN (a value known only at run time) is no disagreement: IAM sees the real value.
            if status is Status.UNKNOWN:
                continue
            if not ((status is Status.FAIL and denied) or (status is Status.PASS and not denied) or allowed_na):
                disagreements.append(f"{policy.id}: {record.origin}: {status.value} but {'denied' if denied else 'allowed'}")
    assert disagreements == []
    # The fleet exercises both outcomes, so agreement is not agreement on nothing.
    assert seen.get(Status.FAIL, 0) > 20 and seen.get(Status.PASS, 0) > 20
