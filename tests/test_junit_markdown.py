"""The JUnit XML and Markdown summary renderers."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import cast

import junitparser
import pytest

from smscan.models import Finding, Location, Problem, ScanResult, Status, Waiver
from smscan.reports import RenderOptions, markdown
from tests.factories import make_finding, make_result
from tests.report_helpers import render

XSD = Path(__file__).parent / "fixtures" / "junit" / "junit-10.xsd"
OPTIONS = RenderOptions(generated_at="2026-11-24T10:00:05Z")
HOSTILE = "x`|<img src=x onerror=alert(1)>[click](https://evil.example)\n# @team *b* $m$\x00\x07"


def with_status(finding: Finding, status: Status, waiver: Waiver | None = None) -> Finding:
    return dataclasses.replace(finding, status=status, waiver=waiver)


def sample() -> ScanResult:
    findings = [
        make_finding("network-isolation", "job-1"),
        make_finding("network-isolation", "job-2"),
        with_status(make_finding("network-isolation", "job-3"), Status.WAIVED, waiver=Waiver(reason="vendor image, until Q3")),
        with_status(make_finding("network-isolation", "job-4"), Status.NOT_APPLICABLE),
        with_status(make_finding("network-isolation", "job-5"), Status.ERROR),
        with_status(make_finding("network-isolation", "job-6"), Status.PASS),
        make_finding("no-secrets-in-environment", HOSTILE, severity="critical"),
    ]
    result = make_result(
        findings,
        errors=[
            Problem("jobs/bad.json", "invalid JSON at line 8 column 1: unexpected end of file", line=8),
            Problem("jobs/sfn.json", "EnableNetworkIsolation is set at run time", line=3, kind="note"),
        ],
    )
    # counted but not listed (no --include-passed): 7 more passes, 2 more not applicable
    counts = cast(dict[str, dict[Status, int]], result.counts)
    counts["network-isolation"][Status.PASS] += 7
    counts["network-isolation"][Status.NOT_APPLICABLE] += 2
    counts["no-secrets-in-environment"][Status.PASS] += 3
    return result


def parsed_suites(text: str) -> dict[str, junitparser.TestSuite]:
    return {suite.name: suite for suite in junitparser.JUnitXml.fromstring(text.encode())}


def test_junit_counts_are_truthful_for_a_real_consumer() -> None:
    text = render("junit", sample(), OPTIONS)
    suites = parsed_suites(text)
    assert list(suites) == ["network-isolation", "no-secrets-in-environment", "smscan.inputs", "smscan.gate"]
    net = suites["network-isolation"]
    # 6 listed findings + "7 more job(s) passed" + "2 more job(s) not applicable"
    assert (net.tests, net.failures, net.errors, net.skipped) == (8, 2, 1, 3)
    cases = {case.name: case for case in net}
    assert [type(r).__name__ for r in cases["job-1"].result] == ["Failure"]
    assert cases["job-1"].result[0].type == "high"
    assert cases["job-1"].result[0].message == "Training job job-1 fails network-isolation."
    assert cases["job-1"].classname == "network-isolation"
    assert cases["job-3"].is_skipped and cases["job-3"].result[0].message == "waived: vendor image, until Q3"
    assert cases["job-4"].is_skipped and cases["job-5"].result[0].__class__.__name__ == "Error"
    assert cases["job-6"].is_passed and cases["7 more job(s) passed"].is_passed
    assert cases["2 more job(s) not applicable"].is_skipped
    properties = {p.name: p.value for p in net.properties()}
    assert properties["smscan.jobs.pass"] == "8" and properties["smscan.jobs.not_applicable"] == "3"
    assert properties["smscan.severity"] == "high"
    # the attributes are what a consumer recounts from the elements
    for suite in suites.values():
        recount = [case for case in suite]
        assert suite.tests == len(recount)
        assert suite.failures == sum(any(type(r).__name__ == "Failure" for r in c.result) for c in recount)
    inputs = suites["smscan.inputs"]
    (problem,) = list(inputs)
    assert problem.name == "jobs/bad.json:8" and problem.result[0].type == "input"
    system_out = inputs._elem.find("system-out")  # junitparser has no accessor for a suite's
    assert "EnableNetworkIsolation is set at run time" in system_out.text  # notes go there
    (gate,) = list(suites["smscan.gate"])  # the verdict: INCOMPLETE, since an input was unreadable
    assert gate.result[0].type == "incomplete" and gate.result[0].message.startswith("INCOMPLETE: ")
    root = ET.fromstring(text)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("12", "3", "3")


def test_junit_is_valid_against_the_jenkins_schema() -> None:
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(XSD))
    schema.validate(render("junit", sample(), OPTIONS))
    schema.validate(render("junit", make_result([]), OPTIONS))


def test_junit_escapes_and_strips_illegal_characters() -> None:
    text = render("junit", sample(), OPTIONS)
    assert "\x00" not in text and "\x07" not in text
    assert "<img" not in text  # only ever as &lt;img
    suites = parsed_suites(text)
    (case,) = [c for c in suites["no-secrets-in-environment"] if c.result]
    expected = HOSTILE.replace("\x00", "").replace("\x07", "")
    assert case.name == expected  # a newline in an attribute survives as &#10;
    assert case.result[0].type == "critical"


def test_junit_is_deterministic_and_names_unique() -> None:
    twins = [make_finding(name="same", account_id="111111111111"), make_finding(name="same")]
    twins[0] = dataclasses.replace(twins[0], resource=dataclasses.replace(twins[0].resource, arn="arn:one"))
    result = make_result(twins)
    first = render("junit", result, OPTIONS)
    assert first == render("junit", result, OPTIONS)
    names = [c.name for c in parsed_suites(first)["network-isolation"]]
    assert sorted(names) == sorted(["arn:one", twins[1].resource.arn])


def markdown_rows(text: str, heading: str) -> list[str]:
    table = text.split(f"### {heading}\n\n", 1)[1].split("\n\n", 1)[0]
    return table.splitlines()[2:]


def unescaped_pipes(row: str) -> int:
    return len(re.findall(r"(?<!\\)\|", row))


def test_markdown_summary_content() -> None:
    text = render("markdown", sample(), OPTIONS)
    assert text.startswith("## smscan: ⚠️ INCOMPLETE")  # a problem beats failures, as the gate
    assert "compliance score **73.3%**" in text  # 11 PASS / (11 PASS + 3 FAIL + 1 ERROR), floored
    assert "| 11 | 3 | 3 | 1 | 1 | 0 |" in text  # PASS FAIL N/A ERROR WAIVED UNKNOWN
    assert "Failures by severity: critical **1** · high **2** · medium **0**" in text
    top = markdown_rows(text, "Top failing policies")
    assert top[0].startswith("| no-secrets-in-environment — Title of no-secrets-in-environment |")
    assert top[0].endswith("| critical | 1 |") and top[1].endswith("| high | 2 |")
    assert len(markdown_rows(text, "Failures")) == 3
    assert "**1 problem(s)** (not scanned) and 1 note(s)." in text


def test_markdown_verdicts() -> None:
    clean = make_result([make_finding()])
    assert render("markdown", clean, OPTIONS).startswith("## smscan: ❌ FAILED — 1 FAIL at or above high")
    lenient = render("markdown", clean, OPTIONS, fail_on="critical")
    assert lenient.startswith("## smscan: ✅ PASSED — no FAIL or ERROR at or above critical")
    empty = make_result([])
    assert "compliance score **n/a (nothing evaluated)**" in render("markdown", empty, OPTIONS)


def test_markdown_neutralizes_hostile_job_names() -> None:
    finding = make_finding("network-isolation", HOSTILE)
    finding = dataclasses.replace(finding, location=Location("jobs/a|b.json", 7))
    text = render("markdown", make_result([finding]), OPTIONS)
    (row,) = markdown_rows(text, "Failures")
    assert unescaped_pipes(row) == 5  # 4 cells: no cell boundary was injected
    assert "\n# " not in text and "\x00" not in text and "\x07" not in text
    assert "<img" not in text and "](" not in text
    for raw in ("`", "@team", "*b*", "$m$", "#"):  # only ever backslash-escaped
        assert not re.search(r"(?<!\\)" + re.escape(raw), row), raw
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in row
    assert "\\[click\\]\\(https\\://evil.example\\)" in row
    assert "(jobs/a\\|b.json\\:7)" in row


def test_markdown_cells_are_cut_and_lists_are_bounded() -> None:
    findings = [make_finding(f"policy-{i:02d}", f"job-{i}-" + "y" * 300) for i in range(25)]
    text = render("markdown", make_result(findings), OPTIONS)
    assert len(markdown_rows(text, "Top failing policies")) == markdown.TOP_POLICIES
    assert "… and 15 more failing policies." in text
    rows = markdown_rows(text, "Failures")
    assert len(rows) == markdown.FIRST_FAILURES and "… and 5 more failures" in text
    assert max(len(r) for r in rows) < 4 * markdown.MAX_CELL
