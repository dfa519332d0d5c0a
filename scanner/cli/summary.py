"""The human summary printed on stderr at the end of a scan, shaped for a CI log.

A finding in a request file starts with `path:line:`, as a compiler's diagnostics do,
so editors and CI log annotators link it. The last lines say what decides the gate, in
the order the gate decides it, ending with the verdict itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smscan.models import Finding, ScanResult, Severity, Status

WORST_SHOWN = 5


@dataclass(frozen=True)
class GateFacts:
    """What the gate was asked to weigh; the verdict itself is decided elsewhere."""

    fail_on: str = "high"
    allow_partial: bool = False
    strict_waivers: bool = False
    waiver_violations: int = 0
    new_only: bool = False


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


def format_summary(
    result: ScanResult, written: Sequence[str], verdict: str, facts: GateFacts | None = None
) -> str:
    facts = facts or GateFacts(fail_on=result.meta.fail_on)
    meta = result.meta
    lines = [
        f"smscan {meta.tool_version}: {plural(meta.records_scanned, 'training job')} x "
        f"{plural(len(result.policies), 'policy', 'policies')} in {meta.duration_seconds:.2f}s"
    ]
    if meta.scope.get("fetch_plan"):
        calls = ", ".join(f"{op} {n}" for op, n in sorted(meta.api_calls.items())) or "none"
        lines.append(f"  fetch plan: {meta.scope['fetch_plan']}; API calls: {calls}")
    lines.append("  results: " + "  ".join(f"{s.value} {result.total(s)}" for s in Status))
    failing = {s: 0 for s in Severity}
    for f in result.findings:
        if f.status is Status.FAIL:
            failing[f.severity] += 1
    lines.append("  failures by severity: " + "  ".join(f"{s.value} {failing[s]}" for s in reversed(Severity)))
    score = result.compliance_score
    if score is not None:
        waived = result.total(Status.WAIVED)
        aside = f" ({plural(waived, 'waived finding')} left out of it)" if waived else ""
        lines.append(f"  compliance score: {score:.1%} of evaluated checks pass{aside}")
    lines.extend(_baseline_lines(result))
    lines.extend(_history_lines(result))
    worst = [f for f in result.findings if f.status in (Status.FAIL, Status.ERROR)]
    worst.sort(key=lambda f: (f.status is not Status.FAIL, *f.sort_key))
    if worst:
        lines.append("  worst findings:")
        lines.extend(f"    {finding_line(f)}" for f in worst[:WORST_SHOWN])
        if len(worst) > WORST_SHOWN:
            lines.append(f"    ... and {len(worst) - WORST_SHOWN} more (see the reports)")
    notes = list(meta.notes) + [str(p) for p in result.errors if p.kind == "note"]
    problems = [p for p in result.errors if p.kind != "note"]
    lines.extend(_capped("note", notes))
    if problems:
        lines.append(f"  {len(problems)} problem(s): not everything could be scanned:")
        lines.extend(_capped("", [str(p) for p in problems]))
    lines.extend(f"  wrote {path}" for path in written)
    lines.extend(gate_lines(result, facts))
    lines.append(f"  {verdict}")
    return "\n".join(lines) + "\n"


def quiet_failure(result: ScanResult, verdict: str, gate: object | None = None) -> str:
    """What `--quiet` still prints when the run does not exit 0: each problem, then the verdict."""
    lines = [f"smscan: {p}" for p in result.errors if p.kind != "note"]
    waivers = getattr(gate, "waivers", None)
    if waivers is not None and getattr(gate, "strict_waivers", False):
        lines.extend(f"smscan: {v}" for v in waivers.report().violations)
    lines.append(f"smscan: {verdict}")
    return "\n".join(lines) + "\n"


def finding_line(f: Finding) -> str:
    """`path:line: [high] policy-id: message`, the location first when the job has a file."""
    where = f"{f.location.path}:{f.location.line}: " if f.location and f.location.path else ""
    label = f.severity.value if f.status is Status.FAIL else f"{f.severity.value}, {f.status.value}"
    return f"{where}[{label}] {f.policy_id}: {' '.join(f.message.split())}"


def gate_lines(result: ScanResult, facts: GateFacts) -> list[str]:
    """What decides the gate, in the order it decides: inputs, waivers, then findings."""
    lines = ["  the gate, in the order it decides:"]
    problems = sum(1 for p in result.errors if p.kind != "note")
    if not problems:
        lines.append("    1. inputs: every input was read")
    else:
        effect = "accepted with --allow-partial" if facts.allow_partial else "the run is INCOMPLETE (exit 3)"
        lines.append(f"    1. inputs: {plural(problems, 'problem')}; {effect}")
    if facts.waiver_violations:
        effect = "fails the run (--strict-waivers)" if facts.strict_waivers else "reported only (no --strict-waivers)"
        lines.append(f"    2. waivers: {plural(facts.waiver_violations, 'expired or stale waiver')}; {effect}")
    else:
        lines.append("    2. waivers: none expired or stale")
    lines.append(f"    3. {_threshold_line(result, facts)}")
    return lines


def _threshold_line(result: ScanResult, facts: GateFacts) -> str:
    if facts.fail_on == "never":
        return "findings: --fail-on never, so no finding fails the run"
    open_ = [f for f in result.findings if f.status in (Status.FAIL, Status.ERROR)]
    if facts.new_only:
        from smscan.gate.baseline import new_failures

        open_ = new_failures(result)
    scope = "new " if facts.new_only else ""
    blocking = result.blocking(facts.fail_on, open_)
    below = [f for f in open_ if f not in blocking]
    text = f"findings: {len(blocking)} {scope}FAIL/ERROR at or above {facts.fail_on}"
    errors = sum(1 for f in blocking if f.status is Status.ERROR)
    if errors:
        text += f" ({errors} of them could not be evaluated: an ERROR blocks like a FAIL)"
    if below:
        text += f"; {len(below)} below {facts.fail_on} do not decide it"
    return text


def _baseline_lines(result: ScanResult) -> list[str]:
    marked = [f for f in result.findings if f.baseline]
    if not marked and not result.fixed:
        return []
    new = sum(1 for f in marked if f.baseline == "new")
    unchanged = sum(1 for f in marked if f.baseline == "unchanged")
    return [f"  since the baseline: {new} new, {unchanged} unchanged, {len(result.fixed)} fixed"]


def _history_lines(result: ScanResult) -> list[str]:
    scans = list(result.history)
    if len(scans) < 2:
        return ["  history: first scan recorded; a trend needs two"] if scans else []
    scores = [s.get("score") for s in scans]
    shown = " -> ".join("n/a" if v is None else f"{float(v):.1%}" for v in scores[-5:])
    fails = " -> ".join(str(s.get("fail", 0)) for s in scans[-5:])
    first, last = scores[0], scores[-1]
    if first is None or last is None:
        trend = ""
    else:
        trend = "; up" if last > first else "; down" if last < first else "; flat"
    return [f"  history ({plural(len(scans), 'scan')}): score {shown}{trend}; FAIL {fails}"]


def _capped(label: str, items: list[str], limit: int = 10) -> list[str]:
    prefix = f"  {label}: " if label else "    "
    shown = [f"{prefix}{item}" for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"{prefix}... and {len(items) - limit} more (see the JSON report)")
    return shown
