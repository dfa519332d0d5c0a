"""How the HTML report lays out text and the trend chart so that it reads at 1024 px and wider.

- A finding's table cell shows its message without the job name the next column already
  shows, cut at the first clause; the whole message stays in the row's details.
- The trend chart's y axis fits the scores shown (92.1% -> 93.0% is a visible rise, not a
  flat line on a 0-100% axis), and its x labels differ from one another (scans of one day
  are labelled by time).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from smscan.models import Finding

SHORT_MAX = 110
_LEAD = re.compile(r"^\s*(?:the\s+)?training job\s+", re.IGNORECASE)


def short_message(finding: Finding) -> str:
    """`Training job X has 1 likely secret(s) ...; rotate them ...` -> `Has 1 likely secret(s) ...`."""
    text = " ".join(finding.message.split())
    name = finding.resource.name
    lead = _LEAD.match(text)
    if lead and name and text[lead.end():].startswith(name):
        rest = text[lead.end() + len(name):].lstrip(" ,:")
        text = rest[:1].upper() + rest[1:] if rest else text
    clause = re.split(r"(?<=[.;])\s", text, maxsplit=1)[0].rstrip(";")
    if len(clause) > SHORT_MAX:
        clause = clause[: SHORT_MAX - 1].rsplit(" ", 1)[0] + "\u2026"
    return clause if clause.endswith((".", "!", "?", "\u2026")) else clause + "."


@dataclass(frozen=True)
class Axis:
    low: float  # score at the bottom of the plot (0..1)
    high: float  # score at the top
    ticks: tuple[float, ...]


MIN_BAND = 0.02  # 2 points of score: the narrowest band the axis shows
_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25)


def score_axis(scores: Sequence[float | None], ticks: int = 4) -> Axis:
    """A y axis around the scores, on round steps, never beyond 0-100%."""
    known = [s for s in scores if s is not None]
    if not known:
        return Axis(0.0, 1.0, (0.0, 0.5, 1.0))
    lo, hi = min(known), max(known)
    if hi - lo < MIN_BAND:  # a flat series still gets a readable band around it
        mid = (lo + hi) / 2
        lo, hi = mid - MIN_BAND / 2, mid + MIN_BAND / 2
        shift = max(0.0, -lo) - max(0.0, hi - 1.0)
        lo, hi = lo + shift, hi + shift
    margin = (hi - lo) * 0.1
    lo, hi = lo - margin, hi + margin
    step = next((s for s in _STEPS if (hi - lo) / s <= ticks), 0.25)
    low = max(0.0, math.floor(round(lo / step, 9)) * step)
    high = min(1.0, math.ceil(round(hi / step, 9)) * step)
    count = round((high - low) / step)
    return Axis(low, high, tuple(round(low + i * step, 6) for i in range(count + 1)))


def x_labels(stamps: Sequence[str]) -> list[str]:
    """Distinct, short labels for scan times: the date; when dates repeat, the time to the
    minute, or to the second; a number only when even seconds repeat."""
    dates = [s[:10] for s in stamps]
    one_day = len(set(dates)) == 1
    labels = dates
    for width in (16, 19):
        if len(set(labels)) == len(labels):
            break
        times = [s[11:width] if len(s) >= width else s for s in stamps]
        labels = [t if one_day else f"{d[5:]} {t}" for d, t in zip(dates, times, strict=True)]
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return out


def fmt_tick(value: float, axis: Axis) -> str:
    step = axis.ticks[1] - axis.ticks[0] if len(axis.ticks) > 1 else 0.1
    decimals = 0 if step >= 0.01 else 1
    return f"{value * 100:.{decimals}f}%"


@dataclass(frozen=True)
class TrendPlot:
    axis: Axis
    ticks: tuple[tuple[float, str], ...]  # (y, label)
    points: tuple[tuple[float, float | None, str, float | None], ...]  # (x, y, x label, score)


def trend_plot(points: Sequence[object], width: int, height: int, left: int, pad: int) -> TrendPlot:
    """Where each scan of the trend sits: x by order, y by score on an axis that fits them."""
    scores = [getattr(p, "score", None) for p in points]
    axis = score_axis(scores)
    span = (axis.high - axis.low) or 1.0
    inner_h = height - 2 * pad

    def y_of(score: float) -> float:
        return round(pad + inner_h * (1 - (score - axis.low) / span), 1)

    labels = x_labels([str(getattr(p, "label", "")) for p in points])
    n = len(points)
    plotted = []
    for i, (score, label) in enumerate(zip(scores, labels, strict=True)):
        x = left + (width - left - pad) * (i / (n - 1) if n > 1 else 0.5)
        plotted.append((round(x, 1), None if score is None else y_of(score), label, score))
    ticks = tuple((y_of(t), fmt_tick(t, axis)) for t in axis.ticks)
    return TrendPlot(axis, ticks, tuple(plotted))
