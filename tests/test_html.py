"""The HTML report: safe with hostile data, self-contained, deterministic, usable at 10,000 findings.

Browser tests load the file in headless Chromium (tests/browser.py) and prove what a reader sees.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from smscan.models import ScanResult, Status
from smscan.reports import RenderOptions
from smscan.reports.html.render import _csp
from tests import browser
from tests.factories import make_finding, make_result
from tests.fixtures import hostile
from tests.report_helpers import render as render_report

OPTIONS = RenderOptions(generated_at="2026-11-24T10:00:03Z")


def render(result: ScanResult, options: RenderOptions) -> str:
    return render_report("html", result, options)


STATUSES = (Status.FAIL, Status.FAIL, Status.PASS, Status.WAIVED, Status.ERROR, Status.NOT_APPLICABLE)


def big_result(n: int) -> ScanResult:
    policies = ["network-isolation", "volume-kms-encryption", "vpc-configured", "required-tags", "max-runtime-limit"]
    findings = [
        make_finding(
            policies[i % 5], f"job-{i:05d}", STATUSES[i % 6], ("critical", "high", "medium", "low")[i % 4],
            account_id=f"1111222233{i % 7:02d}", region=("us-east-1", "eu-west-1", "ap-south-1")[i % 3],
        )
        for i in range(n)
    ]
    return make_result(findings)


def data_block(html: str) -> str:
    match = re.search(r'<script type="application/json" id="findings-data">(.*?)</script>', html, re.S)
    assert match, "no findings data block"
    return match.group(1)


def write(tmp_path: Path, result: ScanResult, name: str = "report.html") -> Path:
    path = tmp_path / name
    path.write_text(render(result, OPTIONS), encoding="utf-8")
    return path


class ResourceScanner(HTMLParser):
    """Every URL the page could load by itself: any src/href/data/action except <a href>."""

    URL_ATTRS = {"src", "href", "xlink:href", "srcset", "data", "poster", "action", "formaction", "background"}

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in self.URL_ATTRS and value and not (tag == "a" and name in ("href", "xlink:href")):
                self.loads.append(f"<{tag} {name}={value}>")


# --- without a browser --------------------------------------------------------------


def test_same_result_same_bytes_and_the_clock_is_injected() -> None:
    result = big_result(60)
    first = render(result, OPTIONS)
    assert render(result, OPTIONS) == first
    later = render(result, dataclasses.replace(OPTIONS, generated_at="2027-01-01T00:00:00Z"))
    assert "2027-01-01T00:00:00Z" in later and "2027-01-01T00:00:00Z" not in first


def test_hostile_strings_never_appear_as_markup() -> None:
    html = render(hostile.hostile_result(), OPTIONS)
    markup = html.replace(data_block(html), "")  # the JSON block is checked on its own below
    for payload in hostile.PAYLOADS:
        if any(c in payload for c in "<>\"'"):
            assert payload not in markup, payload
    assert "<img" not in html and "<svg onload" not in html and "<!--<script" not in html
    assert html.count("<script") == 2  # the data block and the report's own script
    assert "{{ 7*7 }}" in html and ">49<" not in html  # shown as text, never evaluated
    assert 'href="javascript:' not in html.lower()


def test_the_data_block_is_inert_and_round_trips() -> None:
    block = data_block(render(hostile.hostile_result(), OPTIONS))
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in block
    doc = json.loads(block)
    names = [row[doc["columns"].index("name")] for row in doc["rows"]]
    assert f"job-{hostile.CLOSE_SCRIPT}" in names and f"job-{hostile.LINE_SEP}" in names
    evidence = doc["rows"][names.index(f"job-{hostile.IMG}")][doc["columns"].index("evidence")]
    assert evidence[0][3] == [{hostile.CLOSE_SCRIPT: "****", hostile.IMG: "****"}]
    refs = doc["policies"][0]["references"]
    assert [hostile.JS_URL, False] in refs  # the page's script turns only [url, True] into links


def test_nothing_is_loaded_from_the_network() -> None:
    for result in (hostile.hostile_result(), big_result(30)):
        html = render(result, OPTIONS)
        scanner = ResourceScanner()
        scanner.feed(html)
        assert scanner.loads == []
        assert not {"link", "iframe", "img", "object", "embed", "base"} & set(scanner.tags)
        assert not re.search(r"url\(|@import", html, re.I)
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
        assert csp and "default-src 'none'" in csp.group(1)


def test_csp_allows_exactly_the_inline_script_and_style() -> None:
    html = render(big_result(3), OPTIONS)
    script = re.findall(r"<script>(.*?)</script>", html, re.S)
    style = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(script) == 1 and len(style) == 1
    assert _csp(script[0], style[0]) in html


def test_baseline_and_history_sections_only_when_there_is_data() -> None:
    plain = render(big_result(12), OPTIONS)
    assert 'id="baseline"' not in plain and 'id="history"' not in plain and 'id="f-baseline"' not in plain
    html = render(hostile.hostile_result(), OPTIONS)
    assert 'id="baseline"' in html and 'id="history"' in html and 'id="f-baseline"' in html
    assert "Compliance score over the last 3 scans" in html


def test_history_store_results_show_trend_new_and_fixed(tmp_path: Path) -> None:
    from smscan.gate.history import record_scan

    db, result = tmp_path / "history.sqlite", None
    for day, names in (("22", "abc"), ("23", "bc"), ("24", "cd")):
        scan = make_result([make_finding(name=n) for n in names])
        scan = dataclasses.replace(scan, meta=dataclasses.replace(scan.meta, finished_at=f"2026-11-{day}T02:00:00Z"))
        result = record_scan(db, scan)
    assert result is not None
    html = render(result, OPTIONS)
    trend = html.split('id="history"')[1].split("</section>")[0]
    assert "over the last 3 scans" in trend and trend.count("<tr") == 4  # header + 3 scans, none twice
    assert "2026-11-24T02:00:00Z (this scan)" in trend
    baseline = html.split('id="baseline"')[1].split("</section>")[0]
    assert 'Fixed</p><p class="big">1<' in baseline and ">b</td>" in baseline.split("Fixed: in the")[1]


def test_waived_not_applicable_and_errors_are_all_shown() -> None:
    result = hostile.hostile_result()
    html = render(result, OPTIONS)
    waived = html.split('id="waived"')[1].split("</section>")[0]
    assert "reason &lt;img" in waived and "2099-01-01" in waived
    na = html.split('id="not-applicable"')[1].split("</section>")[0]
    assert re.search(r"tags-hostile.*?>2</td>", na, re.S)
    errors = html.split('id="errors"')[1].split("</section>")[0]
    assert "AccessDenied &lt;img" in errors and "fleet-&lt;img" in errors and ":7" in errors
    assert "Incomplete scan." in html


def test_ten_thousand_findings_render_as_one_data_block() -> None:
    # How fast is bench/rendering.py's business; here, the shape that keeps the page fast.
    result = big_result(10_000)
    html = render(result, OPTIONS)
    assert len(html.encode()) < 12_000_000
    markup = html.replace(data_block(html), "")
    assert "job-09996" not in markup  # FAIL rows are drawn by the page, a page at a time
    assert markup.count("<tr") < 600  # (the waived section lists its first 500)
    assert len(json.loads(data_block(html))["rows"]) == 10_000


class Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.controls: list[str] = []
        self.headings: list[str] = []
        self.header_cells: list[dict[str, str | None]] = []
        self._section = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("thead", "tbody"):
            self._section = tag
        if tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        elif tag in ("input", "select", "textarea"):
            self.controls.append(str(a.get("id")))
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(tag)
        elif tag == "th" and self._section:
            self.header_cells.append(a)


def test_accessible_structure() -> None:
    s = Structure()
    s.feed(render(hostile.hostile_result(), OPTIONS))
    assert s.controls and all(c in s.labels for c in s.controls)  # every control has a label
    assert s.headings.count("h1") == 1 and s.headings[1] == "h2"
    assert all(cell.get("scope") in ("col", "row") for cell in s.header_cells)


# --- in Chromium ------------------------------------------------------------------


def test_missing_chromium_skips_locally_but_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "find_chromium", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        browser.require_chromium()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        browser.require_chromium()


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report `smscan demo` writes, made by the real CLI."""
    from smscan.cli.main import main

    out = tmp_path_factory.mktemp("demo") / "smscan-demo"
    assert main(["demo", "--output-dir", str(out), "--quiet"]) == 0
    return out / "report.html"


