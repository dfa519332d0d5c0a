"""Render a ScanResult in one format for a test, with the verdict the gate would give it."""

from __future__ import annotations

from typing import Any

from smscan.gate.verdict import GateOptions, Verdict, decide
from smscan.models import ScanResult
from smscan.reports import RenderOptions, render_text

OPTIONS = RenderOptions(generated_at="2026-11-24T10:00:05Z")


def verdict_of(result: ScanResult, **gate: Any) -> Verdict:
    """The verdict under `gate` options; by default the threshold the result was scanned with."""
    gate.setdefault("fail_on", result.meta.fail_on)
    return decide(result, GateOptions(**gate))


def render(fmt: str, result: ScanResult, options: RenderOptions = OPTIONS,
           verdict: Verdict | None = None, **gate: Any) -> str:
    return render_text(fmt, result, verdict or verdict_of(result, **gate), options)
