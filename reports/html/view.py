"""The numbers and shapes the HTML report shows, computed once so templates only lay them out.

Everything here is a pure function of a ScanResult; ordering is explicit (counts descending,
then label) so two renders of the same result are byte-identical.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from smscan.findings import JobCounts
from smscan.gate.score import fraction_text, score_of, total_score
from smscan.models import PolicyInfo, ScanResult, Severity, Status
from smscan.reports.jsonsafe import jsonable

SEVERITIES: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))
STATUSES: tuple[Status, ...] = (
    Status.FAIL,
    Status.ERROR,
    Status.UNKNOWN,
    Status.WAIVED,
    Status.NOT_APPLICABLE,
    Status.PASS,
)
STATUS_LABELS = {
    Status.PASS: "Pass",
    Status.FAIL: "Fail",
    Status.ERROR: "Could not evaluate",
    Status.UNKNOWN: "Known only at run time",
    Status.WAIVED: "Waived",
    Status.NOT_APPLICABLE: "Not applicable",
}
CHART_TOP = 12  # bars per chart; the rest are summarised as "N more"
LABEL_MAX = 32


@dataclass(frozen=True)
class Bar:
    label: str  # possibly shortened for the axis
    full: str  # the whole label, for the tooltip
    value: int
    href: str  # a filter link (#status=FAIL&...)
    css: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    bars: tuple[Bar, ...]
    more: int  # categories left out of the chart
    unit: str

    @property
    def maximum(self) -> int:
        return max((b.value for b in self.bars), default=0) or 1


@dataclass(frozen=True)
class PolicyRow:
    info: PolicyInfo
    counts: Mapping[str, int]  # status value -> count
    pass_rate: float | None  # the compliance score of this policy alone (smscan.gate.score)
    failing_jobs: int


@dataclass(frozen=True)
class TrendPoint:
    label: str
    score: float | None
    failed: int | None
    current: bool


def display(value: Any) -> str:
    """One line of text for a scope/param value: lists joined, maps as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(str(v) for v in value) or "(none)"
    return json.dumps(jsonable(value), sort_keys=True, ensure_ascii=False)


def is_web_url(text: str) -> bool:
    """Only http(s) references become links: a javascript: URL in a user pack stays text."""
    return text.lower().startswith(("https://", "http://"))


def filter_href(**filters: str) -> str:
    return "#" + "&".join(f"{k}={quote(v, safe='')}" for k, v in filters.items())


def shorten(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def status_totals(result: ScanResult) -> dict[str, int]:
    return {s.value: result.total(s) for s in STATUSES}


def failing_by_severity(counts: Mapping[tuple[Status, Severity], int]) -> Chart:
    bars = tuple(
        Bar(s.value, s.value, counts.get((Status.FAIL, s), 0), filter_href(status="FAIL", severity=s.value), f"sev-{s.value}")
        for s in SEVERITIES
    )
    return Chart("chart-severity", "FAIL findings by severity", "Number of FAIL findings at each severity.", bars, 0, "findings")


def failing_jobs_by(jobs: Mapping[str, int], *, chart_id: str, what: str, param: str) -> Chart:
    """`jobs`: distinct failing jobs per label; an empty label (no account known) is "(unknown)"."""
    labelled: Counter[str] = Counter()
    for label, n in jobs.items():
        labelled[label or "(unknown)"] += n
    ranked = sorted(labelled.items(), key=lambda kv: (-kv[1], kv[0]))
    bars = tuple(
        Bar(shorten(label), label, n, filter_href(status="FAIL", **{param: label}), "bar")
        for label, n in ranked[:CHART_TOP]
    )
    return Chart(
        chart_id,
        f"Failing jobs by {what}",
        f"Number of distinct training jobs with at least one FAIL finding, per {what}.",
        bars,
        max(0, len(ranked) - CHART_TOP),
        "jobs",
    )


def charts(result: ScanResult, failing: JobCounts) -> tuple[Chart, ...]:
    """The summary's charts, from the store's counts and its distinct failing jobs (no pass over findings)."""
    return (
        failing_by_severity(result.findings.counts()),
        failing_jobs_by(failing.policy, chart_id="chart-policy", what="policy", param="policy"),
        failing_jobs_by(failing.account, chart_id="chart-account", what="account", param="account"),
        failing_jobs_by(failing.region, chart_id="chart-region", what="region", param="region"),
    )


def policy_rows(result: ScanResult, failing: JobCounts) -> tuple[PolicyRow, ...]:
    rows = []
    for info in sorted(result.policies, key=lambda p: (-p.severity.rank, p.id)):
        raw = result.counts.get(info.id, {})
        counts = {s.value: int(raw.get(s, 0)) for s in STATUSES}
        rate = score_of(raw).fraction
        rows.append(PolicyRow(info, counts, rate, failing.policy.get(info.id, 0)))
    return tuple(rows)


def _history_field(entry: Mapping[str, Any], *names: str) -> Any:
    summary = entry.get("summary")
    for source in (entry, summary if isinstance(summary, Mapping) else {}):
        for name in names:
            if source.get(name) is not None:
                return source[name]
    return None


def trend(result: ScanResult, generated_at: str) -> tuple[TrendPoint, ...]:
    """Previous scans (oldest first, as given) and this one, last; empty without history."""
    if not result.history:
        return ()
    points = []
    for entry in result.history:
        label = _history_field(entry, "generated_at", "finished_at", "started_at", "scanned_at", "at")
        score = _history_field(entry, "compliance_score", "score")
        by_status = _history_field(entry, "by_status")
        failed = by_status.get("FAIL") if isinstance(by_status, Mapping) else _history_field(entry, "fail", "failed")
        points.append(
            TrendPoint(
                str(label or "?"),
                float(score) if isinstance(score, (int, float)) else None,
                int(failed) if isinstance(failed, int) else None,
                False,
            )
        )
    score = total_score(result.counts.values()).fraction
    current = TrendPoint(result.meta.finished_at or generated_at, score, result.total(Status.FAIL), True)
    if points[-1].label == current.label:  # a history store may already hold this scan
        points.pop()
    points.append(current)
    return tuple(points)


@dataclass(frozen=True)
class PlotPoint:
    x: float
    y: float | None  # None: that scan has no score
    label: str
    score: float | None


def trend_plot(points: tuple[TrendPoint, ...], width: int, height: int, pad: int) -> tuple[PlotPoint, ...]:
    """Where each scan sits on the SVG plot: x by order, y by score (0..1 bottom to top)."""
    n = len(points)
    plotted = []
    for i, p in enumerate(points):
        x = pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)
        y = None if p.score is None else pad + (height - 2 * pad) * (1 - p.score)
        plotted.append(PlotPoint(round(x, 1), None if y is None else round(y, 1), p.label[:10], p.score))
    return tuple(plotted)


def baseline_counts(result: ScanResult, marked: Mapping[str, int]) -> dict[str, int] | None:
    """`marked`: findings per baseline mark (smscan.findings.Facets.baseline)."""
    if not any(marked.values()) and not result.fixed:
        return None
    return {"new": marked.get("new", 0), "unchanged": marked.get("unchanged", 0), "fixed": len(result.fixed)}


def fmt_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {secs} s"


def fmt_percent(value: float | None) -> str:
    """A score already floored by smscan.gate.score, shown by the same rule."""
    return fraction_text(value)
