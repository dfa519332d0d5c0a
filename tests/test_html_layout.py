"""The HTML report's layout, looked at in Chromium at 1024 px and 1400 px (and in print).

Checked by DOM geometry, as a person would check by eye: no badge leaves its card or cell,
no cell's content is wider than the cell, the findings table fits its box (no sideways
scroll), no summary card sits alone on a row, the trend chart fills its box. Screenshots of
both widths go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from smscan.models import Status
from smscan.reports.html.layout import score_axis, short_message, x_labels
from tests import browser
from tests.cli_helpers import run_cli

ROOT = Path(__file__).resolve().parents[1]
DEMO_FLEET = ROOT / "scanner" / "data" / "demo_fleet.jsonl"
DEMO_CONFIG = ROOT / "scanner" / "data" / "demo-config.yaml"
WIDTHS = (1024, 1400)


# --- without a browser ------------------------------------------------------------------


def test_the_table_message_drops_the_job_name_and_keeps_the_first_clause() -> None:
    from dataclasses import replace

    from tests.factories import make_finding

    f = replace(
        make_finding("no-secrets-in-environment", "churn-sklearn-2026-11-02-0915"),
        message="Training job churn-sklearn-2026-11-02-0915 has 2 likely secret(s) in its container"
        " environment variables; rotate them and load them from AWS Secrets Manager instead.",
    )
    assert short_message(f) == "Has 2 likely secret(s) in its container environment variables."
    other = replace(make_finding(), message="Output is not encrypted with a customer-managed KMS key.")
    assert short_message(other) == "Output is not encrypted with a customer-managed KMS key."


def test_the_trend_axis_fits_the_scores_and_labels_differ() -> None:
    axis = score_axis([0.921, 0.930])
    assert 0.9 <= axis.low < 0.921 and 0.930 < axis.high <= 0.95
    assert score_axis([0.0, 1.0]).ticks[0] == 0.0 and score_axis([0.0, 1.0]).ticks[-1] == 1.0
    same_day = ["2026-11-24T10:00:01Z", "2026-11-24T10:00:09Z", "2026-11-24T11:30:00Z"]
    labels = x_labels(same_day)
    assert len(set(labels)) == 3
    assert x_labels(["2026-11-22T10:00:00Z", "2026-11-23T10:00:00Z"]) == ["2026-11-22", "2026-11-23"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo report, and one with history (three scans), a baseline, a waiver and long values."""
    tmp = tmp_path_factory.mktemp("layout")
    capsys = _NoCapture()
    out: dict[str, Path] = {}
    assert run_cli(capsys, "demo", "--output-dir", tmp / "demo", "-q")[0] == 0
    out["demo"] = tmp / "demo" / "report.html"
    lines = DEMO_FLEET.read_text().splitlines()
    waivers = tmp / "w.yaml"
    waivers.write_text(
        "waivers:\n  - policy: network-isolation\n    job_name: 'fraud-.*'\n"
        "    reason: Needs the internet until the package mirror lands.\n    owner: ml-platform\n    expires: 2099-01-31\n"
    )
    long_job = json.loads(lines[0])
    long_job["training_job_name"] = "x" * 60 + "-" + "y" * 60  # hostile-length token
    for n, extra in ((30, []), (40, []), (len(lines), [json.dumps(long_job)])):
        fleet = tmp / f"fleet{n}.jsonl"
        fleet.write_text("\n".join(lines[:n] + extra) + "\n")
        args = ["scan", "-i", fleet, "--config", DEMO_CONFIG, "--history", tmp / "h.sqlite", "--waivers", waivers,
                "--fail-on", "never", "-q", "-o", tmp / f"r{n}.html"]
        assert run_cli(capsys, *args)[0] == 0
    out["history"] = tmp / f"r{len(lines)}.html"
    return out


class _NoCapture:
    """run_cli wants a capsys; a module-scoped fixture has none, and needs no output."""

    def readouterr(self) -> tuple[str, str]:
        return "", ""


def test_history_report_axis_and_waived_note(reports: dict[str, Path]) -> None:
    html = reports["history"].read_text()
    section = html[html.index('id="history"'):html.index("</figure>", html.index('id="history"'))]
    ticks = re.findall(r'class="axis">(\d+(?:\.\d)?%)<', section)
    assert ticks and ticks[0] != "0%" and ticks[-1] != "100%"  # the axis fits 9x% scores
    x = re.findall(r'y="234" text-anchor="\w+" class="axis">([^<]+)<', section)
    assert len(x) == 3 and len(set(x)) == 3
    assert "waived failure left out of the score" in html


# --- in Chromium ---------------------------------------------------------------------------

