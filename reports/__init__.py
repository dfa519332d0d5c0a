"""Renderers: one module per output format, each a pure function of a ScanResult.

The registry maps a format name to its module; modules are imported only when
used, so `smscan --version` never pays for Jinja2. The CLI derives its --format
choices from `FORMATS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from smscan.errors import UsageError
from smscan.models import ScanResult


@dataclass(frozen=True)
class RenderOptions:
    """What a renderer may know beyond the ScanResult; the clock is injected here."""

    generated_at: str
    sarif_root: Path = field(default_factory=Path.cwd)
    sarif_category: str | None = None
    include_passed: bool = False


Render = Callable[[ScanResult, RenderOptions], str]


@dataclass(frozen=True)
class Format:
    name: str
    module: str
    extension: str
    description: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", "smscan.reports.json_report", "json", "versioned JSON document (the source of truth)"),
        Format("sarif", "smscan.reports.sarif.render", "sarif", "SARIF 2.1.0 for GitHub code scanning"),
        Format("html", "smscan.reports.html.render", "html", "self-contained HTML audit report"),
        Format("junit", "smscan.reports.junit", "junit.xml", "JUnit XML: a testcase per policy and job"),
        Format("markdown", "smscan.reports.markdown", "md", "short Markdown summary (GitHub step summary)"),
        Format("asff", "smscan.reports.asff", "asff.json", "AWS Security Finding Format: a JSON array for Security Hub"),
        Format("ocsf", "smscan.reports.ocsf", "ocsf.jsonl", "OCSF 1.5.0 Compliance Findings (class 2003), JSON Lines"),
        Format("csv", "smscan.reports.csv_report", "csv", "one row per finding, RFC 4180, formula-safe"),
    )
}


def renderer(name: str) -> Render:
    try:
        fmt = FORMATS[name]
    except KeyError:
        raise UsageError(f"unknown format {name!r} (expected one of {', '.join(FORMATS)})") from None
    module = importlib.import_module(fmt.module)
    render: Render = module.render
    return render
