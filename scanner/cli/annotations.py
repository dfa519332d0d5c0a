"""GitHub Actions workflow commands: findings in request files as inline PR annotations.

When `GITHUB_ACTIONS=true`, each FAIL (or ERROR) whose job lives in a repository file is
printed as `::error file=PATH,line=N,title=...::message` (high and critical) or `::warning`
(medium and low), on stderr: the runner reads workflow commands from both streams, and
stdout may be carrying a report (`-o -`).

GitHub shows at most 10 error and 10 warning annotations per step (and 50 per job); the
rest would vanish without a word. So the most severe are printed first, each kind stops
at its cap, and one notice says how many were left out and where to find them.

Messages come from Findings, which the engine masked already; they are masked once more
here, as every output is, because a workflow command lands in a public log.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from smscan.models import Finding, ScanResult, Severity, Status
from smscan.secrets import redact

MAX_PER_KIND = 10  # per step, for each of error and warning
MAX_MESSAGE = 4000  # keep one command on one readable log line

_ERROR_SEVERITIES = (Severity.CRITICAL, Severity.HIGH)
_WARNING_SEVERITIES = (Severity.MEDIUM, Severity.LOW)


def escape_data(text: str) -> str:
    """The message part: `%`, CR and LF are the characters the runner decodes."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A `key=value` property: also `:` and `,`, which end a value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def kind_of(finding: Finding) -> str | None:
    if finding.status is Status.ERROR:
        return "error" if finding.severity in _ERROR_SEVERITIES else "warning"
    if finding.status is not Status.FAIL:
        return None
    if finding.severity in _ERROR_SEVERITIES:
        return "error"
    if finding.severity in _WARNING_SEVERITIES:
        return "warning"
    return None  # info: reported, never an annotation


def repo_path(path: str, workspace: Path) -> str | None:
    """`path` relative to the checkout, POSIX; None when it lies outside (no annotation)."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(workspace))
    except ValueError:
        return None
    text = rel.as_posix()
    return None if text in ("", ".") else text


def command(finding: Finding, kind: str, file: str) -> str:
    line = max(1, finding.location.line if finding.location else 1)
    column = finding.location.column if finding.location else 1
    verb = "could not be evaluated" if finding.status is Status.ERROR else "fails"
    title = f"smscan {finding.severity.value}: {finding.policy_id} {verb}"
    message = str(redact(" ".join(finding.message.split())))[:MAX_MESSAGE]
    props = ",".join(
        f"{key}={escape_property(value)}"
        for key, value in (("file", file), ("line", str(line)), ("col", str(column)), ("title", title))
    )
    return f"::{kind} {props}::{escape_data(message)}"


def workflow_commands(result: ScanResult, workspace: Path | None = None) -> str:
    """The annotation commands for `result`, capped as GitHub caps them; '' when none."""
    root = workspace or Path(os.environ.get("GITHUB_WORKSPACE") or os.getcwd())
    shown: dict[str, list[str]] = {"error": [], "warning": []}
    left_out = 0
    for finding in _most_severe_first(result.findings):
        kind = kind_of(finding)
        if kind is None or finding.location is None or not finding.location.path:
            continue
        file = repo_path(finding.location.path, root)
        if file is None:
            continue
        if len(shown[kind]) >= MAX_PER_KIND:
            left_out += 1
            continue
        shown[kind].append(command(finding, kind, file))
    lines = shown["error"] + shown["warning"]
    if left_out:
        lines.append(
            f"::notice title=smscan::{left_out} more finding(s) not annotated (GitHub shows"
            f" {MAX_PER_KIND} errors and {MAX_PER_KIND} warnings per step); see the SARIF or JSON report"
        )
    return "".join(line + "\n" for line in lines)


def _most_severe_first(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (*f.sort_key[:1], f.status is not Status.FAIL, *f.sort_key[1:]))
