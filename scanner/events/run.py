"""The one event path, for `smscan event` and the Lambda handler alike.

    events -> EventSource (file readers, status filter, enrichment) -> run_scan (the scan's
    engine, waivers and counts) -> ScanResult -> Actions -> Outcomes

The policies, params, selection and waivers come from the same smscan.yaml a scan reads,
so an event is judged exactly as `smscan scan --input` judges the same job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from smscan.cli.config import Config
from smscan.events.actions import Actions, Outcome
from smscan.events.enrich import Enricher
from smscan.events.settings import EventSettings
from smscan.events.source import EventJob, EventSource
from smscan.gate.waivers import WaiverSet
from smscan.models import ScanResult
from smscan.policy.model import Policy
from smscan.scan import ScanSettings, run_scan
from smscan.sources.aws.fetch import ApiCounter
from smscan.sources.files import FileOptions

ClientFor = Callable[[str, str], Any]  # (service, region) -> a boto3 client


@dataclass(frozen=True)
class Prepared:
    """Everything read once per process: a warm Lambda container keeps it."""

    config: Config
    policies: Sequence[Policy]
    waivers: WaiverSet | None
    settings: EventSettings
    fail_on: str = "high"
    include_passed: bool = False
    fail_on_unknown: str = "never"


@dataclass
class EventRun:
    result: ScanResult
    jobs: list[EventJob] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: int = 0


def judge(
    prepared: Prepared,
    *,
    paths: Sequence[str] = (),
    documents: Sequence[Any] | None = None,
    client_for: ClientFor | None = None,
    counter: ApiCounter | None = None,
    act: bool = False,
    hub: Callable[[ScanResult, set[str]], Any] | None = None,
    limits: dict[str, Any] | None = None,
) -> EventRun:
    """Judge the events; with `client_for`, describe what they lack; with `act`, run actions."""
    settings = prepared.settings
    enricher = None
    if client_for is not None and settings.enrich:
        sagemaker = client_for
        enricher = Enricher(lambda region: sagemaker("sagemaker", region), counter=counter)
    from smscan.engine import fields_needed, fields_of_policies

    # As a file scan: only the fields the policies read (and the identity) are coerced.
    options = FileOptions(tuple(paths), read=fields_needed(prepared.policies), **(limits or {}))
    source = EventSource(options, settings, fields_of_policies(prepared.policies), enricher=enricher, documents=documents)
    result = run_scan(
        [source],
        prepared.policies,
        ScanSettings(include_passed=prepared.include_passed, fail_on=prepared.fail_on),
        waivers=prepared.waivers,
    )
    run = EventRun(result, list(source.jobs), skipped=source.skipped)
    if act and settings.enabled:
        run.outcomes = Actions(settings, client_for or _offline, hub=hub).run(result, run.jobs)
    return run


def _offline(service: str, region: str) -> Any:
    from smscan.errors import UsageError

    raise UsageError(f"a live action needs AWS ({service} in {region or 'the job region'}): add --aws, or set dry_run: true")


def hub_sender(client_for: ClientFor) -> Callable[[ScanResult, set[str]], Any]:
    """The Security Hub sink (scanner/sinks), sent only the findings that fire the action:
    only_failed, so a job's other findings are neither archived nor suppressed."""

    def send(result: ScanResult, seen: set[str]) -> Any:
        from smscan.sinks.securityhub import SecurityHubSink

        sink = SecurityHubSink(lambda account, region: client_for("securityhub", region), only_failed=True)
        return sink.send(result, seen)

    return send