@pytest.mark.browser
def test_demo_report_loads_offline_without_console_errors(demo_report: Path) -> None:
    url = demo_report.as_uri()
    with browser.devtools() as page:
        page.open(url)
        assert page.console_errors() == []
        assert page.evaluate("document.documentElement.dataset.jsErrors || ''") == ""
        assert set(page.requested_urls()) <= {url}
        assert page.evaluate("document.querySelectorAll('#findings-body tr.finding').length") > 0
    shot = browser.screenshot(url, browser.ARTIFACTS / "report.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


@pytest.mark.browser
def test_typing_in_the_filter_changes_the_visible_rows(demo_report: Path) -> None:
    with browser.devtools() as page:
        page.open(demo_report.as_uri())
        before = page.evaluate("Number(document.documentElement.dataset.matchingRows)")
        page.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "/", "text": "/"})
        assert page.wait_for("document.activeElement.id === 'f-q'")  # "/" jumps to search
        page.call("Input.insertText", {"text": "secret"})
        after = page.wait_for(f"(n => n !== {before} && n)(Number(document.documentElement.dataset.matchingRows))")
        assert 0 < after < before
        texts = page.evaluate("[...document.querySelectorAll('#findings-body tr.finding')].map(r => r.textContent)")
        assert len(texts) == after and all("secret" in t.lower() for t in texts)
        assert page.wait_for("location.hash") == "#q=secret"  # the filtered view is a shareable link
        page.evaluate("document.getElementById('f-status').value = 'PASS';"
                      "document.getElementById('f-status').dispatchEvent(new Event('change'))")
        assert page.wait_for("document.documentElement.dataset.matchingRows === '0'")
        assert "No findings match" in page.evaluate("document.getElementById('findings-status').textContent")
        assert page.console_errors() == []


