"""The CI-gate half of `smscan scan`: waivers, baseline, history, and the gate's options.

Everything that can be wrong with these inputs (a bad waiver, a missing baseline,
a foreign history file) is checked before the scan starts, so a long AWS scan
never ends in a usage error. The decision itself is smscan.gate.verdict's.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from smscan.cli.config import FAIL_ON_CHOICES
from smscan.errors import UsageError
from smscan.gate.verdict import GateOptions
from smscan.gate.waiver_file import load_waivers
from smscan.gate.waivers import DEFAULT_FILE, WaiverSet
from smscan.models import ScanResult


def add_gate_arguments(parser: argparse.ArgumentParser) -> None:
    gate = parser.add_argument_group("gate")
    gate.add_argument("--waivers", metavar="FILE", help=f"waivers file (default: ./{DEFAULT_FILE} when present)")
    gate.add_argument("--strict-waivers", action="store_true", help="fail the run when a waiver is expired or stale")
    gate.add_argument("--baseline", metavar="PREVIOUS.json", help="mark findings new/unchanged against a previous JSON result")
    gate.add_argument("--fail-on-new-only", action="store_true", help="gate only on findings new since the baseline")
    gate.add_argument("--history", metavar="PATH", help="SQLite file: record this scan, report new/fixed and a trend")
    gate.add_argument("--fail-on-unknown", choices=FAIL_ON_CHOICES, metavar="SEVERITY|never",
                      help="exit 1 when a value known only at run time (UNKNOWN) is at or above this severity "
                           "(default never)")


@dataclass
class Gate:
    waivers: WaiverSet
    previous: ScanResult | None = None
    history: Path | None = None
    strict_waivers: bool = False
    new_only: bool = False
    # the record key of every scanned job: only the baseline, history and sinks need it, and a
    # fleet of a million jobs makes it a set of a million ARNs, so it exists only when they do
    present: set[str] | None = None

    @classmethod
    def prepare(cls, args: argparse.Namespace, config_waivers: str | None, policy_ids: list[str]) -> Gate:
        today = datetime.now(timezone.utc).date()
        path = args.waivers or config_waivers or (DEFAULT_FILE if Path(DEFAULT_FILE).exists() else None)
        waivers = load_waivers(Path(path), today, policy_ids=policy_ids) if path else WaiverSet.empty(today)
        previous = None
        if args.baseline:
            from smscan.gate.baseline import load_baseline

            previous = load_baseline(Path(args.baseline))
        history = Path(args.history) if args.history else None
        if history is not None:
            from smscan.gate.history import check_history  # SQLite: only a scan with --history

            check_history(history)
        if args.fail_on_new_only and previous is None and history is None:
            raise UsageError("--fail-on-new-only needs --baseline FILE or --history PATH")
        sinks = getattr(args, "security_hub", False) or getattr(args, "security_hub_only_failed", False)
        present: set[str] | None = set() if previous is not None or history is not None or sinks else None
        return cls(waivers, previous, history, args.strict_waivers, args.fail_on_new_only, present)

    def finish(self, result: ScanResult) -> ScanResult:
        """Apply the baseline and record history, once the scan is over."""
        if self.previous is not None:
            from smscan.gate.baseline import apply_baseline

            result = apply_baseline(result, self.previous, self.present)
        if self.history is not None:
            from smscan.gate.history import record_scan

            result = record_scan(self.history, result, compare=self.previous is None, present=self.present)
        return result

    def options(self, fail_on: str, fail_on_unknown: str, allow_partial: bool) -> GateOptions:
        """The gate's options once the scan is over (the waiver report is known only then)."""
        return GateOptions(
            fail_on=fail_on,
            fail_on_new_only=self.new_only,
            strict_waivers=self.strict_waivers,
            allow_partial=allow_partial,
            fail_on_unknown=fail_on_unknown,
            waiver_violations=tuple(self.waivers.report().violations),
        )

