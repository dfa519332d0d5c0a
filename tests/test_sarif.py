"""SARIF output: valid against the official schema, and each rule of docs/SARIF.md as a test."""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import FormatChecker
from jsonschema.validators import validator_for

from smscan import reports
from smscan.models import (
    Evidence,
    Finding,
    Location,
    PolicyInfo,
    Problem,
    Resource,
    ScanResult,
    Status,
    Waiver,
)
from smscan.reports import RenderOptions
from smscan.reports.sarif import render as sarif
from tests.factories import make_finding, make_policy_info, make_record, make_result
from tests.report_helpers import render as render_report

REPO = Path(__file__).parents[1]
SCHEMA = REPO / "tests" / "fixtures" / "sarif" / "sarif-2.1.0.json"  # the OASIS schema, vendored (README there)
NOW = "2026-11-24T10:00:03Z"

# RFC 3986 characters, with `%` only as a percent-encoding; the schema's "uri" and
# "uri-reference" formats need a checker that jsonschema does not ship without extras.
_URI_REF = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


# --- factories -------------------------------------------------------------------------


def policy(
    root: Path, pid: str = "network-isolation", severity: str = "high", **kw: Any
) -> PolicyInfo:
    """A PolicyInfo whose YAML lives at ROOT/policies/PID.yaml, `id:` on line 3."""
    base = make_policy_info(pid, severity)
    fields: dict[str, Any] = {
        "source_path": str(root / "policies" / f"{pid}.yaml"),
        "source_line": 3,
        "pack_relpath": f"policies/{pid}.yaml",
    }
    fields.update(kw)
    return replace(base, **fields)


def finding(
    pid: str = "network-isolation",
    name: str = "job-1",
    status: Status = Status.FAIL,
    severity: str = "high",
    **kw: Any,
) -> Finding:
    resource = {k: kw.pop(k) for k in ("account_id", "region") if k in kw}
    return replace(make_finding(pid, name, status, severity, **resource), **kw)


def result(
    root: Path, findings: list[Finding], policies: list[PolicyInfo] | None = None, **kw: Any
) -> ScanResult:
    if policies is None:
        ids = sorted({(f.policy_id, f.severity.value) for f in findings})
        policies = [policy(root, i, s) for i, s in ids] or [policy(root)]
    res = make_result(findings, policies, kw.pop("errors", None))
    meta = kw.pop("meta", {})
    return replace(res, meta=replace(res.meta, **meta), **kw)


def render(res: ScanResult, root: Path, category: str | None = None) -> dict[str, Any]:
    text = render_report(
        "sarif", res, RenderOptions(generated_at=NOW, sarif_root=root, sarif_category=category)
    )
    doc: dict[str, Any] = json.loads(text)
    return doc


def run_of(doc: dict[str, Any]) -> dict[str, Any]:
    assert len(doc["runs"]) == 1
    run: dict[str, Any] = doc["runs"][0]
    return run


def notes(doc: dict[str, Any], descriptor: str | None = None) -> list[dict[str, Any]]:
    found = run_of(doc)["invocations"][0]["toolExecutionNotifications"]
    return [n for n in found if descriptor is None or n["descriptor"]["id"] == descriptor]


def uris(doc: dict[str, Any]) -> list[str]:
    return [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for res in run_of(doc)["results"]
        for loc in res["locations"]
    ]


def by_job(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["ruleId"], r["properties"]["job_name"]): r for r in run_of(doc)["results"]}


