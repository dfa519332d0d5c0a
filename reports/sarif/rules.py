"""SARIF rule descriptors: one per policy, with the help GitHub shows beside an alert.

GitHub reads `properties["security-severity"]` to rank an alert critical/high/medium/low
(> 9.0, 7.0-8.9, 4.0-6.9, 0.1-3.9); each severity maps to a score well inside its band,
and `info` gets none, so an informational policy never shows up as a security alert level.
"""

from __future__ import annotations

import re
from typing import Any

from smscan.models import PolicyInfo, Severity

TEXT_LIMIT = 1024  # GitHub truncates short/full descriptions beyond this
MAX_TAGS = 10  # GitHub keeps only the first 10 tags of a rule

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
}

_URL = re.compile(r"https?://[^\s<>\"{}|\\^`]+\Z")  # helpUri must be an absolute URI

BASE_TAGS = ("security", "aws", "sagemaker", "compliance")

# Remediation channels in the order a reader wants them; unknown keys follow, sorted.
CHANNELS = ("summary", "console", "cli", "sdk", "cloudformation", "terraform")
CODE_CHANNELS = {"cli": "shell", "sdk": "python", "cloudformation": "yaml", "terraform": "hcl"}


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def rule_name(policy_id: str) -> str:
    """`network-isolation` -> `NetworkIsolation`: SARIF wants an identifier, not a sentence."""
    return "".join(part[:1].upper() + part[1:] for part in policy_id.replace("_", "-").split("-"))


def tags(policy: PolicyInfo) -> list[str]:
    out = list(BASE_TAGS)
    for framework in sorted(policy.frameworks):
        for control in sorted(policy.frameworks[framework]):
            tag = f"external/{framework}/{control}".lower()
            if tag not in out:
                out.append(tag)
    return out[:MAX_TAGS]


def _channels(policy: PolicyInfo) -> list[tuple[str, str]]:
    known = [(k, policy.remediation[k]) for k in CHANNELS if policy.remediation.get(k)]
    extra = sorted((k, v) for k, v in policy.remediation.items() if k not in CHANNELS and v)
    return known + extra


def help_text(policy: PolicyInfo) -> str:
    lines = [policy.title, "", policy.description.strip()]
    if policy.rationale:
        lines += ["", "Risk: " + policy.rationale.strip()]
    channels = _channels(policy)
    if channels:
        lines += ["", "Remediation:"]
        lines += [f"- {key}: {value.strip()}" for key, value in channels]
    if policy.references:
        lines += ["", "References:"] + [f"- {ref}" for ref in policy.references]
    if policy.frameworks:
        lines += ["", "Framework controls:"]
        lines += [f"- {fw}: {', '.join(policy.frameworks[fw])}" for fw in sorted(policy.frameworks)]
    return "\n".join(lines).strip() + "\n"


def help_markdown(policy: PolicyInfo) -> str:
    lines = [f"**{policy.title}**", "", policy.description.strip()]
    if policy.rationale:
        lines += ["", "## Risk", "", policy.rationale.strip()]
    channels = _channels(policy)
    if channels:
        lines += ["", "## Remediation"]
        for key, value in channels:
            if key == "summary":
                lines += ["", value.strip()]
            elif key in CODE_CHANNELS:
                lines += ["", f"### {key}", "", f"```{CODE_CHANNELS[key]}", value.strip(), "```"]
            else:
                lines += ["", f"### {key}", "", value.strip()]
    if policy.references:
        lines += ["", "## References", ""] + [f"- <{ref}>" for ref in policy.references]
    if policy.frameworks:
        lines += ["", "## Framework controls", "", "| framework | controls |", "| --- | --- |"]
        lines += [
            f"| {fw} | {', '.join(policy.frameworks[fw])} |" for fw in sorted(policy.frameworks)
        ]
    return "\n".join(lines).strip() + "\n"


def rule(policy: PolicyInfo) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "tags": tags(policy),
        "precision": "very-high",  # a configuration check is exact, not a heuristic
        "problem.severity": {"error": "error", "warning": "warning"}.get(
            LEVELS[policy.severity], "recommendation"
        ),
        "smscan-severity": policy.severity.value,
    }
    if policy.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[policy.severity]
    if policy.digest:
        properties["smscan-digest"] = policy.digest
    descriptor: dict[str, Any] = {
        "id": policy.id,
        "name": rule_name(policy.id),
        "shortDescription": {"text": clip(policy.title or policy.id)},
        "fullDescription": {"text": clip(policy.description or policy.title or policy.id)},
        "help": {"text": help_text(policy), "markdown": help_markdown(policy)},
        "defaultConfiguration": {"level": LEVELS[policy.severity]},
        "properties": properties,
    }
    help_uri = next((ref for ref in policy.references if _URL.match(ref)), None)
    if help_uri:
        descriptor["helpUri"] = help_uri
    return descriptor


def placeholder(policy_id: str, severity: Severity) -> PolicyInfo:
    """A finding whose policy the result does not list still needs a rule to point at."""
    return PolicyInfo(id=policy_id, title=policy_id, severity=severity, description=policy_id)
