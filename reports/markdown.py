"""A short GitHub-flavored Markdown summary, for $GITHUB_STEP_SUMMARY or a PR comment.

The gate's verdict in words (PASSED, FAILED or INCOMPLETE, with its reason), totals
by status and by severity, compliance score, the top failing policies, the first
failures, the first UNKNOWN results and the number of problems. It is a summary: the JSON,
SARIF and HTML reports hold everything.

Job names, messages and problem texts come from scanned data, which an attacker may
control (a job name is free text up to 63 characters, a request file in a pull
request is anything). Every such string goes through `text()`: control characters
and newlines become spaces, `& < >` become entities (so no HTML element can appear),
and Markdown punctuation is backslash-escaped (so no link, image, code span,
emphasis, mention or table cell boundary can appear); long values are cut.
"""

from __future__ import annotations

import re
from typing import TextIO

from smscan.findings import count_of
from smscan.gate.score import total_score
from smscan.gate.verdict import Verdict, VerdictStatus
from smscan.models import Finding, ScanResult, Severity, Status
from smscan.reports.interface import RenderOptions

TOP_POLICIES = 10
FIRST_FAILURES = 20
FIRST_PROBLEMS = 5
FIRST_UNKNOWN = 10
_MARK = {VerdictStatus.PASSED: "✅", VerdictStatus.FAILED: "❌", VerdictStatus.INCOMPLETE: "⚠️"}
MAX_CELL = 160

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+!|~@$:])")
_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))


def text(value: object, limit: int = MAX_CELL) -> str:
    """`value` as inert Markdown text, safe in a table cell."""
    raw = _CONTROL.sub(" ", str(value)).strip()
    if len(raw) > limit:
        raw = raw[: limit - 1] + "…"
    for char, entity in _ENTITIES:
        raw = raw.replace(char, entity)
    return _PUNCTUATION.sub(r"\\\1", raw)


def render(result: ScanResult, verdict: Verdict, options: RenderOptions, out: TextIO) -> None:
    lines = [f"## smscan: {_MARK[verdict.status]} {verdict.word} — {text(verdict.reason, 400)}", ""]
    meta = result.meta
    shown = total_score(result.counts.values()).text("n/a (nothing evaluated)")
    lines.append(
        f"{meta.records_scanned} training job(s) × {len(result.policies)} policies · "
        f"compliance score **{shown}** · exit code {verdict.exit_code} · smscan {text(meta.tool_version)} · "
        f"{text(options.generated_at)}"
    )
    lines += ["", "| " + " | ".join(s.value for s in Status) + " |"]
    lines.append("|" + " ---: |" * len(Status))
    lines.append("| " + " | ".join(str(result.total(s)) for s in Status) + " |")
    counts = result.findings.counts()
    lines += ["", "Failures by severity: " + " · ".join(
        f"{s.value} **{counts.get((Status.FAIL, s), 0)}**" for s in reversed(Severity)
    )]
    failing = count_of(result.findings, (Status.FAIL,))
    lines += _top_policies(result) if failing else []
    lines += _first(result.findings.first(FIRST_FAILURES, (Status.FAIL,)), "Failures", FIRST_FAILURES, "failures",
                    total=failing)
    unknown = result.findings.first(FIRST_UNKNOWN + 1, (Status.UNKNOWN,))
    lines += _first(unknown, "Known only at run time (UNKNOWN)", FIRST_UNKNOWN, "UNKNOWN results",
                    total=result.total(Status.UNKNOWN))
    lines += _problems(result)
    out.write("\n".join(lines) + "\n")


def _top_policies(result: ScanResult) -> list[str]:
    """The failing policies, most severe first, then by distinct failing jobs (from the store's
    counts: no pass over the failures)."""
    jobs = result.findings.jobs((Status.FAIL,)).policy
    # a policy's FAILs share its severity; were they to differ, the least severe one ranks it
    severity = {p: least for p, (_, least) in result.findings.facets().policy_severities((Status.FAIL,)).items()}
    ranked = sorted(jobs, key=lambda p: (-severity[p].rank, -jobs[p], p))
    lines = ["", "### Top failing policies", "", "| policy | severity | failing jobs |"]
    lines.append("| --- | --- | ---: |")
    for policy_id in ranked[:TOP_POLICIES]:
        info = result.policy(policy_id)
        title = f" — {text(info.title)}" if info else ""
        row = (text(policy_id) + title, severity[policy_id].value, str(jobs[policy_id]))
        lines.append("| " + " | ".join(row) + " |")
    if len(ranked) > TOP_POLICIES:
        lines += ["", f"… and {len(ranked) - TOP_POLICIES} more failing policies."]
    return lines


def _first(
    findings: list[Finding], title: str, limit: int, what: str, total: int | None = None
) -> list[str]:
    if not findings:
        return []
    lines = ["", f"### {title}", "", "| severity | policy | job | message |"]
    lines.append("| --- | --- | --- | --- |")
    for f in findings[:limit]:
        job = f.resource.name or f.resource.arn or str(f.resource.origin)
        where = f" ({text(_where(f))})" if f.location is not None else ""
        row = (f.severity.value, text(f.policy_id), text(job) + where, text(f.message))
        lines.append("| " + " | ".join(row) + " |")
    total = len(findings) if total is None else max(total, len(findings))
    if total > limit:
        lines += ["", f"… and {total - limit} more {what} (see the full report)."]
    return lines


def _where(finding: Finding) -> str:
    loc = finding.location
    return "" if loc is None else f"{loc.path}:{loc.line}"


def _problems(result: ScanResult) -> list[str]:
    problems = [p for p in result.errors if p.kind != "note"]
    notes = len(result.errors) - len(problems)
    if not problems and not notes:
        return []
    lines = ["", f"**{len(problems)} problem(s)** (not scanned) and {notes} note(s)."]
    if problems:
        lines.append("")
        lines += [f"- {text(p)}" for p in problems[:FIRST_PROBLEMS]]
        if len(problems) > FIRST_PROBLEMS:
            lines.append(f"- … and {len(problems) - FIRST_PROBLEMS} more (see the JSON report)")
    return lines