def rich(root: Path) -> ScanResult:
    """Every kind of finding, problem and location in one scan."""
    waived = finding("kms-volume", "job-2", Status.WAIVED, "medium", waiver=Waiver("sandbox"))
    request = finding(
        "max-runtime", "job-3", severity="low", location=Location(str(root / "req dir/a.json"), 7)
    )
    findings = [
        finding(),
        waived,
        request,
        finding("network-isolation", "job-4", Status.PASS),
        finding("network-isolation", "job-5", Status.NOT_APPLICABLE),
        finding("network-isolation", "job-6", Status.ERROR, message="type mismatch at $.x"),
        finding("critical-one", "job-7", severity="critical"),
        finding("info-one", "job-8", severity="info"),
    ]
    pols = [
        policy(root, "network-isolation"),
        policy(root, "kms-volume", "medium"),
        policy(root, "max-runtime", "low"),
        policy(root, "critical-one", "critical"),
        policy(root.parent / "elsewhere", "info-one", "info"),
    ]
    problems = [Problem("us-west-2", "AccessDenied on ListTrainingJobs", kind="aws")]
    return result(root, findings, pols, errors=problems)


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))  # missing is a failure, never a skip
    cls = validator_for(schema)  # draft-04 for the OASIS schema
    cls.check_schema(schema)
    checker = FormatChecker()
    checker.checks("uri-reference")(lambda v: not isinstance(v, str) or bool(_URI_REF.match(v)))
    checker.checks("uri")(
        lambda v: not isinstance(v, str) or bool(_URI_REF.match(v) and _SCHEME.match(v))
    )
    return cls(schema, format_checker=checker)


# --- the document ------------------------------------------------------------------------


def test_rich_scan_is_valid_against_official_schema(validator: Any, tmp_path: Path) -> None:
    doc = render(rich(tmp_path), tmp_path)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-schema-2.1.0.json")
    assert len(doc["runs"]) == 1


def test_validator_catches_a_bad_uri(validator: Any, tmp_path: Path) -> None:
    doc = render(result(tmp_path, [finding()]), tmp_path)
    run_of(doc)["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = (
        "a b.yaml"
    )
    assert list(validator.iter_errors(doc))


def test_empty_scan_still_has_a_results_array(validator: Any, tmp_path: Path) -> None:
    doc = render(result(tmp_path, []), tmp_path)
    validator.validate(doc)
    assert run_of(doc)["results"] == []


def test_registry_serves_this_renderer() -> None:
    assert reports.renderer("sarif") is sarif.render


def test_driver_names_the_tool(tmp_path: Path) -> None:
    res = result(tmp_path, [finding()], meta={"tool_version": "1.2.3rc1"})
    driver = run_of(render(res, tmp_path))["tool"]["driver"]
    assert driver["name"] == "smscan"
    assert driver["version"] == "1.2.3rc1"
    assert driver["semanticVersion"] == "1.2.3"
    assert driver["informationUri"].startswith("https://")


def test_timestamps_come_from_meta_and_options(tmp_path: Path) -> None:
    run = run_of(render(result(tmp_path, [finding()]), tmp_path))
    assert run["invocations"][0]["startTimeUtc"] == "2026-11-24T10:00:00Z"
    assert run["invocations"][0]["endTimeUtc"] == "2026-11-24T10:00:02Z"
    assert run["properties"]["generatedAt"] == NOW


# --- rules -------------------------------------------------------------------------------


def test_a_rule_for_every_policy_evaluated(tmp_path: Path) -> None:
    pols = [policy(tmp_path, p) for p in ("b-policy", "a-policy", "c-policy")]
    doc = render(result(tmp_path, [finding("b-policy")], pols), tmp_path)
    assert [r["id"] for r in run_of(doc)["tool"]["driver"]["rules"]] == [
        "a-policy",
        "b-policy",
        "c-policy",
    ]


def test_rule_carries_help_for_the_alert(tmp_path: Path) -> None:
    pol = policy(
        tmp_path,
        rationale="Open egress lets a job exfiltrate data.",
        remediation={"summary": "Enable isolation.", "cli": "aws sagemaker create-training-job"},
        references=(
            "https://docs.aws.amazon.com/sagemaker/latest/dg/mkt-algo-model-internet-free.html",
        ),
        frameworks={"nist-800-53": ("SC-7",), "cis": ("3.1",)},
    )
    rule = run_of(render(result(tmp_path, [finding()], [pol]), tmp_path))["tool"]["driver"][
        "rules"
    ][0]
    assert rule["id"] == "network-isolation"
    assert rule["name"] == "NetworkIsolation"
    assert rule["shortDescription"]["text"] == pol.title
    assert rule["fullDescription"]["text"] == pol.description
    assert rule["helpUri"] == pol.references[0]
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rule["properties"]["precision"] in ("very-high", "high")
    assert "security" in rule["properties"]["tags"]
    for part in (
        pol.rationale,
        "Enable isolation.",
        "aws sagemaker",
        pol.references[0],
        "SC-7",
        "3.1",
    ):
        assert part in rule["help"]["text"]
        assert part in rule["help"]["markdown"]
    assert "## Remediation" in rule["help"]["markdown"]


