"""The human summary printed on stderr at the end of a scan, shaped for a CI log.

A finding in a request file starts with `path:line:`, as a compiler's diagnostics do,
so editors and CI log annotators link it. The last lines say what decides the gate, in
the order the gate decides it (smscan.gate.verdict), ending with the verdict itself.
Nothing here decides anything: the verdict and the blocking findings come from the gate.
"""

from __future__ import annotations

from collections.abc import Sequence

from smscan.findings import count_of
from smscan.gate.score import total_score
from smscan.gate.verdict import NEVER, GateOptions, Verdict, gated_counts
from smscan.models import Finding, ScanResult, Severity, Status

WORST_SHOWN = 5


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


def format_summary(
    result: ScanResult, written: Sequence[str], verdict: Verdict, options: GateOptions | None = None
) -> str:
    """The summary; its last line is the verdict (PASSED, FAILED or INCOMPLETE) and its reason."""
    options = options or GateOptions(fail_on=result.meta.fail_on)
    meta = result.meta
    lines = [
        f"smscan {meta.tool_version}: {plural(meta.records_scanned, 'training job')} x "
        f"{plural(len(result.policies), 'policy', 'policies')} in {meta.duration_seconds:.2f}s"
    ]
    if meta.scope.get("fetch_plan"):
        calls = ", ".join(f"{op} {n}" for op, n in sorted(meta.api_calls.items())) or "none"
        lines.append(f"  fetch plan: {meta.scope['fetch_plan']}; API calls: {calls}")
    lines.append("  results: " + "  ".join(f"{s.value} {result.total(s)}" for s in Status))
    counts = result.findings.counts()
    by_sev = "  ".join(f"{s.value} {counts.get((Status.FAIL, s), 0)}" for s in reversed(Severity))
    lines.append(f"  failures by severity: {by_sev}")
    score = total_score(result.counts.values())
    if score.permille is not None:
        waived = result.total(Status.WAIVED)
        aside = f" ({plural(waived, 'waived finding')} left out of it)" if waived else ""
        lines.append(f"  compliance score: {score} of evaluated checks pass{aside}")
    unknown = result.total(Status.UNKNOWN)
    if unknown:
        lines.append(
            f"  {unknown} check(s) read a value known only at run time (UNKNOWN): never a pass;"
            " --fail-on-unknown gates on them"
        )
    lines.extend(_baseline_lines(result))
    lines.extend(_history_lines(result))
    worst = result.findings.first(WORST_SHOWN + 1, (Status.FAIL, Status.ERROR))
    if worst:
        lines.append("  worst findings:")
        lines.extend(f"    {finding_line(f)}" for f in worst[:WORST_SHOWN])
        more = count_of(result.findings, (Status.FAIL, Status.ERROR)) - WORST_SHOWN
        if more > 0:
            lines.append(f"    ... and {more} more (see the reports)")
    notes = list(meta.notes) + [str(p) for p in result.errors if p.kind == "note"]
    problems = [str(p) for p in result.problems]
    lines.extend(_capped("note", notes))
    if problems:
        lines.append(f"  {len(problems)} problem(s): not everything could be scanned:")
        lines.extend(_capped("", problems))
    lines.extend(f"  wrote {path}" for path in written)
    lines.extend(gate_lines(result, options))
    lines.append(f"  {verdict.headline()} (exit {verdict.exit_code})")
    return "\n".join(lines) + "\n"


def quiet_failure(result: ScanResult, verdict: Verdict, options: GateOptions) -> str:
    """What `--quiet` still prints when the run does not exit 0: each problem, then the verdict."""
    lines = [f"smscan: {p}" for p in result.problems]
    if options.strict_waivers:
        lines.extend(f"smscan: {v}" for v in options.waiver_violations)
    lines.append(f"smscan: {verdict.headline()} (exit {verdict.exit_code})")
    return "\n".join(lines) + "\n"


