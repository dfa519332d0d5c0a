"""What happens after an event's job is judged: notify, tag, stop, security-hub.

Each action is off unless enabled and logs what it would do in dry-run (settings.py). Per
job, every enabled action takes the findings it fires on; one that fires on none does
nothing. Order: notify, stop, security-hub, then tag, so the tag written last can mark the
job as acted on only once the other actions went through.

Idempotency (a duplicate delivery, or Lambda retrying an invocation, must not act twice):
the key is a digest of the job ARN, its status and each live action's policy set.

- With the `tag` action live, the key is stored on the job itself, in the tag
  `smscan:acted`, in the same AddTags call as the status tags. Every container, every
  retry and every duplicate sees it: the job's tags are read (ListTags) when an action is
  about to run, and an equal key skips every action with a note. Nothing else to deploy, no table to keep.
- Without it, a container remembers the keys it acted on (the last 1,000). Lambda keeps a
  warm container for retries and bursts, but not always; the other actions are safe to
  repeat anyway: StopTrainingJob on a stopping job is a note, Security Hub upserts by
  finding id. Only a notification may then be sent twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import botocore.exceptions

from smscan.events import notify
from smscan.events.enrich import TransientAwsError, is_transient
from smscan.events.settings import ActionRule, EventSettings
from smscan.events.source import EventJob
from smscan.models import Finding, ScanResult
from smscan.sources.aws.fetch import describe_error, error_code

log = logging.getLogger("smscan.events")

ORDER = ("notify", "stop", "security-hub", "tag")
MARKER = "smscan:acted"
STATUS_TAG, POLICIES_TAG = "smscan:status", "smscan:policies"
TAG_VALUE_MAX = 256
DONE_STATUSES = frozenset({"Stopping", "Stopped", "Completed", "Failed"})
ClientFor = Callable[[str, str], Any]  # (service, region) -> client
_REMEMBERED = 1000
_acted: OrderedDict[str, None] = OrderedDict()  # per container: see the module docstring


@dataclass(frozen=True)
class Outcome:
    action: str
    job: str
    outcome: str  # done | dry-run | duplicate | note | error
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"action": self.action, "job": self.job, "outcome": self.outcome, "detail": self.detail}


def idempotency_key(job: EventJob, firing: dict[str, list[Finding]]) -> str:
    parts = [job.key, job.status] + [f"{a}=" + " ".join(sorted({f.policy_id for f in fs})) for a, fs in sorted(firing.items())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def tags_for(firing: Sequence[Finding], key: str | None) -> dict[str, str]:
    """Tag values allow letters, digits, spaces and _.:/=+-@ (AddTags): ids are space-separated."""
    ids = " ".join(sorted({f.policy_id for f in firing}))
    if len(ids) > TAG_VALUE_MAX:
        ids = ids[: TAG_VALUE_MAX - 4].rsplit(" ", 1)[0] + " ..."
    tags = {STATUS_TAG: "noncompliant", POLICIES_TAG: ids}
    if key:
        tags[MARKER] = key
    return tags


class Actions:
    def __init__(self, settings: EventSettings, client_for: ClientFor, *, hub: Callable[[ScanResult, set[str]], Any] | None = None) -> None:
        self.settings = settings
        self.client_for = client_for
        self.hub = hub  # sends a result to Security Hub (the sink); built by the caller

    def run(self, result: ScanResult, jobs: Sequence[EventJob]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for job in jobs:
            outcomes += self._job(result, job)
        return outcomes

    def _job(self, result: ScanResult, job: EventJob) -> list[Outcome]:
        findings = [f for f in result.findings if f.resource.arn == job.key]
        firing = {
            rule.name: fs
            for rule in self.settings.enabled
            if (fs := [f for f in findings if rule.fires_on(f)])
        }
        live = {a: fs for a, fs in firing.items() if self.settings.action(a).live}
        key = idempotency_key(job, live) if live else ""
        tag_rule = self.settings.action("tag")
        if live and key not in _acted and tag_rule.live and job.live_tags is None:
            job = self._with_live_tags(job)  # the marker lives in the job's tags
        if live and (key in _acted or (job.live_tags or {}).get(MARKER) == key):
            log.info("event %s: %s: already acted on (key %s): duplicate delivery", job.event_id, job.key, key)
            return [Outcome(a, job.key, "duplicate", f"already acted on this job, status and policy set (key {key})") for a in live]
        out: list[Outcome] = []
        for name in ORDER:
            if name not in firing:
                continue
            rule = self.settings.action(name)
            marker = key if name == "tag" and tag_rule.live else None
            out.append(self._one(rule, result, job, firing[name], marker))
        if live and not any(o.outcome == "error" for o in out):
            _acted[key] = None
            while len(_acted) > _REMEMBERED:
                _acted.popitem(last=False)
        return out

    def _with_live_tags(self, job: EventJob) -> EventJob:
        import dataclasses

        from smscan.events.enrich import list_tags

        try:
            tags = list_tags(self.client_for("sagemaker", job.region), job.key)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            why = describe_error("ListTags", exc)
            log.warning("event %s: %s: %s", job.event_id or "(no id)", job.key, why)
            if is_transient(exc):
                raise TransientAwsError(f"event {job.event_id or '(no id)'}: {job.key}: {why}") from None
            return job  # not knowing the marker, act: a repeat beats a missed stop
        return dataclasses.replace(job, live_tags={t.get("Key", ""): t.get("Value") for t in tags})

    def _one(self, rule: ActionRule, result: ScanResult, job: EventJob, firing: list[Finding], marker: str | None) -> Outcome:
        ids = " ".join(sorted({f.policy_id for f in firing}))
        if rule.name == "stop" and job.status in DONE_STATUSES:
            return self._log(Outcome("stop", job.key, "note", f"job is already {job.status}: not stopped"), job)
        plan = {
            "notify": f"publish to {rule.topic_arn or '(no topic set)'} about {ids}",
            "tag": f"tag with {tags_for(firing, marker)}",
            "stop": f"StopTrainingJob {job.name} for {ids}",
            "security-hub": f"import {len(firing)} finding(s) into Security Hub",
        }[rule.name]
        if rule.dry_run:
            return self._log(Outcome(rule.name, job.key, "dry-run", "would " + plan), job)
        try:
            detail = self._act(rule, result, job, firing, marker)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            operation = {"notify": "sns:Publish", "tag": "AddTags", "stop": "StopTrainingJob", "security-hub": "BatchImportFindings"}[rule.name]
            why = describe_error(operation, exc)
            if rule.name == "stop" and error_code(exc) == "ValidationException":
                # SageMaker refuses to stop a job that already left InProgress.
                return self._log(Outcome("stop", job.key, "note", f"not stopped: {why}"), job)
            log.warning("event %s: %s: %s", job.event_id or "(no id)", job.key, why)
            if is_transient(exc):
                raise TransientAwsError(f"event {job.event_id or '(no id)'}: {job.key}: {why}") from None
            return Outcome(rule.name, job.key, "error", why)
        return self._log(Outcome(rule.name, job.key, "done", detail), job)

    def _act(self, rule: ActionRule, result: ScanResult, job: EventJob, firing: list[Finding], marker: str | None) -> str:
        if rule.name == "notify":
            if not rule.topic_arn:
                raise_config("actions.notify.topic_arn is not set (or SMSCAN_SNS_TOPIC_ARN)")
            topic = str(rule.topic_arn)
            self.client_for("sns", topic.split(":")[3]).publish(
                TopicArn=topic,
                Subject=notify.subject(job.name, len(firing)),
                Message=notify.message(
                    result, firing, job_name=job.name, job_arn=job.key, account=job.account, region=job.region,
                    status=job.status, event_id=job.event_id, remediation_url=rule.remediation_url,
                ),
            )
            return f"published to {topic}"
        if rule.name == "tag":
            tags = tags_for(firing, marker)
            self.client_for("sagemaker", job.region).add_tags(
                ResourceArn=job.key, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
            )
            return f"tagged {', '.join(f'{k}={v}' for k, v in tags.items())}"
        if rule.name == "stop":
            self.client_for("sagemaker", job.region).stop_training_job(TrainingJobName=job.name)
            return f"stopped {job.name}"
        if self.hub is None:
            raise_config("the Security Hub sink is not available")
        sent = self.hub(_only(result, firing), {job.key})
        return str(getattr(sent, "summary", lambda: "sent")())

    def _log(self, outcome: Outcome, job: EventJob) -> Outcome:
        log.info("event %s: %s %s: %s", job.event_id or "(no id)", outcome.action, outcome.outcome, outcome.detail)
        return outcome


def _only(result: ScanResult, findings: list[Finding]) -> ScanResult:
    import dataclasses

    from smscan.findings import MemoryFindings

    return dataclasses.replace(result, findings=MemoryFindings(findings))


def raise_config(message: str) -> NoReturn:
    from smscan.errors import ConfigError

    raise ConfigError(message)


def forget_acted() -> None:
    """Tests: a fresh container."""
    _acted.clear()