def test_rule_descriptions_fit_in_1024_chars(tmp_path: Path) -> None:
    pol = policy(tmp_path, title="T" * 2000, description="word " * 2000)
    rule = run_of(render(result(tmp_path, [finding()], [pol]), tmp_path))["tool"]["driver"][
        "rules"
    ][0]
    assert 900 < len(rule["shortDescription"]["text"]) <= 1024
    assert 900 < len(rule["fullDescription"]["text"]) <= 1024


def test_rule_tags_capped_at_ten_keeping_security(tmp_path: Path) -> None:
    controls = tuple(f"C-{i}" for i in range(30))
    pol = policy(tmp_path, frameworks={"nist-800-53": controls, "iso-27001": controls})
    rule = run_of(render(result(tmp_path, [finding()], [pol]), tmp_path))["tool"]["driver"][
        "rules"
    ][0]
    tags = rule["properties"]["tags"]
    assert len(tags) == 10 and len(set(tags)) == 10
    assert "security" in tags


@pytest.mark.parametrize("references", [(), ("see the internal wiki",)])
def test_help_uri_only_for_a_url_reference(tmp_path: Path, references: tuple[str, ...]) -> None:
    pol = policy(tmp_path, references=references)
    rule = run_of(render(result(tmp_path, [finding()], [pol]), tmp_path))["tool"]["driver"][
        "rules"
    ][0]
    assert "helpUri" not in rule


# GitHub: > 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
@pytest.mark.parametrize(
    ("severity", "score", "band"),
    [
        ("critical", "9.5", (9.0, 10.0)),
        ("high", "8.0", (7.0, 8.9)),
        ("medium", "5.5", (4.0, 6.9)),
        ("low", "2.0", (0.1, 3.9)),
    ],
)
def test_security_severity_in_githubs_band(
    tmp_path: Path, severity: str, score: str, band: tuple[float, float]
) -> None:
    doc = render(result(tmp_path, [finding(severity=severity)]), tmp_path)
    value = run_of(doc)["tool"]["driver"]["rules"][0]["properties"]["security-severity"]
    assert value == score and isinstance(value, str)
    assert band[0] < float(value) <= band[1] or float(value) == band[0] == 9.0


def test_info_policy_has_no_security_severity(tmp_path: Path) -> None:
    doc = render(result(tmp_path, [finding(severity="info")]), tmp_path)
    props = run_of(doc)["tool"]["driver"]["rules"][0]["properties"]
    assert float(props.get("security-severity", "0")) == 0


# --- results -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        ("critical", "error"),
        ("high", "error"),
        ("medium", "warning"),
        ("low", "note"),
        ("info", "note"),
    ],
)
def test_level_follows_severity(tmp_path: Path, severity: str, level: str) -> None:
    run = run_of(render(result(tmp_path, [finding(severity=severity)]), tmp_path))
    assert run["results"][0]["level"] == level
    assert run["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] == level


def test_fail_and_waived_are_results_pass_na_error_are_not(tmp_path: Path) -> None:
    doc = render(rich(tmp_path), tmp_path)
    statuses = sorted(r["properties"]["status"] for r in run_of(doc)["results"])
    assert statuses == ["FAIL", "FAIL", "FAIL", "FAIL", "WAIVED"]
    jobs = {r["properties"]["job_name"] for r in run_of(doc)["results"]}
    assert not jobs & {"job-4", "job-5", "job-6"}


def test_waived_finding_carries_an_external_suppression(tmp_path: Path) -> None:
    waived = finding("kms-volume", "job-2", Status.WAIVED, waiver=Waiver("sandbox account"))
    results = by_job(render(result(tmp_path, [finding(), waived]), tmp_path))
    assert results[("kms-volume", "job-2")]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "sandbox account"}
    ]
    assert "suppressions" not in results[("network-isolation", "job-1")]


