"""`smscan policy show ID`: one policy as someone deciding whether to waive it needs it.

What it checks and why, the params in force (defaults merged with smscan.yaml and --param),
the framework controls it maps to, how to remediate, and the YAML itself, so nothing is
hidden behind a summary.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from smscan.policy.model import Policy


def describe(policy: Policy) -> str:
    info = policy.info
    lines = [f"{info.id}  [{info.severity.value}]  {info.title}", f"  file: {info.source_path}:{info.source_line}"]
    if info.digest:
        lines.append(f"  digest: {info.digest}")
    lines += ["", "What it checks:", *_wrapped(info.description)]
    if info.rationale:
        lines += ["", "Why it matters:", *_wrapped(info.rationale)]
    lines += ["", "Params in force:"]
    if info.params:
        lines += [f"  {name}: {json.dumps(value, default=str)}" for name, value in sorted(info.params.items())]
    else:
        lines.append("  (none)")
    if info.frameworks:
        lines += ["", "Frameworks:"]
        lines += [f"  {fw}: {', '.join(info.frameworks[fw])}" for fw in sorted(info.frameworks)]
    if info.remediation:
        lines += ["", "Remediation:"]
        for channel, text in info.remediation.items():
            lines.append(f"  {channel}:")
            lines += _indent(text, 4)
    if info.references:
        lines += ["", "References:", *(f"  {ref}" for ref in info.references)]
    lines += ["", "To waive it for one job, add to .smscan-waivers.yaml (docs/GATE.md):",
              f"  - policy: {info.id}", "    arn: 'arn:aws:sagemaker:*:*:training-job/NAME'",
              "    reason: why this job is accepted", "    owner: team", "    expires: 'YYYY-MM-DD'"]
    lines += ["", f"--- {Path(info.source_path).name}", _source(info.source_path).rstrip("\n")]
    return "\n".join(lines) + "\n"


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width=96, initial_indent="  ", subsequent_indent="  ")


def _indent(text: str, width: int = 2) -> list[str]:
    return [(" " * width + line) if line.strip() else "" for line in text.strip().splitlines()]


def _source(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        return f"(cannot read {path}: {exc.strerror})"
