"""The JSON report: the ScanResult document of smscan.codec, the source of truth.

Other tools read it back (`smscan merge`, `--baseline`) through the same codec, so
this renderer adds nothing of its own: it is the codec's writer with the run's clock.
"""

from __future__ import annotations

from typing import TextIO

from smscan.codec import write
from smscan.gate.verdict import Verdict
from smscan.models import ScanResult
from smscan.reports.interface import RenderOptions


def render(result: ScanResult, verdict: Verdict, options: RenderOptions, out: TextIO) -> None:
    write(result, verdict, out, generated_at=options.generated_at)