def test_rule_id_and_index_point_at_the_rule(tmp_path: Path) -> None:
    run = run_of(render(rich(tmp_path), tmp_path))
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == 5
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_message_first_sentence_names_the_job_and_the_problem(tmp_path: Path) -> None:
    f = finding("max-runtime", "train-xgb-42", message="May run for 999999 seconds. Limit: 86400.")
    text = run_of(render(result(tmp_path, [f]), tmp_path))["results"][0]["message"]["text"]
    first = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
    assert "train-xgb-42" in first and "max-runtime" in first and "999999" in first


def test_message_naming_the_job_is_used_as_is(tmp_path: Path) -> None:
    f = finding(message="Training job job-1 does not enable network isolation.")
    text = run_of(render(result(tmp_path, [f]), tmp_path))["results"][0]["message"]["text"]
    assert text == "Training job job-1 does not enable network isolation."


def test_error_finding_is_an_error_notification(tmp_path: Path) -> None:
    err = finding("network-isolation", "job-6", Status.ERROR, message="type mismatch at $.x")
    doc = render(result(tmp_path, [finding(), err]), tmp_path)
    assert [r["properties"]["job_name"] for r in run_of(doc)["results"]] == ["job-1"]
    (note,) = notes(doc, "evaluation-error")
    assert note["level"] == "error"
    assert "network-isolation" in note["message"]["text"] and "job-6" in note["message"]["text"]
    rules = run_of(doc)["tool"]["driver"]["rules"]
    assert rules[note["associatedRule"]["index"]]["id"] == note["associatedRule"]["id"]
    driver_notes = run_of(doc)["tool"]["driver"]["notifications"]
    assert driver_notes[note["descriptor"]["index"]]["id"] == "evaluation-error"


def test_unscanned_region_is_a_notification_and_an_unsuccessful_run(tmp_path: Path) -> None:
    problem = Problem("us-west-2", "AccessDenied on ListTrainingJobs", kind="aws")
    doc = render(result(tmp_path, [finding()], errors=[problem]), tmp_path)
    assert run_of(doc)["invocations"][0]["executionSuccessful"] is False
    (note,) = notes(doc, "input-problem")
    assert note["level"] == "error" and "us-west-2" in note["message"]["text"]


def test_a_note_problem_keeps_the_run_successful(tmp_path: Path) -> None:
    problem = Problem("inventory.jsonl", "2 duplicate records merged", kind="note")
    doc = render(result(tmp_path, [finding()], errors=[problem]), tmp_path)
    assert run_of(doc)["invocations"][0]["executionSuccessful"] is True
    assert [n["level"] for n in notes(doc, "input-problem")] == ["note"]


# --- locations ---------------------------------------------------------------------------


def test_one_location_at_the_policy_id_line(tmp_path: Path) -> None:
    doc = render(result(tmp_path, [finding()]), tmp_path)
    (res,) = run_of(doc)["results"]
    (loc,) = res["locations"]
    assert loc["physicalLocation"] == {
        "artifactLocation": {"uri": "policies/network-isolation.yaml"},
        "region": {"startLine": 3},
    }
    assert notes(doc, "pack-relative-location") == []


def test_policy_outside_root_is_pack_relative_with_one_note(tmp_path: Path) -> None:
    pack = tmp_path / "venv" / "site-packages" / "policies"
    pols = [policy(pack.parent, "network-isolation"), policy(pack.parent, "kms-volume")]
    findings = [finding(name="job-1"), finding(name="job-2"), finding("kms-volume", "job-3")]
    doc = render(result(tmp_path, findings, pols), tmp_path / "repo")
    assert sorted(uris(doc)) == [
        "policies/kms-volume.yaml",
        "policies/network-isolation.yaml",
        "policies/network-isolation.yaml",
    ]
    (note,) = notes(doc, "pack-relative-location")
    assert note["level"] == "note"
    assert str(tmp_path) not in json.dumps(doc)


def test_uri_is_percent_encoded_posix(tmp_path: Path) -> None:
    pol = policy(tmp_path, source_path=str(tmp_path / "my policies" / "ü #1.yaml"))
    doc = render(result(tmp_path, [finding()], [pol]), tmp_path)
    assert uris(doc) == ["my%20policies/%C3%BC%20%231.yaml"]


