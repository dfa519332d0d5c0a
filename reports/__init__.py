"""Renderers: one module per output format, and the registry the CLI takes --format from.

Modules are imported only when used, so `smscan --version` never pays for Jinja2.
The interface every renderer implements is in reports/interface.py.
"""

from __future__ import annotations

import importlib
import io

from smscan.errors import UsageError
from smscan.gate.verdict import Verdict
from smscan.models import ScanResult
from smscan.reports.interface import Format, Render, RenderOptions

__all__ = ["FORMATS", "Format", "Render", "RenderOptions", "render_text", "renderer"]

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


def render_text(name: str, result: ScanResult, verdict: Verdict, options: RenderOptions) -> str:
    """One report as a string (the step summary, tests, benchmarks)."""
    out = io.StringIO()
    renderer(name)(result, verdict, options, out)
    return out.getvalue()
