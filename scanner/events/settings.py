"""The `event:` and `actions:` sections of smscan.yaml, validated with every problem positioned.

    event:
      statuses: [InProgress]     # state changes judged; others are skipped with a note
      enrich: true               # describe / ListTags a job when a policy reads what the event lacks
    actions:
      notify:       {enabled: true, dry_run: true, severity: high, topic_arn: arn:aws:sns:...}
      tag:          {enabled: true, dry_run: false, policies: [network-isolation]}
      stop:         {enabled: false, severity: critical, on_unknown: false}
      security-hub: {enabled: false, severity: low}

Every action is off unless `enabled: true`, and dry-run unless `dry_run: false`: a new
deployment logs what it would do before it does anything. An action fires for a finding
whose policy id matches one of `policies` (globs) or whose severity is at or above
`severity`; with neither given, every FAIL. WAIVED findings never fire an action; UNKNOWN
and ERROR findings only with `on_unknown: true`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smscan.models import Finding, Severity
from smscan.policy.problems import PolicyProblem
from smscan.yamlpos import Pos, YList, YMap

ACTIONS = ("notify", "tag", "stop", "security-hub")
JOB_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")
_EVENT_KEYS = ("statuses", "enrich")
_ACTION_KEYS = ("enabled", "dry_run", "severity", "policies", "on_unknown", "topic_arn", "remediation_url")
_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}")
UNJUDGED = frozenset({"UNKNOWN", "ERROR"})  # a check that could not decide


@dataclass(frozen=True)
class ActionRule:
    name: str
    enabled: bool = False
    dry_run: bool = True
    severity: Severity | None = None
    policies: tuple[str, ...] = ()
    on_unknown: bool = False
    topic_arn: str | None = None
    remediation_url: str | None = None

    @property
    def live(self) -> bool:
        return self.enabled and not self.dry_run

    def fires_on(self, finding: Finding) -> bool:
        """Does this finding call for the action? Never a WAIVED or passing one."""
        status = finding.status.value
        if status != "FAIL" and not (self.on_unknown and status in UNJUDGED):
            return False
        if not self.policies and self.severity is None:
            return True
        by_id = any(fnmatch.fnmatchcase(finding.policy_id, p) for p in self.policies)
        by_severity = self.severity is not None and finding.severity.rank >= self.severity.rank
        return by_id or by_severity


@dataclass(frozen=True)
class EventSettings:
    statuses: tuple[str, ...] = ("InProgress",)
    enrich: bool = True
    actions: Mapping[str, ActionRule] = field(default_factory=lambda: {n: ActionRule(n) for n in ACTIONS})

    def action(self, name: str) -> ActionRule:
        return self.actions.get(name) or ActionRule(name)

    @property
    def enabled(self) -> list[ActionRule]:
        return [rule for rule in self.actions.values() if rule.enabled]

    def check_ready(self) -> None:
        """Before any event: a live action that cannot run is a config error, not a failed event."""
        from smscan.errors import ConfigError

        if self.action("notify").live and not self.action("notify").topic_arn:
            raise ConfigError("actions.notify: dry_run is false but no topic_arn is set (or SMSCAN_SNS_TOPIC_ARN)")


def _at(source: str, pos: Pos | None, what: str, message: str) -> PolicyProblem:
    line, column = (pos.line, pos.col) if pos else (1, 1)
    return PolicyProblem(source, line, column, "", what, message)


def parse_event_section(value: Any, source: str, pos: Pos | None, problems: list[PolicyProblem]) -> tuple[tuple[str, ...], bool]:
    statuses, enrich = EventSettings.statuses, EventSettings.enrich
    if not isinstance(value, YMap):
        problems.append(_at(source, pos, "event", "expected a mapping (statuses, enrich)"))
        return statuses, enrich
    for key, item in value.items():
        where = value.key_pos.get(key)
        if key == "statuses":
            items = [item] if isinstance(item, str) else item
            if not isinstance(items, YList | list) or not all(isinstance(s, str) for s in items):
                problems.append(_at(source, where, "event.statuses", "expected a list of job statuses"))
                continue
            bad = [s for s in items if s not in JOB_STATUSES]
            if bad:
                problems.append(_at(source, where, "event.statuses", f"unknown status {bad[0]!r} (expected {'|'.join(JOB_STATUSES)})"))
                continue
            statuses = tuple(items)
        elif key == "enrich":
            if not isinstance(item, bool):
                problems.append(_at(source, where, "event.enrich", "expected true or false"))
                continue
            enrich = item
        else:
            problems.append(_at(source, where, f"event.{key}", f"unknown setting (expected one of {', '.join(_EVENT_KEYS)})"))
    return statuses, enrich


def parse_actions_section(value: Any, source: str, pos: Pos | None, problems: list[PolicyProblem]) -> dict[str, ActionRule]:
    rules = {name: ActionRule(name) for name in ACTIONS}
    if not isinstance(value, YMap):
        problems.append(_at(source, pos, "actions", f"expected a mapping of {', '.join(ACTIONS)}"))
        return rules
    for name, body in value.items():
        where = value.key_pos.get(name)
        if name not in ACTIONS:
            problems.append(_at(source, where, f"actions.{name}", f"unknown action (expected one of {', '.join(ACTIONS)})"))
            continue
        if not isinstance(body, YMap):
            problems.append(_at(source, where, f"actions.{name}", "expected a mapping (enabled, dry_run, severity, policies ...)"))
            continue
        rules[name] = _rule(name, body, source, problems)
    return rules


def _rule(name: str, body: YMap, source: str, problems: list[PolicyProblem]) -> ActionRule:
    values: dict[str, Any] = {}
    for key, item in body.items():
        where, what = body.key_pos.get(key), f"actions.{name}.{key}"
        if key not in _ACTION_KEYS:
            problems.append(_at(source, where, what, f"unknown setting (expected one of {', '.join(_ACTION_KEYS)})"))
        elif key in ("enabled", "dry_run", "on_unknown"):
            if isinstance(item, bool):
                values[key] = item
            else:
                problems.append(_at(source, where, what, "expected true or false"))
        elif key == "severity":
            try:
                values[key] = Severity.parse(item) if isinstance(item, str) else Severity.parse(repr(item))
            except ValueError as err:
                problems.append(_at(source, where, what, str(err)))
        elif key == "policies":
            items = [item] if isinstance(item, str) else item
            if isinstance(items, YList | list) and all(isinstance(p, str) and p for p in items):
                values[key] = tuple(items)
            else:
                problems.append(_at(source, where, what, "expected a list of policy ids or globs"))
        elif key == "topic_arn":
            if name != "notify":
                problems.append(_at(source, where, what, "only the notify action publishes to a topic"))
            elif isinstance(item, str) and _TOPIC_ARN.fullmatch(item):
                values[key] = item
            else:
                problems.append(_at(source, where, what, "expected an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"))
        elif key == "remediation_url":
            if isinstance(item, str) and item.startswith("https://"):
                values[key] = item
            else:
                problems.append(_at(source, where, what, "expected an https:// URL"))
    return ActionRule(name, **values)