def test_finding_location_wins_over_the_policy_file(tmp_path: Path) -> None:
    f = finding(location=Location(str(tmp_path / "requests" / "train.json"), 12))
    doc = render(result(tmp_path, [f]), tmp_path)
    region = run_of(doc)["results"][0]["locations"][0]["physicalLocation"]
    assert region == {
        "artifactLocation": {"uri": "requests/train.json"},
        "region": {"startLine": 12},
    }


def test_request_file_outside_root_is_reported_by_name(tmp_path: Path) -> None:
    f = finding(location=Location(str(tmp_path / "outside" / "train.json"), 4))
    doc = render(result(tmp_path, [f]), tmp_path / "repo")
    assert uris(doc) == ["train.json"]
    assert len(notes(doc, "pack-relative-location")) == 1


def test_start_line_is_at_least_one(tmp_path: Path) -> None:
    pol = policy(tmp_path, source_line=0)
    located = finding("other", location=Location(str(tmp_path / "r.json"), 0))
    doc = render(result(tmp_path, [finding(), located], [pol, policy(tmp_path, "other")]), tmp_path)
    lines = [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run_of(doc)["results"]
    ]
    assert lines == [1, 1]


@pytest.mark.parametrize("root_kind", ["inside", "outside", "relative"])
def test_uris_are_never_absolute_nor_schemed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root_kind: str
) -> None:
    monkeypatch.chdir(tmp_path)
    root = {"inside": tmp_path, "outside": tmp_path / "nowhere", "relative": Path(".")}[root_kind]
    for uri in uris(render(rich(tmp_path), root)):
        assert _URI_REF.match(uri), uri
        assert not uri.startswith("/") and "\\" not in uri and not _SCHEME.match(uri), uri
        assert ".." not in uri.split("/"), uri


def test_job_is_a_logical_location_and_properties(tmp_path: Path) -> None:
    f = finding(name="job-9", account_id="210987654321", region="eu-west-1")
    (res,) = run_of(render(result(tmp_path, [f]), tmp_path))["results"]
    arn = "arn:aws:sagemaker:eu-west-1:210987654321:training-job/job-9"
    assert res["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": arn, "kind": "resource", "name": "job-9"}
    ]
    props = res["properties"]
    assert (props["account_id"], props["region"], props["job_name"]) == (
        "210987654321",
        "eu-west-1",
        "job-9",
    )
    assert props["status"] == "FAIL" and props["job_status"] == "Completed"
    assert props["evidence"][0]["path"] == "$.enable_network_isolation"


# --- fingerprints ------------------------------------------------------------------------


def fleet(root: Path, changed: bool = False, started: str = "2026-11-24T10:00:00Z") -> ScanResult:
    findings = [
        finding(p, f"job-{i}") for i in (1, 2, 3) for p in ("network-isolation", "kms-volume")
    ]
    if changed:  # job-2 changed its config: its message differs and it now fails one more policy
        findings = [
            replace(f, message="job-2 now sends traffic unencrypted.")
            if f.resource.name == "job-2"
            else f
            for f in findings
        ] + [finding("max-runtime", "job-2")]
    pack = [policy(root, p) for p in ("kms-volume", "max-runtime", "network-isolation")]
    return result(root, findings, pack, meta={"started_at": started})


