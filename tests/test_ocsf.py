"""`--format ocsf`: every record is a valid OCSF 1.5.0 Compliance Finding (class 2003).

The schema is OCSF's own 1.5.0 export (Apache-2.0) as shipped by the ocsf-json-schema
package, turned into JSON Schema draft 2020-12 with the `cloud` profile the records
declare; jsonschema validates each line. The demo fleet (scanner/data/demo_fleet.jsonl) is
the real-world-shaped input: every status and severity it produces is checked.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from smscan.models import Location, Status, Waiver
from smscan.reports import RenderOptions
from smscan.reports.ocsf import OCSF_VERSION, epoch_ms, events
from tests.cli_helpers import run_cli
from tests.factories import make_finding, make_policy_info, make_result
from tests.report_helpers import render as render_report

NOW = "2026-11-24T10:00:02Z"
DEMO = Path(__file__).resolve().parents[1] / "scanner" / "data"


@cache
def validator() -> Draft202012Validator:
    from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

    schema = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=OCSF_VERSION))
    return Draft202012Validator(schema.get_class_schema(class_name="compliance_finding", profiles=["cloud"]))


def errors_of(event: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(event)]


@pytest.mark.parametrize("status", ["FAIL", "PASS", "ERROR", "WAIVED", "NOT_APPLICABLE", "UNKNOWN"])
def test_each_status_gives_a_valid_compliance_finding(status: str) -> None:
    member = Status(status)
    f = make_finding(status=member)
    if member is Status.WAIVED:
        f = dataclasses.replace(f, waiver=Waiver("accepted", "ml"))
    (event,) = events(make_result([f]), NOW)
    assert errors_of(event) == []
    assert (event["class_uid"], event["category_uid"], event["type_uid"]) == (2003, 2, 200301)
    assert event["metadata"]["version"] == "1.5.0" and event["metadata"]["product"]["name"] == "smscan"


def test_the_compliance_object_carries_control_status_and_requirements() -> None:
    (event,) = events(make_result([make_finding()]), NOW)
    compliance = event["compliance"]
    assert compliance["control"] == "network-isolation"
    assert (compliance["status_id"], compliance["status"]) == (3, "Fail")
    assert compliance["requirements"] == ["nist-800-53 SC-7"] and compliance["standards"] == ["nist-800-53"]
    assert event["severity_id"] == 4 and event["time"] == epoch_ms(NOW) == 1795514402000
    resource = event["resources"][0]
    assert resource["uid"].startswith("arn:aws:sagemaker:us-east-1:123456789012:training-job/")
    assert resource["owner"]["account"]["uid"] == "123456789012" and resource["region"] == "us-east-1"
    assert event["cloud"] == {"provider": "AWS", "region": "us-east-1", "account": {"uid": "123456789012", "type_id": 10, "type": "AWS Account"}}
    assert event["remediation"] == {"desc": "Fix it.", "references": ["https://docs.aws.amazon.com/sagemaker/"]}


def test_status_ids_keep_the_check_and_the_triage_apart() -> None:
    waived = dataclasses.replace(make_finding(name="w"), status=Status.WAIVED, waiver=Waiver("ok"))
    error = make_finding(name="e", status=Status.ERROR)
    by_name = {e["resources"][0]["name"]: e for e in events(make_result([waived, error]), NOW)}
    assert (by_name["w"]["compliance"]["status_id"], by_name["w"]["status_id"]) == (3, 3)  # Fail, Suppressed
    assert (by_name["e"]["compliance"]["status_id"], by_name["e"]["status_id"]) == (2, 1)  # Warning, New


def test_a_request_file_finding_without_account_is_still_valid() -> None:
    f = dataclasses.replace(make_finding(account_id="", region=""), location=Location("train.json", 12, 5))
    (event,) = events(make_result([f], policies=[make_policy_info()]), NOW)
    assert errors_of(event) == []
    assert event["cloud"] == {"provider": "AWS"} and event["unmapped"] == {"location": "train.json:12"}


def test_render_is_json_lines_one_per_finding() -> None:
    result = make_result([make_finding(name=f"j{i}") for i in range(3)])
    text = render_report("ocsf", result, RenderOptions(generated_at=NOW))
    lines = text.splitlines()
    assert len(lines) == 3 and text.endswith("\n")
    assert all(errors_of(json.loads(line)) == [] for line in lines)


def test_every_record_of_the_demo_fleet_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.ocsf.jsonl"
    code, _, _ = run_cli(
        capsys, "scan", "--input", DEMO / "demo_fleet.jsonl", "--config", DEMO / "demo-config.yaml",
        "--format", "ocsf", "-o", out, "--include-passed",
    )
    assert code == 1
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) > 20
    assert {r["compliance"]["status"] for r in records} >= {"Pass", "Fail"}
    bad = {r["finding_info"]["uid"]: errors_of(r) for r in records if errors_of(r)}
    assert bad == {}


def test_the_validator_rejects_what_ocsf_does_not_allow() -> None:
    (event,) = events(make_result([make_finding()]), NOW)
    broken = json.loads(json.dumps(event))
    del broken["finding_info"]
    broken["compliance"]["status_id"] = 7
    broken["smscan_extra"] = True
    problems = errors_of(broken)
    assert "compliance/status_id: 7 is not one of [3, 0, 1, 2, 99]" in problems
    assert any("'finding_info' is a required property" in p for p in problems)
    assert any("'smscan_extra' was unexpected" in p for p in problems)
