"""Settings from smscan.yaml (or --config) and --param, validated like policies.

Precedence: command-line flags > config file > defaults. Param overrides are
collected as {policy_id: {name: value}} and checked against each policy's
declared params by the loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscan.errors import ConfigError, ConfigProblemsError
from smscan.models import Severity
from smscan.policy.problems import PolicyProblem
from smscan.yamlpos import BadScalar, YamlProblem, YList, YMap, load_file, to_plain

if TYPE_CHECKING:
    from smscan.events.settings import EventSettings

DEFAULT_CONFIG = "smscan.yaml"
FAIL_ON_CHOICES = tuple(s.value for s in Severity) + ("never",)
_SECTIONS = ("event", "actions")  # event mode: read by smscan.events.settings
_KEYS = (
    "policies", "select", "skip", "fail_on", "fail_on_unknown", "formats", "output_dir", "params",
    "include_passed", "waivers", "event", "actions",
)


@dataclass
class Config:
    source: str = ""
    policies: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    fail_on: str | None = None
    fail_on_unknown: str | None = None
    formats: list[str] = field(default_factory=list)
    output_dir: str | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    include_passed: bool = False
    waivers: str | None = None
    # `event:` and `actions:`; None when the file has neither. Event mode's settings module is
    # imported only by event mode or a file that has those sections: a scan never needs it.
    event_settings: EventSettings | None = None

    @property
    def events(self) -> EventSettings:
        if self.event_settings is None:
            from smscan.events.settings import EventSettings

            return EventSettings()
        return self.event_settings


def load_config(explicit: str | None) -> Config:
    """Read --config FILE, or ./smscan.yaml when present; an absent default is not an error.

    Every problem of the file is reported at once, each as FILE:LINE:COL: key: problem."""
    path = Path(explicit) if explicit else Path(DEFAULT_CONFIG)
    if not path.exists():
        if explicit:
            raise ConfigError(f"{explicit}: config file not found")
        return Config()
    try:
        doc = load_file(path, keep_bad=True)
    except YamlProblem as exc:
        where = f"{path}:{exc.pos.line}:{exc.pos.col}" if exc.pos else str(path)
        raise ConfigError(f"{where}: {exc}") from None
    if doc is None:
        return Config(source=str(path))
    if not isinstance(doc, YMap):
        raise ConfigError(f"{path}:1:1: expected a mapping of settings")
    config = Config(source=str(path))
    problems: list[PolicyProblem] = []
    for key, value in doc.items():
        pos = value.pos if isinstance(value, BadScalar) and key in _KEYS else doc.key_pos[key]
        if key not in _KEYS:
            message = f"unknown setting (expected one of {', '.join(_KEYS)})"
        elif key in _SECTIONS:
            continue  # read below, with their own positions
        elif isinstance(value, BadScalar):
            message = f"invalid value '{value.text}' ({value.problem})"
        else:
            message = _apply(config, key, value)
        if message:
            problems.append(PolicyProblem(str(path), pos.line, pos.col, "", key, message))
    if any(section in doc for section in _SECTIONS):
        config.event_settings = _event_settings(doc, str(path), problems)
    if problems:
        raise ConfigProblemsError(problems)
    return config


def _event_settings(doc: YMap, source: str, problems: list[PolicyProblem]) -> EventSettings:
    from smscan.events.settings import EventSettings, parse_actions_section, parse_event_section

    settings = EventSettings()
    statuses, enrich = settings.statuses, settings.enrich
    if "event" in doc:
        statuses, enrich = parse_event_section(doc["event"], source, doc.key_pos["event"], problems)
    actions = settings.actions
    if "actions" in doc:
        actions = parse_actions_section(doc["actions"], source, doc.key_pos["actions"], problems)
    return EventSettings(statuses=statuses, enrich=enrich, actions=actions)


def _apply(config: Config, key: str, value: Any) -> str:
    """Set `key` from `value`; the problem with the value, or '' when there is none."""
    if key in ("policies", "select", "skip", "formats"):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, YList) and not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            return "expected a list of strings"
        if key == "formats":
            from smscan.cli.formats import known_formats

            unknown = [i for i in items if i.strip().lower() not in known_formats()]
            if unknown:
                return f"unknown format {unknown[0]!r} (expected one of {', '.join(known_formats())})"
        setattr(config, key, list(items))
    elif key in ("fail_on", "fail_on_unknown", "output_dir", "waivers"):
        if not isinstance(value, str):
            return "expected a string"
        if key in ("fail_on", "fail_on_unknown") and value not in FAIL_ON_CHOICES:
            return f"expected one of {'|'.join(FAIL_ON_CHOICES)}"
        setattr(config, key, value)
    elif key == "include_passed":
        if not isinstance(value, bool):
            return "expected true or false"
        config.include_passed = value
    elif key == "params":
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            return "expected policy-id: {param: value} mappings"
        config.params = {str(k): to_plain(v) for k, v in value.items()}
    return ""


def parse_param(text: str) -> tuple[str, str, Any]:
    """`--param POLICY.NAME=VALUE`; VALUE is read as YAML, so `[a, b]` is a list and `3` a number."""
    name, sep, raw = text.partition("=")
    policy_id, dot, param = name.strip().partition(".")
    if not sep or not dot or not policy_id or not param:
        raise ConfigError(f"--param {text!r}: expected POLICY-ID.NAME=VALUE")
    import yaml  # here: a run without --param need not import PyYAML

    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        raise ConfigError(f"--param {name}: value is not valid YAML") from None
    return policy_id, param, value


def merge_params(base: dict[str, dict[str, Any]], overrides: list[str]) -> dict[str, dict[str, Any]]:
    merged = {k: dict(v) for k, v in base.items()}
    for text in overrides:
        policy_id, name, value = parse_param(text)
        merged.setdefault(policy_id, {})[name] = value
    return merged