def fingerprints(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {k: r["partialFingerprints"]["primaryLocationLineHash"] for k, r in by_job(doc).items()}


def test_fingerprints_identical_across_scans_of_an_unchanged_fleet(tmp_path: Path) -> None:
    first = render(fleet(tmp_path), tmp_path)
    second = render(fleet(tmp_path, started="2026-11-25T10:00:00Z"), tmp_path)
    assert fingerprints(first) == fingerprints(second)
    assert run_of(first)["results"] == run_of(second)["results"]


def test_changing_one_job_changes_only_its_results(tmp_path: Path) -> None:
    before, after = (
        by_job(render(fleet(tmp_path), tmp_path)),
        by_job(render(fleet(tmp_path, changed=True), tmp_path)),
    )
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {
        ("network-isolation", "job-2"),
        ("kms-volume", "job-2"),
        ("max-runtime", "job-2"),
    }
    for key in before.keys() & after.keys():  # same alert, same fingerprint
        assert before[key]["partialFingerprints"] == after[key]["partialFingerprints"]


def test_fingerprints_unique_and_blind_to_line_numbers(tmp_path: Path) -> None:
    findings = [
        finding(),
        finding(name="job-2"),
        finding("kms-volume"),
        finding(account_id="210987654321"),
        finding(region="eu-west-1"),
    ]
    doc = render(result(tmp_path, findings), tmp_path)
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in run_of(doc)["results"]]
    assert len(set(hashes)) == len(findings)
    assert all(re.fullmatch(r"[0-9a-f]{32}:1", h) for h in hashes)
    moved = [policy(tmp_path, p, source_line=40) for p in ("kms-volume", "network-isolation")]
    doc_moved = render(result(tmp_path, findings, moved), tmp_path)
    assert fingerprints(doc_moved) == fingerprints(doc)
    request = str(tmp_path / "requests" / "train.json")
    at = [finding(location=Location(request, line)) for line in (7, 9)]
    assert (
        len(
            {
                fingerprints(render(result(tmp_path, [f]), tmp_path))["network-isolation", "job-1"]
                for f in at
            }
        )
        == 1
    )


# --- categories --------------------------------------------------------------------------


def automation_id(res: ScanResult, root: Path, category: str | None = None) -> str:
    value: str = run_of(render(res, root, category))["automationDetails"]["id"]
    return value


def test_category_from_the_option_is_sanitized(tmp_path: Path) -> None:
    res = result(tmp_path, [finding()])
    assert automation_id(res, tmp_path, "prod/eu west") == "smscan/prod-eu-west/"
    assert automation_id(res, tmp_path, "shard-1") == "smscan/shard-1/"


def test_category_derived_from_the_scan_scope(tmp_path: Path) -> None:
    scope = {"accounts": ["111111111111"], "regions": ["us-east-1", "eu-west-1"]}
    res = result(tmp_path, [finding()], meta={"scope": scope})
    assert automation_id(res, tmp_path) == "smscan/111111111111.eu-west-1_us-east-1/"
    every = result(tmp_path, [finding()], meta={"scope": {**scope, "all_regions": True}})
    assert automation_id(every, tmp_path) == "smscan/111111111111.all-regions/"
    sharded = result(tmp_path, [finding()], meta={"scope": {**scope, "shard": "2/4"}})
    assert automation_id(sharded, tmp_path) == "smscan/111111111111.eu-west-1_us-east-1.shard-2of4/"


def test_large_scopes_get_distinct_compact_categories(tmp_path: Path) -> None:
    shard = [f"{n:012d}" for n in range(1, 9)]
    ids = {
        automation_id(result(tmp_path, [finding()], meta={"scope": {"accounts": s}}), tmp_path)
        for s in (shard, shard[:7] + ["999999999999"])
    }
    assert len(ids) == 2
    assert all(re.fullmatch(r"smscan/8-accounts-[0-9a-f]{8}/", i) for i in ids)


def test_category_from_inputs_then_default(tmp_path: Path) -> None:
    res = result(tmp_path, [finding()], meta={"inputs": ("/data/inv entory.jsonl",)})
    assert automation_id(res, tmp_path) == "smscan/inv-entory.jsonl/"
    bare = result(tmp_path, [finding()], meta={"inputs": (), "scope": {}})
    assert automation_id(bare, tmp_path) == "smscan/default/"


def test_category_is_short_and_safe(tmp_path: Path) -> None:
    long = tuple(f"{'x' * 60}-{n}.jsonl" for n in range(3))
    res = result(tmp_path, [finding()], meta={"inputs": long, "scope": {"regions": "us-east-1"}})
    assert automation_id(res, tmp_path) == "smscan/us-east-1/"
    value = automation_id(result(tmp_path, [finding()], meta={"inputs": long}), tmp_path)
    assert re.fullmatch(r"smscan/[A-Za-z0-9._-]{1,100}/", value), value


# --- GitHub's limits ---------------------------------------------------------------------


