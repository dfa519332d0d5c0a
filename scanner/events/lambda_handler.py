"""The AWS Lambda entry point: `smscan.events.lambda_handler.handler` (Handler in the template).

EventBridge delivers one event per invocation ("SageMaker Training Job State Change", or
"AWS API Call via CloudTrail" for CreateTrainingJob). It is judged by the path
`smscan event` uses (events/run.py), the job described when a policy reads a field the
event lacks, the configured actions run, and a small JSON summary returned and logged.

Configuration (read once per container, so a warm invocation pays nothing for it):

- SMSCAN_CONFIG: the smscan.yaml bundled with the function (default: smscan.yaml in the
  function's directory, LAMBDA_TASK_ROOT, when there is one; else the built-in defaults).
  Bundled, not fetched from S3: the settings and pack deploy as one versioned artifact,
  a cold start makes no extra call, and the role needs no s3:GetObject.
- SMSCAN_POLICIES: comma-separated policy paths in the bundle (default: the config's
  `policies`, else the built-in pack).
- SMSCAN_FAIL_ON, SMSCAN_FAIL_ON_UNKNOWN: the gate a summary calls noncompliant by, as
  --fail-on and --fail-on-unknown (default: the config's, else high and never).
- SMSCAN_SNS_TOPIC_ARN: the topic of the notify action (overrides actions.notify.topic_arn).
- SMSCAN_DRY_RUN: "true" puts every action in dry-run, whatever smscan.yaml says.
- SMSCAN_LOG_LEVEL: of the `smscan` loggers (default INFO: one summary line per event).

Errors: an event that cannot be read, a job that cannot be described (AccessDenied, gone)
or an action that was refused is logged with the event id and returned as an error
result: retrying would fail the same way. Throttling, timeouts and 5xx that outlast
botocore's retries raise TransientAwsError: EventBridge invokes Lambda asynchronously, so
Lambda retries the event (twice by default, MaximumRetryAttempts) and then hands it to the
on-failure destination or dead-letter queue.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path
from typing import Any

from smscan.errors import ScannerError
from smscan.events.enrich import TransientAwsError
from smscan.events.run import EventRun, Prepared, hub_sender, judge
from smscan.events.source import Envelope
from smscan.gate.verdict import GateOptions, decide

log = logging.getLogger("smscan.events")
_prepared: Prepared | None = None
_clients: dict[tuple[str, str], Any] = {}


def prepare(environ: dict[str, str] | None = None) -> Prepared:
    """Config, policies and waivers from the environment (see the module docstring)."""
    from datetime import date

    from smscan.cli.config import load_config
    from smscan.gate.waiver_file import load_waivers
    from smscan.gate.waivers import WaiverSet
    from smscan.policy.loader import load_policies

    env = dict(os.environ if environ is None else environ)
    # Lambda's runtime logs WARNING and up by default: the summary line is INFO.
    logging.getLogger("smscan").setLevel(env.get("SMSCAN_LOG_LEVEL", "INFO").upper())
    root = Path(env.get("LAMBDA_TASK_ROOT") or ".")
    explicit = env.get("SMSCAN_CONFIG")
    default = root / "smscan.yaml"
    config = load_config(explicit or (str(default) if default.exists() else None))
    policies_env = [p.strip() for p in env.get("SMSCAN_POLICIES", "").split(",") if p.strip()]
    policies = load_policies(policies_env or config.policies, config.params)
    if config.select or config.skip:
        from smscan.cli.scan import select_policies

        policies = select_policies(policies, config.select, config.skip)
    today = date.today()
    waivers = (
        load_waivers(Path(config.waivers), today, policy_ids=[p.id for p in policies])
        if config.waivers
        else WaiverSet.empty(today)
    )
    settings = config.events
    actions = dict(settings.actions)
    topic = env.get("SMSCAN_SNS_TOPIC_ARN")
    if topic:
        actions["notify"] = dataclasses.replace(actions["notify"], topic_arn=topic)
    if env.get("SMSCAN_DRY_RUN", "").strip().lower() in ("1", "true", "yes"):
        actions = {name: dataclasses.replace(rule, dry_run=True) for name, rule in actions.items()}
    settings = dataclasses.replace(settings, actions=actions)
    settings.check_ready()
    fail_on = env.get("SMSCAN_FAIL_ON") or config.fail_on or "high"
    fail_on_unknown = env.get("SMSCAN_FAIL_ON_UNKNOWN") or config.fail_on_unknown or "never"
    return Prepared(config, policies, waivers, settings, fail_on, fail_on_unknown=fail_on_unknown)


def _client_for(service: str, region: str) -> Any:
    if (service, region) not in _clients:
        import boto3

        from smscan.sources.aws.fetch import ApiCounter, ClientFactory, FetchSettings

        # A few attempts only: Lambda's own retry takes over from there.
        factory = ClientFactory(FetchSettings(max_attempts=4, read_timeout=20.0), ApiCounter())
        _clients[(service, region)] = factory.client(boto3.Session(), service, region or os.environ.get("AWS_REGION", ""))
    return _clients[(service, region)]


def handler(event: Any, context: Any = None, *, client_for: Any = None, prepared: Prepared | None = None) -> dict[str, Any]:
    """Judge one EventBridge event and act on it; return the summary (see `summary`)."""
    global _prepared
    event_id = Envelope.of(event).event_id if isinstance(event, dict) else ""
    try:
        if prepared is None:
            _prepared = _prepared or prepare()
            prepared = _prepared
        clients = client_for or _client_for
        run = judge(prepared, documents=[event], client_for=clients, act=True, hub=hub_sender(clients))
    except TransientAwsError:
        log.error("event %s: transient AWS error: raised so that Lambda retries the event", event_id or "(no id)")
        raise
    except ScannerError as exc:  # a bad config or pack: the same for every event, retrying is no cure
        log.error("event %s: %s", event_id or "(no id)", exc)
        return {"event_id": event_id, "result": "error", "errors": [str(exc)], "jobs": [], "actions": []}
    except Exception as exc:  # noqa: BLE001 - a bug an odd event triggers: retrying it thrice is no cure
        # The type only: an exception's text may quote the event's values.
        log.error("event %s: internal error %s (a bug)", event_id or "(no id)", type(exc).__name__)
        why = f"internal error: {type(exc).__name__} (a bug)"
        return {"event_id": event_id, "result": "error", "errors": [why], "jobs": [], "actions": []}
    out = summary(run, event_id, GateOptions(fail_on=prepared.fail_on, fail_on_unknown=prepared.fail_on_unknown))
    log.info("%s", json.dumps(out, sort_keys=True))
    return out


def summary(run: EventRun, event_id: str, gate: GateOptions) -> dict[str, Any]:
    """{"event_id", "result": compliant|noncompliant|skipped|error, "jobs", "actions", "errors", "notes"}."""
    result = run.result
    jobs = []
    for job in run.jobs:
        mine = [f for f in result.findings if f.resource.arn == job.key]

        def ids(*statuses: str, findings: list[Any] = mine) -> list[str]:
            return sorted({f.policy_id for f in findings if f.status.value in statuses})

        jobs.append({"job": job.key, "status": job.status, "failed": ids("FAIL"),
                     "unknown": ids("UNKNOWN", "ERROR"), "waived": ids("WAIVED")})
    errors = [str(p) for p in result.errors if p.kind != "note"]
    errors += [f"{o.action}: {o.detail}" for o in run.outcomes if o.outcome == "error"]
    if errors:
        verdict = "error"
    elif not run.jobs:
        verdict = "skipped"
    else:  # the scan's own gate decides, as it does for `smscan event`'s exit code
        verdict = "compliant" if decide(result, gate).passed else "noncompliant"
    notes = [p.message for p in result.errors if p.kind == "note"] + list(result.meta.notes)
    return {
        "event_id": event_id,
        "result": verdict,
        "jobs": jobs,
        "actions": [o.as_json() for o in run.outcomes],
        "errors": errors,
        "notes": notes[:20],
    }
