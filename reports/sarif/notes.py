"""SARIF tool notifications: inputs that could not be read, checks that could not run, and
limits that shaped the log. They go to `invocations[0].toolExecutionNotifications`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from smscan.models import ScanResult, Status

# Tool notification descriptors: (id, what it means).
NOTIFICATIONS = (
    ("input-problem", "An input, region or record could not be scanned."),
    ("evaluation-error", "A policy could not be evaluated on a training job."),
    ("pack-relative-location", "A file outside the SARIF root is located relative to its pack."),
    ("results-truncated", "Results beyond GitHub's per-run limit were left out."),
    ("output-too-large", "The gzipped SARIF exceeds GitHub's upload size limit."),
)
_NOTE_INDEX = {name: i for i, (name, _) in enumerate(NOTIFICATIONS)}
def note(
    name: str, level: str, text: str, rule_ref: dict[str, Any] | None = None
) -> dict[str, Any]:
    note: dict[str, Any] = {
        "level": level,
        "message": {"text": text},
        "descriptor": {"id": name, "index": _NOTE_INDEX[name]},
    }
    if rule_ref:
        note["associatedRule"] = rule_ref
    return note


def problem_notes(result: ScanResult) -> list[dict[str, Any]]:
    notes = []
    for p in sorted(result.errors, key=lambda p: (p.source, p.line or 0, p.kind, p.message)):
        text = str(p) + (f" ({p.resource})" if p.resource else "")
        notes.append(note("input-problem", "note" if p.kind == "note" else "error", text))
    return notes


def error_notes(result: ScanResult, rule_index: Mapping[str, int]) -> list[dict[str, Any]]:
    errors = sorted(
        result.findings.where((Status.ERROR,)),
        key=lambda f: (f.policy_id, f.resource.arn),
    )
    notes = []
    for f in errors:
        r = f.resource
        job = f"training job {r.name or '(unnamed)'}" + (f" ({r.arn})" if r.arn else "")
        why = " ".join(f.message.split()) or "no reason given"
        text = f"Policy {f.policy_id} could not be evaluated on {job}: {why}"
        ref = {"id": f.policy_id, "index": rule_index[f.policy_id]}
        notes.append(note("evaluation-error", "error", text, ref))
    return notes


def fallback_note(uris: Iterable[str]) -> dict[str, Any]:
    listed = sorted(uris)
    shown = ", ".join(listed[:10]) + (f" and {len(listed) - 10} more" if len(listed) > 10 else "")
    text = (
        f"{len(listed)} file(s) lie outside the SARIF root, so their results point at a path"
        f" relative to the policy pack (or at the bare file name): {shown}. Run smscan with"
        " --sarif-root set to the repository that holds them to point at the files themselves."
    )
    return note("pack-relative-location", "note", text)