def test_results_capped_keeping_the_most_severe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    findings = [
        finding("p-low", "job-1", severity="low"),
        finding("p-crit", "job-2", severity="critical"),
        finding("p-med", "job-3", severity="medium"),
        finding("p-high", "job-4", severity="high"),
        finding("p-info", "job-5", severity="info"),
    ]
    doc = render(result(tmp_path, findings), tmp_path)
    assert sorted(r["ruleId"] for r in run_of(doc)["results"]) == ["p-crit", "p-high", "p-med"]
    (note,) = notes(doc, "results-truncated")
    assert note["level"] == "warning" and "2 of 5" in note["message"]["text"]
    assert run_of(doc)["properties"]["resultsOmitted"] == 2


def test_no_truncation_note_under_the_cap(tmp_path: Path) -> None:
    assert notes(render(rich(tmp_path), tmp_path), "results-truncated") == []


def test_warning_when_gzipped_output_is_too_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert notes(render(rich(tmp_path), tmp_path), "output-too-large") == []
    monkeypatch.setattr(sarif, "MAX_GZIP_BYTES", 200)
    (note,) = notes(render(rich(tmp_path), tmp_path), "output-too-large")
    assert note["level"] == "warning" and "200 bytes" in note["message"]["text"]


# --- determinism and secrets -------------------------------------------------------------


def test_byte_identical_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    res = rich(tmp_path)
    options = RenderOptions(generated_at=NOW, sarif_root=tmp_path)
    text = render_report("sarif", res, options)
    assert text.endswith("}\n")
    assert render_report("sarif", res, options) == text
    shuffled = list(res.findings)
    random.Random(4).shuffle(shuffled)
    monkeypatch.chdir(tmp_path.parent)
    assert render_report("sarif", replace(res, findings=tuple(shuffled)), options) == text


def test_no_secret_or_raw_hstore_value_in_output(tmp_path: Path) -> None:
    raw = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    masked = "wJal************************************ (aws-secret-key)"
    record = make_record(
        "job-s",
        environment={"AWS_SECRET_ACCESS_KEY": raw, "MODE": "env-value-5d1e"},
        hyper_parameters={"lr": "hp-value-91c2"},
        tags={"team": "tag-value-7f3a"},
    )
    leak = Finding(
        policy_id="no-secrets-in-environment",
        severity=make_policy_info().severity,
        status=Status.FAIL,
        resource=Resource.of(record),
        message=f"Training job job-s has a likely secret in AWS_SECRET_ACCESS_KEY: {masked}.",
        evidence=(
            Evidence(
                path="$.environment",
                operator="no_secrets",
                expected=True,
                actual=(f"AWS_SECRET_ACCESS_KEY: {masked}",),
                satisfied=False,
                note="1 likely secret(s)",
            ),
        ),
    )
    text = render_report("sarif",
        result(tmp_path, [leak]), RenderOptions(generated_at=NOW, sarif_root=tmp_path)
    )
    (res,) = run_of(json.loads(text))["results"]
    assert masked in res["message"]["text"]
    assert res["properties"]["evidence"][0]["actual"] == [f"AWS_SECRET_ACCESS_KEY: {masked}"]
    hstore = [
        v
        for field in ("environment", "hyper_parameters", "tags")
        for v in record.data[field].values()
    ]
    for value in [raw, "wJalrXUtnFEMI", *hstore]:
        assert value not in text


def test_non_ascii_is_escaped_as_json_does_across_piece_boundaries() -> None:
    """A long log escapes each non-ASCII character as json.dumps(ensure_ascii=True) would,
    wherever it falls against the pieces checked at once (runs cut in two included)."""
    from smscan.reports.sarif.dump import _ascii

    rng = random.Random(7)
    alphabet = "ab\"\\ \n" + "…é•\u2028\U0001f600"
    for size in (10, (1 << 14) - 1, 1 << 14, 3 * (1 << 14) + 5):
        text = "".join(rng.choice(alphabet) if rng.random() < 0.3 else "x" for _ in range(size))
        text = text[: (1 << 14) - 1] + "……" + text[(1 << 14) - 1 :]  # a run across the first cut
        assert _ascii(text) == "".join(c if c.isascii() else json.dumps(c)[1:-1] for c in text)
