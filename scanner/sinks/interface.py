"""Sinks: where findings are sent after a scan (Security Hub), as opposed to report files.

A renderer is a pure function of a result; a sink talks to a service and may partly fail.
So a sink returns what it did as a value, with every finding it could not deliver counted
and explained: nothing is dropped silently. The CLI builds sinks from its options and
prints their results; nothing below the CLI reads argparse.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from smscan.errors import ScannerError
from smscan.models import ScanResult


class SinkError(ScannerError):
    """A sink could not start at all (no credentials, Security Hub not enabled ...)."""


@dataclass(frozen=True)
class SinkResult:
    """What one sink did: counts of findings, and one line per thing that went wrong."""

    name: str
    created: int = 0
    updated: int = 0
    archived: int = 0
    suppressed: int = 0
    failed: int = 0
    skipped: int = 0  # findings the sink cannot represent (no AWS account, e.g. request files)
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        return (
            f"{self.name}: created {self.created}, updated {self.updated}, archived {self.archived}, "
            f"suppressed {self.suppressed}, failed {self.failed}"
            + (f", skipped {self.skipped}" if self.skipped else "")
        )


class Sink(Protocol):
    def send(self, result: ScanResult, seen: Collection[str]) -> SinkResult:
        """Deliver `result`. `seen` holds the key (ARN) of every job the scan read: a job in
        it without an open finding now passes; a job outside it was not seen at all."""
        ...