@pytest.mark.browser
def test_a_filter_link_opens_the_filtered_view(demo_report: Path) -> None:
    dom = browser.dump_dom(demo_report.as_uri() + "#severity=critical&status=FAIL")
    rows = re.findall(r'<tr class="finding[^"]*".*?</tr>', dom, re.S)
    assert rows and all("critical" in r and "FAIL" in r for r in rows)
    assert re.search(r'<html[^>]*data-ready="true"', dom) and not re.search(r'<html[^>]*data-js-errors', dom)


@pytest.mark.browser
@pytest.mark.parametrize("csp", [True, False], ids=["with-csp", "escaping-alone"])
def test_hostile_report_executes_no_payload(tmp_path: Path, csp: bool) -> None:
    path = write(tmp_path, hostile.hostile_result())
    if not csp:  # prove escaping alone keeps payloads inert, not just the CSP backstop
        html = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html), encoding="utf-8")
    with browser.devtools() as page:
        page.open(path.as_uri())
        page.evaluate("document.getElementById('expand-page').click();"
                      "document.querySelectorAll('details').forEach(d => d.open = true)")
        assert page.wait_for("document.querySelectorAll('tr.detail').length") == 4
        page.evaluate("document.querySelectorAll('.bar-link, #findings-body button').forEach(b => b.focus())")
        # Every image has loaded or failed, and the event tasks queued by then (an injected
        # onerror/onload handler) have run before this double timeout resolves.
        page.wait_for("document.readyState === 'complete' && [...document.images].every(i => i.complete)")
        page.evaluate("new Promise(done => setTimeout(() => setTimeout(done, 0), 0))")
        assert page.evaluate("document.title").startswith("SageMaker training job compliance report")
        assert page.evaluate("document.getElementById('pwned') === null && window.pwned === undefined")
        text = page.evaluate("document.body.innerText")
        assert f"job-{hostile.CLOSE_SCRIPT}" in text and hostile.IMG in text  # shown, as text
        assert page.evaluate("[...document.links].every(a => /^(https?:|#|file:)/.test(a.href))")
        assert page.console_errors() == []  # a CSP violation would be logged here
        assert set(page.requested_urls()) <= {path.as_uri()}
    if csp:
        browser.screenshot(path.as_uri() + "#status=FAIL", browser.ARTIFACTS / "hostile.png", height=1400)


@pytest.mark.browser
def test_ten_thousand_findings_load_and_filter_without_freezing(tmp_path: Path) -> None:
    path = write(tmp_path, big_result(10_000), "big.html")
    with browser.devtools() as page:
        started = time.monotonic()
        page.open(path.as_uri())
        loaded = time.monotonic() - started
        assert page.evaluate("document.querySelectorAll('#findings-body tr').length") == 100
        assert page.evaluate("document.getElementById('page-info').textContent") == "Page 1 of 100"
        took = page.evaluate(
            "(() => { const t = performance.now(); const q = document.getElementById('f-q');"
            " q.value = 'job-0999'; q.form.requestSubmit(); return performance.now() - t; })()"
        )
        assert page.wait_for("document.documentElement.dataset.matchingRows") == "10"
        # Timings are printed as a measurement, never asserted: the machine may be loaded.
        print(f"10,000 findings: ready in {loaded:.2f} s, filtered in {took:.0f} ms")
        assert page.console_errors() == []
