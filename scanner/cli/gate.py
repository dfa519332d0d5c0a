"""The CI-gate half of `smscan scan`: waivers, baseline, history and the exit code.

Everything that can be wrong with these inputs (a bad waiver, a missing baseline,
a foreign history file) is checked before the scan starts, so a long AWS scan
never ends in a usage error.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from smscan.errors import EXIT_FAIL, EXIT_INCOMPLETE, EXIT_OK, UsageError
from smscan.gate.waivers import DEFAULT_FILE, WaiverSet, load_waivers
from smscan.models import Finding, ScanResult, Status


def add_gate_arguments(parser: argparse.ArgumentParser) -> None:
    gate = parser.add_argument_group("gate")
    gate.add_argument("--waivers", metavar="FILE", help=f"waivers file (default: ./{DEFAULT_FILE} when present)")
    gate.add_argument("--strict-waivers", action="store_true", help="fail the run when a waiver is expired or stale")
    gate.add_argument("--baseline", metavar="PREVIOUS.json", help="mark findings new/unchanged against a previous JSON result")
    gate.add_argument("--fail-on-new-only", action="store_true", help="gate only on findings new since the baseline")
    gate.add_argument("--history", metavar="PATH", help="SQLite file: record this scan, report new/fixed and a trend")


@dataclass
class Gate:
    waivers: WaiverSet
    previous: ScanResult | None = None
    history: Path | None = None
    strict_waivers: bool = False
    new_only: bool = False
    present: set[str] = field(default_factory=set)

    @classmethod
    def prepare(cls, args: argparse.Namespace, config_waivers: str | None, policy_ids: list[str]) -> Gate:
        from smscan.gate.baseline import load_baseline
        from smscan.gate.history import check_history

        today = datetime.now(timezone.utc).date()
        path = args.waivers or config_waivers or (DEFAULT_FILE if Path(DEFAULT_FILE).exists() else None)
        waivers = load_waivers(Path(path), today, policy_ids=policy_ids) if path else WaiverSet.empty(today)
        previous = load_baseline(Path(args.baseline)) if args.baseline else None
        history = Path(args.history) if args.history else None
        if history is not None:
            check_history(history)
        if args.fail_on_new_only and previous is None and history is None:
            raise UsageError("--fail-on-new-only needs --baseline FILE or --history PATH")
        return cls(waivers, previous, history, args.strict_waivers, args.fail_on_new_only)

    def finish(self, result: ScanResult) -> ScanResult:
        """Apply the baseline and record history, once the scan is over."""
        from smscan.gate.baseline import apply_baseline
        from smscan.gate.history import record_scan

        if self.previous is not None:
            result = apply_baseline(result, self.previous, self.present)
        if self.history is not None:
            result = record_scan(self.history, result, compare=self.previous is None, present=self.present)
        return result


def verdict(result: ScanResult, fail_on: str, allow_partial: bool, gate: Gate | None = None) -> tuple[int, str]:
    """The exit code and a one-line verdict. Incomplete beats failing: an audit must notice."""
    if not result.complete and not allow_partial:
        return EXIT_INCOMPLETE, "INCOMPLETE: some inputs could not be scanned (exit 3; --allow-partial to accept)"
    if gate is not None and gate.strict_waivers:
        violations = gate.waivers.report().violations
        if violations:
            return EXIT_FAIL, f"FAILED: {len(violations)} expired or stale waiver(s) with --strict-waivers (exit 1)"
    if fail_on == "never":
        return EXIT_OK, "PASSED: --fail-on never (findings are reported, they do not fail the run)"
    candidates: list[Finding] | None = None
    scope = ""
    if gate is not None and gate.new_only:
        from smscan.gate.baseline import new_failures

        candidates, scope = new_failures(result), "new "
    blocking = result.blocking(fail_on, candidates)
    if blocking:
        errors = sum(1 for f in blocking if f.status is Status.ERROR)
        unjudged = f", {errors} of them could not be evaluated (ERROR)" if errors else ""
        return EXIT_FAIL, f"FAILED: {len(blocking)} {scope}finding(s) at or above {fail_on}{unjudged} (exit 1)"
    return EXIT_OK, f"PASSED: no {scope}finding at or above {fail_on}"


def with_notes(result: ScanResult, notes: list[str]) -> ScanResult:
    if not notes:
        return result
    return dataclasses.replace(result, meta=dataclasses.replace(result.meta, notes=tuple(result.meta.notes) + tuple(notes)))
