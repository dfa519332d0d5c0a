"""The gate's decision, made once: passed, failed or incomplete, its exit code and why.

Every renderer and the terminal summary receive the `Verdict` and show it; none of
them decides anything. The order of the rules is the order of what an auditor must
notice first:

1. Nothing read: every problem and not one job evaluated is INCOMPLETE, even with
   --allow-partial (partial means "some", not "none"). An empty fleet read without a
   problem is not this case: it passes.
2. Some input unread and no --allow-partial: INCOMPLETE.
3. FAIL or ERROR findings at or above --fail-on (only the new ones with
   --fail-on-new-only; an ERROR is never "unchanged", since what could not be judged
   cannot be compared), UNKNOWN findings at or above --fail-on-unknown, and expired or
   stale waivers with --strict-waivers: FAILED.
4. Otherwise PASSED.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from smscan.errors import EXIT_FAIL, EXIT_INCOMPLETE, EXIT_OK
from smscan.gate.baseline import UNCHANGED
from smscan.models import Finding, ScanResult, Severity, Status

NEVER = "never"
GATED = (Status.FAIL, Status.ERROR, Status.UNKNOWN)


class VerdictStatus(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True)
class GateOptions:
    """Every setting the decision depends on, filled in by the CLI."""

    fail_on: str = "high"  # a severity value, or "never"
    fail_on_new_only: bool = False
    strict_waivers: bool = False
    allow_partial: bool = False
    fail_on_unknown: str = NEVER  # a severity value, or "never"
    waiver_violations: tuple[str, ...] = ()  # expired or stale waivers, from the waiver report

    def __post_init__(self) -> None:
        for name in ("fail_on", "fail_on_unknown"):
            value = getattr(self, name)
            if value != NEVER:
                Severity(value)  # raises ValueError on anything but a severity


@dataclass(frozen=True)
class Verdict:
    status: VerdictStatus
    exit_code: int
    reason: str  # one sentence, no trailing period: "3 new FAILs at or above high"

    @property
    def word(self) -> str:
        """PASSED, FAILED or INCOMPLETE: the capitalised words no report uses for anything else."""
        return self.status.value.upper()

    @property
    def passed(self) -> bool:
        return self.status is VerdictStatus.PASSED

    def headline(self) -> str:
        return f"{self.word}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return {"status": self.status.value, "exit_code": self.exit_code, "reason": self.reason}


def decide(result: ScanResult, options: GateOptions) -> Verdict:
    problems = len(result.problems)
    if problems and result.meta.records_scanned == 0:
        return Verdict(
            VerdictStatus.INCOMPLETE,
            EXIT_INCOMPLETE,
            f"no training job was read ({_n(problems, 'input problem')}), so nothing was evaluated"
            + ("; --allow-partial accepts some unread inputs, not all" if options.allow_partial else ""),
        )
    if problems and not options.allow_partial:
        return Verdict(
            VerdictStatus.INCOMPLETE,
            EXIT_INCOMPLETE,
            f"{_n(problems, 'input problem')}: not everything could be scanned (--allow-partial to accept)",
        )
    failing = _failing_reasons(result, options)
    if failing:
        return Verdict(VerdictStatus.FAILED, EXIT_FAIL, "; ".join(failing))
    return Verdict(VerdictStatus.PASSED, EXIT_OK, _pass_reason(result, options, problems))


def blocking_findings(result: ScanResult, options: GateOptions) -> list[Finding]:
    """The findings that fail the gate under `options`, most severe first."""
    return [f for f in result.findings.where(GATED) if _blocks(f, options)]


def gated_counts(result: ScanResult, options: GateOptions) -> tuple[Counter[Status], Counter[Status]]:
    """(blocking, not blocking): how many gated findings of each status fail the gate under
    `options`, and how many do not. From the store's counts, no finding read: an
    unremediated fleet of a million jobs has millions of findings above --fail-on."""
    blocking: Counter[Status] = Counter()
    passing: Counter[Status] = Counter()
    for (status, severity, mark), n in result.findings.facets().marked.items():
        if status in GATED:
            (blocking if _blocks_as(status, severity, mark, options) else passing)[status] += n
    return blocking, passing


def _blocks(finding: Finding, options: GateOptions) -> bool:
    return _blocks_as(finding.status, finding.severity, finding.baseline, options)


def _blocks_as(status: Status, severity: Severity, mark: str | None, options: GateOptions) -> bool:
    if status in (Status.FAIL, Status.ERROR):
        threshold = options.fail_on
    elif status is Status.UNKNOWN:
        threshold = options.fail_on_unknown
    else:
        return False
    if threshold == NEVER or severity.rank < Severity(threshold).rank:
        return False
    return not (options.fail_on_new_only and status is not Status.ERROR and mark == UNCHANGED)


def _failing_reasons(result: ScanResult, options: GateOptions) -> list[str]:
    reasons = []
    blocking, _ = gated_counts(result, options)
    new = "new " if options.fail_on_new_only else ""
    judged: Counter[Status] = Counter({s: n for s, n in blocking.items() if s is not Status.UNKNOWN})
    if judged:
        reasons.append(f"{_statuses(judged, new)} at or above {options.fail_on}")
    unknown: Counter[Status] = Counter({s: n for s, n in blocking.items() if s is Status.UNKNOWN})
    if unknown:
        reasons.append(f"{_statuses(unknown, new)} at or above {options.fail_on_unknown} (--fail-on-unknown)")
    if options.strict_waivers and options.waiver_violations:
        reasons.append(f"{_n(len(options.waiver_violations), 'expired or stale waiver')} (--strict-waivers)")
    return reasons


def _pass_reason(result: ScanResult, options: GateOptions, problems: int) -> str:
    partial = f" ({_n(problems, 'input problem')} accepted with --allow-partial)" if problems else ""
    if options.fail_on == NEVER and options.fail_on_unknown == NEVER:
        return f"--fail-on never: findings are reported, they do not fail the run{partial}"
    if result.meta.records_scanned == 0:
        return f"no training job to check: the inputs were read and held none{partial}"
    new = "new " if options.fail_on_new_only else ""
    parts = []
    if options.fail_on != NEVER:
        parts.append(f"no {new}FAIL or ERROR at or above {options.fail_on}")
    if options.fail_on_unknown != NEVER:
        parts.append(f"no {new}UNKNOWN at or above {options.fail_on_unknown}")
    return " and ".join(parts) + partial


def _statuses(counts: Mapping[Status, int], new: str) -> str:
    """'3 new FAILs and 1 ERROR': each status with its count, in a fixed order."""
    parts = [
        f"{counts[s]} {new if s is not Status.ERROR else ''}{s.value}{'s' if counts[s] != 1 else ''}"
        for s in (Status.FAIL, Status.ERROR, Status.UNKNOWN)
        if counts.get(s)
    ]
    return " and ".join(parts)


def _n(count: int, what: str) -> str:
    return f"{count} {what}{'' if count == 1 else 's'}"