def finding_line(f: Finding) -> str:
    """`path:line: [high] policy-id: message`, the location first when the job has a file."""
    where = f"{f.location.path}:{f.location.line}: " if f.location and f.location.path else ""
    label = f.severity.value if f.status is Status.FAIL else f"{f.severity.value}, {f.status.value}"
    return f"{where}[{label}] {f.policy_id}: {' '.join(f.message.split())}"


def gate_lines(result: ScanResult, options: GateOptions) -> list[str]:
    """What decides the gate, in the order the verdict weighs it: inputs, findings, waivers."""
    lines = ["  the gate, in the order it decides:"]
    problems = len(result.problems)
    if not problems:
        lines.append("    1. inputs: every input was read")
    else:
        # The verdict words (PASSED, FAILED, INCOMPLETE) appear once, on the verdict line.
        effect = "accepted with --allow-partial" if options.allow_partial else "exit 3 unless --allow-partial"
        if result.meta.records_scanned == 0:
            effect = "no job was read: exit 3, even with --allow-partial"
        lines.append(f"    1. inputs: {plural(problems, 'problem')}; {effect}")
    lines.append(f"    2. {_threshold_line(result, options)}")
    violations = len(options.waiver_violations)
    if violations:
        effect = "fails the run (--strict-waivers)" if options.strict_waivers else "reported only (no --strict-waivers)"
        lines.append(f"    3. waivers: {plural(violations, 'expired or stale waiver')}; {effect}")
    else:
        lines.append("    3. waivers: none expired or stale")
    return lines


def _threshold_line(result: ScanResult, options: GateOptions) -> str:
    if options.fail_on == NEVER and options.fail_on_unknown == NEVER:
        return "findings: --fail-on never, so no finding fails the run"
    # counts from one streamed read of the store: the findings themselves are never held
    blocking, passing = gated_counts(result, options)
    scope = "new " if options.fail_on_new_only else ""
    errors = blocking[Status.ERROR]
    text = f"findings: {blocking[Status.FAIL] + errors} {scope}FAIL/ERROR at or above {options.fail_on}"
    if errors:
        text += f" ({errors} of them could not be evaluated: an ERROR blocks like a FAIL)"
    if options.fail_on_unknown != NEVER:
        text += f"; {blocking[Status.UNKNOWN]} UNKNOWN at or above {options.fail_on_unknown}"
    below = passing[Status.FAIL] + passing[Status.ERROR]
    if below:
        why = "unchanged since the baseline or below" if options.fail_on_new_only else "below"
        text += f"; {below} {why} {options.fail_on} do not decide it"
    return text


def _baseline_lines(result: ScanResult) -> list[str]:
    marked = result.findings.facets().baseline
    if not any(marked.values()) and not result.fixed:
        return []
    new = marked.get("new", 0)
    unchanged = marked.get("unchanged", 0)
    return [f"  since the baseline: {new} new, {unchanged} unchanged, {len(result.fixed)} fixed"]


def _history_lines(result: ScanResult) -> list[str]:
    from smscan.gate.score import fraction_text

    scans = list(result.history)
    if len(scans) < 2:
        return ["  history: first scan recorded; a trend needs two"] if scans else []
    scores = [s.get("score") for s in scans]
    shown = " -> ".join(fraction_text(None if v is None else float(v)) for v in scores[-5:])
    fails = " -> ".join(str(s.get("fail", 0)) for s in scans[-5:])
    first, last = scores[0], scores[-1]
    trend = "" if first is None or last is None else "; up" if last > first else "; down" if last < first else "; flat"
    return [f"  history ({plural(len(scans), 'scan')}): score {shown}{trend}; FAIL {fails}"]


def _capped(label: str, items: list[str], limit: int = 10) -> list[str]:
    prefix = f"  {label}: " if label else "    "
    shown = [f"{prefix}{item}" for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"{prefix}... and {len(items) - limit} more (see the JSON report)")
    return shown
