"""The human summary printed on stderr at the end of a scan."""

from __future__ import annotations

from collections.abc import Sequence

from smscan.gate.score import total_score
from smscan.gate.verdict import Verdict
from smscan.models import ScanResult, Severity, Status

WORST_SHOWN = 5


def format_summary(result: ScanResult, written: Sequence[str], verdict: Verdict) -> str:
    """The summary; its last line is the verdict (PASSED, FAILED or INCOMPLETE) and its reason."""
    lines: list[str] = []
    meta = result.meta
    lines.append(
        f"smscan {meta.tool_version}: {meta.records_scanned} training jobs x "
        f"{len(result.policies)} policies in {meta.duration_seconds:.2f}s"
    )
    if meta.scope.get("fetch_plan"):
        calls = ", ".join(f"{op} {n}" for op, n in sorted(meta.api_calls.items())) or "none"
        lines.append(f"  fetch plan: {meta.scope['fetch_plan']}; API calls: {calls}")
    totals = "  ".join(f"{s.value} {result.total(s)}" for s in Status)
    lines.append(f"  results: {totals}")
    counts = result.findings.counts()
    by_sev = "  ".join(f"{s.value} {counts.get((Status.FAIL, s), 0)}" for s in reversed(Severity))
    lines.append(f"  failures by severity: {by_sev}")
    score = total_score(result.counts.values())
    if score.permille is not None:
        lines.append(f"  compliance score: {score} of evaluated checks pass")
    errors = result.total(Status.ERROR)
    if errors:
        lines.append(f"  {errors} check(s) could not be evaluated (ERROR): they count as failing at the gate")
    unknown = result.total(Status.UNKNOWN)
    if unknown:
        lines.append(
            f"  {unknown} check(s) read a value known only at run time (UNKNOWN): never a pass;"
            " --fail-on-unknown gates on them"
        )
    worst = result.findings.first(WORST_SHOWN, (Status.FAIL,))
    if worst:
        lines.append("  worst findings:")
        lines.extend(f"    [{f.severity.value}] {f.policy_id}: {f.message}" for f in worst)
    notes = list(meta.notes) + [str(p) for p in result.errors if p.kind == "note"]
    problems = [p for p in result.errors if p.kind != "note"]
    lines.extend(_capped("note", notes))
    if problems:
        lines.append(f"  {len(problems)} problem(s): not everything could be scanned:")
        lines.extend(_capped("", [str(p) for p in problems]))
    for path in written:
        lines.append(f"  wrote {path}")
    lines.append(f"  {verdict.headline()} (exit {verdict.exit_code})")
    return "\n".join(lines) + "\n"


def _capped(label: str, items: list[str], limit: int = 10) -> list[str]:
    prefix = f"  {label}: " if label else "    "
    shown = [f"{prefix}{item}" for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"{prefix}... and {len(items) - limit} more (see the JSON report)")
    return shown
