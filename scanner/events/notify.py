"""The `notify` action's SNS message: short, and made only of names smscan chose or AWS assigned.

It names the job, account, region, status, event id and each failing policy (id, severity,
title, a remediation link): never a finding's message or evidence, so no value of the
job's Environment, HyperParameters or tags can reach the topic, masked or not.

SNS limits (Publish, API Reference): a Subject is ASCII, has no line breaks and is under
100 characters; a Message is at most 256 KB. The list of policies is cut to fit.
"""

from __future__ import annotations

from collections.abc import Sequence

from smscan.models import Finding, ScanResult

SUBJECT_MAX = 99
MESSAGE_MAX = 256 * 1024
_SHOWN = 50  # policies listed before "... and N more"


def subject(job_name: str, failing: int) -> str:
    text = f"smscan: {failing} failing polic{'y' if failing == 1 else 'ies'} on training job {job_name}"
    text = text.encode("ascii", "replace").decode("ascii")
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 3] + "..."


def remediation_link(result: ScanResult, policy_id: str, base: str | None) -> str:
    if base:
        return base.rstrip("/") + "/" + policy_id
    info = result.policy(policy_id)
    links = [r for r in (info.references if info else ()) if r.startswith("https://")]
    return links[0] if links else ""


def message(
    result: ScanResult,
    findings: Sequence[Finding],
    *,
    job_name: str,
    job_arn: str,
    account: str,
    region: str,
    status: str,
    event_id: str,
    remediation_url: str | None,
) -> str:
    lines = [
        f"Training job {job_name} does not comply with {len(findings)} smscan polic{'y' if len(findings) == 1 else 'ies'}.",
        "",
        f"Job:     {job_arn}",
        f"Account: {account or '(unknown)'}",
        f"Region:  {region or '(unknown)'}",
        f"Status:  {status or '(created)'}",
        f"Event:   {event_id or '(no id)'}",
        "",
        "Failing policies:",
    ]
    for finding in findings[:_SHOWN]:
        info = result.policy(finding.policy_id)
        title = info.title if info else ""
        link = remediation_link(result, finding.policy_id, remediation_url)
        state = "" if finding.status.value == "FAIL" else f" ({finding.status.value})"
        lines.append(f"- [{finding.severity.value.upper()}] {finding.policy_id}{state}: {title}")
        if link:
            lines.append(f"  Remediation: {link}")
    if len(findings) > _SHOWN:
        lines.append(f"... and {len(findings) - _SHOWN} more")
    text = "\n".join(lines) + "\n"
    data = text.encode("utf-8")
    return text if len(data) <= MESSAGE_MAX else data[: MESSAGE_MAX - 4].decode("utf-8", "ignore") + "...\n"