GEOMETRY = r"""(() => {
  const bad = [];
  const box = e => e.getBoundingClientRect();
  const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined ? '.' + String(e.className).trim().split(/\s+/).join('.') : '') + ' "' + (e.textContent || '').trim().slice(0, 40) + '"';
  document.querySelectorAll('.badge').forEach(b => {
    const holder = b.closest('.card, td, th, li, dd, p, span.hint');
    if (holder && b.offsetParent !== null && !inside(box(b), box(holder))) bad.push('badge outside its box: ' + name(b));
  });
  document.querySelectorAll('td, th, .card').forEach(c => {
    if (c.offsetParent !== null && c.scrollWidth > c.clientWidth + 1) bad.push('content wider than its box: ' + name(c) + ' ' + c.scrollWidth + '>' + c.clientWidth);
  });
  document.querySelectorAll('.table-wrap').forEach(w => {
    if (w.offsetParent !== null && w.scrollWidth > w.clientWidth + 1) bad.push('table wider than its box: ' + name(w.querySelector('table')) + ' ' + w.scrollWidth + '>' + w.clientWidth);
  });
  if (document.documentElement.scrollWidth > window.innerWidth + 1) bad.push('page scrolls sideways: ' + document.documentElement.scrollWidth);
  const rows = {};
  document.querySelectorAll('#summary .cards > .card').forEach(c => { const t = Math.round(box(c).top); rows[t] = (rows[t] || 0) + 1; });
  const counts = Object.values(rows);
  if (counts.length > 1 && counts.slice(1).some(n => n < 2)) bad.push('a summary card alone on a row: ' + JSON.stringify(rows));
  const trend = document.querySelector('figure.trend');
  if (trend) {
    const svg = trend.querySelector('svg');
    if (box(svg).width < 0.9 * (trend.clientWidth - 28)) bad.push('trend chart fills ' + Math.round(box(svg).width) + ' of ' + trend.clientWidth);
  }
  return bad;
})()"""


def _open_at(page: browser.DevTools, url: str, width: int, media: str = "screen") -> None:
    page.open(url)
    page.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
    page.call("Emulation.setEmulatedMedia", {"media": media})
    page.evaluate("document.getElementById('expand-page').click()")  # details rows too
    page.wait_for("document.querySelectorAll('tr.detail').length > 0")


def _screenshot(page: browser.DevTools, out: Path) -> Path:
    height = page.evaluate("document.documentElement.scrollHeight")
    shot = page.call("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": page.evaluate("window.innerWidth"), "height": min(height, 6000), "scale": 1},
    })
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(shot["data"]))
    return out


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", ["demo", "history"])
def test_nothing_overflows_its_box(reports: dict[str, Path], kind: str, width: int) -> None:
    with browser.devtools(width=width, height=1000) as page:
        _open_at(page, reports[kind].as_uri(), width)
        assert page.evaluate(GEOMETRY) == []
        shot = _screenshot(page, browser.ARTIFACTS / f"report-{kind}-{width}.png")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert page.console_errors() == []


@pytest.mark.browser
def test_print_layout_fits_the_page(reports: dict[str, Path]) -> None:
    with browser.devtools(width=794, height=1123) as page:  # A4 at 96 dpi
        _open_at(page, reports["history"].as_uri(), 794, media="print")
        problems = [p for p in page.evaluate(GEOMETRY) if not p.startswith("a summary card alone")]
        assert problems == []


@pytest.mark.browser
@pytest.mark.parametrize(("width", "media"), [(1024, "screen"), (794, "print")])
def test_table_cells_break_between_words(reports: dict[str, Path], width: int, media: str) -> None:
    # A policy id, a date or an evidence path in a narrow column wraps at its hyphens, dots
    # or underscores, never mid-word.
    with browser.devtools(width=width, height=1000) as page:
        _open_at(page, reports["history"].as_uri(), width, media)
        broken = page.evaluate(r"""(() => {
          // A line may start inside a word only when the word alone is wider than its
          // column (more than 24 characters, a 120-character job name); otherwise after a hyphen, space, dot,
          // underscore, slash, comma, colon, bracket or ellipsis.
          const out = [];
          const boundary = /[-\s._\/,:|\[\](){}\u2026]/;
          document.querySelectorAll('#findings-body tr.finding td, td.date, .evidence td').forEach(el => {
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              const text = node.data;
              let prevTop = null;
              for (let i = 0; i < text.length; i++) {
                const range = document.createRange(); range.setStart(node, i); range.setEnd(node, i + 1);
                const rect = range.getClientRects()[0];
                if (!rect) continue;
                const top = Math.round(rect.top);
                if (prevTop !== null && top > prevTop + 2 && !boundary.test(text[i - 1]) && !boundary.test(text[i])) {
                  let a = i, b = i;
                  while (a > 0 && !boundary.test(text[a - 1])) a--;
                  while (b < text.length && !boundary.test(text[b])) b++;
                  if (b - a <= 24) out.push(text.slice(a, b) + ' in ' + text.slice(0, 60));
                }
                prevTop = top;
              }
            }
          });
          return out;
        })()""")
        assert broken == []


def test_waived_findings_are_named_on_the_score_card() -> None:
    from smscan.reports import RenderOptions
    from tests.factories import make_finding, make_result
    from tests.report_helpers import render

    waived = make_finding("network-isolation", "legacy-1", Status.WAIVED)
    html = render("html", make_result([make_finding(), waived]), RenderOptions(generated_at="2026-11-24T10:00:00Z"))
    card = html[html.index('class="card score'):html.index("</div>", html.index('class="card score'))]
    assert "1 waived failure left out of the score" in card
