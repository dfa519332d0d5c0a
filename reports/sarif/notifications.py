"""The tool's own notification descriptors: what a `toolExecutionNotification` refers to.

GitHub Advanced Security requires every reporting descriptor, notifications included, to
carry a `fullDescription` and a `help` (the SARIF multitool's rule GH2012), and a friendly
`name` lets viewers title the notification (SARIF2012). Each text says what happened and
what to do about it, since it is all a reader of the upload sees.
"""

from __future__ import annotations

from typing import Any

from smscan.reports.sarif.rules import rule_name

# (id, short description, full description, what to do)
NOTIFICATIONS: tuple[tuple[str, str, str, str], ...] = (
    (
        "input-problem",
        "An input, region or record could not be scanned.",
        "A file, a JSONL line, an AWS region or a training job could not be read or"
        " normalized, so the scan is incomplete: its results cover only what was read.",
        "Read the message for the file, line or region, fix the input (or the IAM"
        " permissions), and scan again; smscan exits 3 for an incomplete scan unless"
        " --allow-partial is given.",
    ),
    (
        "evaluation-error",
        "A policy could not be evaluated on a training job.",
        "A policy met a value it cannot judge (a wrong type, a malformed field), so the"
        " result is ERROR: neither a pass nor a fail. At or above --fail-on it fails the gate.",
        "Check the named field of the job against the policy's expectation; correct the"
        " job or the policy's params.",
    ),
    (
        "pack-relative-location",
        "A file outside the SARIF root is located relative to its pack.",
        "A policy or request file lies outside --sarif-root, so its results point at a"
        " path relative to the policy pack (or at a bare file name) that may not exist in"
        " the repository; GitHub then shows the alert without a code view.",
        "Run smscan with --sarif-root set to the repository that holds the files, or copy"
        " the built-in pack into the repository with `smscan init --with-pack`.",
    ),
    (
        "results-truncated",
        "Results beyond GitHub's per-run limit were left out.",
        "GitHub accepts a limited number of results per run; the most severe were kept and"
        " the rest left out of this SARIF file.",
        "Read the JSON report for every finding, or split the scan (per account or region,"
        " each with its own --sarif-category).",
    ),
    (
        "output-too-large",
        "The gzipped SARIF exceeds GitHub's upload size limit.",
        "GitHub refuses an upload whose gzipped size exceeds its limit.",
        "Split the scan (per account or region, each with its own --sarif-category) so"
        " every file uploads.",
    ),
)

INDEX = {entry[0]: i for i, entry in enumerate(NOTIFICATIONS)}


def descriptors() -> list[dict[str, Any]]:
    out = []
    for ident, short, full, todo in NOTIFICATIONS:
        out.append(
            {
                "id": ident,
                "name": rule_name(ident),
                "shortDescription": {"text": short},
                "fullDescription": {"text": full},
                "help": {"text": f"{full} {todo}", "markdown": f"{full}\n\n**What to do:** {todo}"},
                "defaultConfiguration": {"level": "note" if ident == "pack-relative-location" else "warning"},
            }
        )
    return out
