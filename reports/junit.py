"""JUnit XML: one <testsuite> per policy, one <testcase> per (policy, job) finding listed.

CI systems (Jenkins, GitLab, GitHub test reporters) show it as a test run:

- FAIL -> <failure message=finding message, type=severity>, details in the body;
- ERROR -> <error>; WAIVED -> <skipped type="waived"> with the waiver's reason;
  UNKNOWN -> <skipped type="unknown"> (a value known only at run time: not a pass, and
  the gate decides whether it fails the run); NOT_APPLICABLE -> <skipped type="not-applicable">;
  PASS -> a bare <testcase>.
- PASS and NOT_APPLICABLE findings are listed only with --include-passed, yet always
  counted. The jobs counted but not listed become one aggregate testcase per policy
  and status ("12 more job(s) passed"), so every tests/failures/errors/skipped
  attribute counts exactly the elements present (what junitparser or Jenkins would
  recount); the per-status job counts are <properties> of the suite
  (smscan.jobs.pass, smscan.jobs.fail, ...).
- Problems (inputs, jobs or regions that could not be read) are <error> testcases of
  a suite "smscan.inputs"; notes go to its <system-out>.
- The gate's verdict is the one testcase of the last suite, "smscan.gate": bare when the
  verdict is PASSED, <failure> when FAILED, <error> when INCOMPLETE, its message the
  verdict and reason. So a test reporter fails the build exactly when the exit code does.

Valid against Jenkins' junit-10.xsd (tests/fixtures/junit). Deterministic: suites in
policy id order, testcases in the result's finding order. Every string is escaped by
ElementTree and stripped of characters XML 1.0 cannot hold.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import TextIO

from smscan.gate.verdict import Verdict, VerdictStatus
from smscan.models import Finding, Problem, ScanResult, Status
from smscan.reports.interface import RenderOptions

INPUTS_SUITE = "smscan.inputs"
GATE_SUITE = "smscan.gate"
# XML 1.0 allows \t \n \r, U+0020-U+D7FF, U+E000-U+FFFD and beyond: drop the rest.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_AGGREGATE = {
    Status.PASS: ("passed", None),
    Status.NOT_APPLICABLE: ("not applicable", "not-applicable"),
}


def clean(text: object) -> str:
    return _ILLEGAL.sub("", str(text))


def render(result: ScanResult, verdict: Verdict, options: RenderOptions, out: TextIO) -> None:
    root = ET.Element("testsuites", {"name": "smscan"})
    by_policy: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_policy.setdefault(finding.policy_id, []).append(finding)
    ids = sorted({p.id for p in result.policies} | set(result.counts) | set(by_policy))
    for policy_id in ids:
        root.append(_suite(result, policy_id, by_policy.get(policy_id, []), options))
    problems = [p for p in result.errors if p.kind != "note"]
    notes = [p for p in result.errors if p.kind == "note"]
    if problems or notes:
        root.append(_inputs_suite(problems, notes, options))
    root.append(_gate_suite(verdict, options))
    totals = {k: sum(int(s.get(k, "0")) for s in root) for k in ("tests", "failures", "errors")}
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", str(totals["errors"]))
    root.set("time", f"{result.meta.duration_seconds:.3f}")
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode") + "\n")


def _suite(
    result: ScanResult, policy_id: str, findings: list[Finding], options: RenderOptions
) -> ET.Element:
    suite = ET.Element("testsuite", {"name": clean(policy_id)})
    counts = result.counts.get(policy_id, {})
    info = result.policy(policy_id)
    properties = ET.SubElement(suite, "properties")
    if info is not None:
        _property(properties, "smscan.title", info.title)
        _property(properties, "smscan.severity", info.severity.value)
    for status in Status:
        _property(properties, f"smscan.jobs.{status.value.lower()}", counts.get(status, 0))
    cases = [_case(policy_id, f, name) for f, name in zip(findings, _names(findings), strict=True)]
    listed = {s: sum(f.status is s for f in findings) for s in Status}
    for status, (what, skipped_type) in _AGGREGATE.items():
        more = counts.get(status, 0) - listed[status]
        if more > 0:
            case = _element("testcase", classname=policy_id, name=f"{more} more job(s) {what}")
            if skipped_type:
                _child(case, "skipped", f"{what}; listed with --include-passed", skipped_type)
            cases.append(case)
    suite.extend(cases)
    _set_counts(suite, cases)
    suite.set("timestamp", clean(options.generated_at))
    return suite


def _case(policy_id: str, finding: Finding, name: str) -> ET.Element:
    case = _element("testcase", classname=policy_id, name=name)
    status = finding.status
    if status is Status.FAIL:
        failure = _child(case, "failure", finding.message, finding.severity.value)
        failure.text = clean(_details(finding))
    elif status is Status.ERROR:
        error = _child(case, "error", finding.message, "error")
        error.text = clean(_details(finding))
    elif status is Status.WAIVED:
        reason = finding.waiver.reason if finding.waiver else "waived"
        _child(case, "skipped", f"waived: {reason}", "waived")
    elif status is Status.UNKNOWN:
        skipped = _child(case, "skipped", f"unknown: {finding.message}", "unknown")
        skipped.text = clean(_details(finding))
    elif status is Status.NOT_APPLICABLE:
        _child(case, "skipped", "not applicable", "not-applicable")
    return case


def _gate_suite(verdict: Verdict, options: RenderOptions) -> ET.Element:
    suite = ET.Element("testsuite", {"name": GATE_SUITE})
    properties = ET.SubElement(suite, "properties")
    _property(properties, "smscan.verdict", verdict.status.value)
    _property(properties, "smscan.exit_code", verdict.exit_code)
    case = _element("testcase", classname=GATE_SUITE, name="verdict")
    if verdict.status is VerdictStatus.FAILED:
        _child(case, "failure", verdict.headline(), "gate").text = clean(verdict.headline())
    elif verdict.status is VerdictStatus.INCOMPLETE:
        _child(case, "error", verdict.headline(), "incomplete").text = clean(verdict.headline())
    else:
        ET.SubElement(case, "system-out").text = clean(verdict.headline())
    suite.append(case)
    _set_counts(suite, [case])
    suite.set("timestamp", clean(options.generated_at))
    return suite


def _names(findings: list[Finding]) -> list[str]:
    """The job name, or its ARN (or file#pointer) when the name is missing or shared."""
    first = [f.resource.name or f.resource.arn for f in findings]
    seen: dict[str, int] = {}
    for name in first:
        seen[name] = seen.get(name, 0) + 1
    return [
        name if seen[name] == 1 else (f.resource.arn or str(f.resource.origin))
        for name, f in zip(first, findings, strict=True)
    ]


def _details(finding: Finding) -> str:
    resource = finding.resource
    lines = [finding.message, "", f"job: {resource.name or '-'}", f"key: {resource.arn}"]
    if resource.account_id or resource.region:
        lines.append(f"account/region: {resource.account_id or '-'}/{resource.region or '-'}")
    lines.append(f"origin: {resource.origin}")
    if finding.location is not None:
        loc = finding.location
        lines.append(f"location: {loc.path}:{loc.line}:{loc.column}")
    for ev in finding.evidence:
        actual = json.dumps(list(ev.actual), default=str, sort_keys=True)
        expected = json.dumps(ev.expected, default=str, sort_keys=True)
        verdict = "ok" if ev.satisfied else "not satisfied"
        lines.append(f"evidence: {ev.path} {ev.operator} {expected}: found {actual} ({verdict})")
    return "\n".join(lines)


def _inputs_suite(
    problems: list[Problem], notes: list[Problem], options: RenderOptions
) -> ET.Element:
    suite = ET.Element("testsuite", {"name": INPUTS_SUITE})
    cases = []
    for problem in problems:
        where = problem.source + (f":{problem.line}" if problem.line is not None else "")
        case = _element("testcase", classname=INPUTS_SUITE, name=where)
        _child(case, "error", str(problem), problem.kind)
        cases.append(case)
    suite.extend(cases)
    if notes:
        ET.SubElement(suite, "system-out").text = clean("\n".join(str(n) for n in notes))
    _set_counts(suite, cases)
    suite.set("timestamp", clean(options.generated_at))
    return suite


def _set_counts(suite: ET.Element, cases: Iterable[ET.Element]) -> None:
    cases = list(cases)
    suite.set("tests", str(len(cases)))
    for attribute, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        suite.set(attribute, str(sum(c.find(tag) is not None for c in cases)))


def _element(tag: str, **attributes: str) -> ET.Element:
    return ET.Element(tag, {k: clean(v) for k, v in attributes.items()})


def _child(parent: ET.Element, tag: str, message: str, type_: str) -> ET.Element:
    return ET.SubElement(parent, tag, {"message": clean(message), "type": clean(type_)})


def _property(parent: ET.Element, name: str, value: object) -> None:
    ET.SubElement(parent, "property", {"name": name, "value": clean(value)})
