"""The renderer plug-in family: what a renderer receives, what it writes, and its registry entry.

A renderer is a pure function of a ScanResult and its Verdict: it writes one report
to a text stream and decides nothing (the verdict was made once, by the gate). The
CLI owns the stream: a temporary file renamed into place, so a report is whole or absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from smscan.gate.verdict import Verdict
from smscan.models import ScanResult


@dataclass(frozen=True)
class RenderOptions:
    """What a renderer may know beyond the result and verdict; the clock is injected here."""

    generated_at: str
    sarif_root: Path = field(default_factory=Path.cwd)
    sarif_category: str | None = None
    include_passed: bool = False


class Render(Protocol):
    def __call__(self, result: ScanResult, verdict: Verdict, options: RenderOptions, out: TextIO) -> None: ...


@dataclass(frozen=True)
class Format:
    """One registry entry: `module` has a `render` function; `extension` names report.<ext>."""

    name: str
    module: str
    extension: str
    description: str
