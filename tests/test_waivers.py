"""Waivers: a file validated like a policy, job tags, expiry, and stale-waiver reporting."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType

import pytest

from smscan.errors import PolicyError
from smscan.gate.waiver_file import load_waivers
from smscan.gate.waivers import WaiverSet
from smscan.models import Record, Waiver
from tests.factories import make_record

FIXTURES = Path(__file__).parent / "fixtures" / "waivers"
TODAY = date(2026, 11, 24)


def valid() -> WaiverSet:
    return load_waivers(FIXTURES / "valid.yaml", TODAY)


def problems(tmp_path: Path, body: str, **kwargs: object) -> list[str]:
    path = tmp_path / "w.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_waivers(path, TODAY, **kwargs)  # type: ignore[arg-type]
    return [str(p).replace(str(path), "W") for p in info.value.problems]


# --- matching --------------------------------------------------------------------------


def test_arn_glob_waives_matching_jobs_only() -> None:
    waivers = valid()
    waiver = waivers.match("network-isolation", make_record("legacy-resnet"))
    assert waiver == Waiver(
        reason="Legacy jobs install packages from PyPI at run time; replaced in Q3.",
        owner="ml-platform@example.com",
        expires="2027-01-31",
        source=f"{FIXTURES / 'valid.yaml'}:3",
    )
    assert waivers.match("network-isolation", make_record("resnet-legacy")) is None
    assert waivers.match("vpc-configured", make_record("legacy-resnet")) is None


def test_job_name_regex_must_match_the_whole_name_and_policy_glob_applies() -> None:
    waivers = valid()
    assert waivers.match("no-secrets-in-environment", make_record("etl-42")) is not None
    assert waivers.match("no-secrets-in-tags", make_record("etl-7")) is not None
    assert waivers.match("no-secrets-in-tags", make_record("prod-etl-7")) is None
    assert waivers.match("no-secrets-in-tags", make_record("etl-7b")) is None
    assert waivers.match("network-isolation", make_record("etl-42")) is None


def test_account_match() -> None:
    waivers = valid()
    research = make_record("long-job", account_id="210987654321")
    assert waivers.match("max-runtime-limit", research) is not None
    assert waivers.match("max-runtime-limit", make_record("long-job")) is None


def test_region_match() -> None:
    waivers = valid()
    assert waivers.match("vpc-configured", make_record("j", region="eu-west-1")) is not None
    assert waivers.match("vpc-configured", make_record("j", region="eu-west-2")) is None


def test_tag_match_needs_the_exact_value() -> None:
    waivers = valid()
    assert waivers.match("required-tags", make_record("j", tags={"team": "research"})) is not None
    assert waivers.match("required-tags", make_record("j", tags={"team": "ml"})) is None
    assert waivers.match("required-tags", make_record("j", tags=None)) is None


def test_every_resource_field_of_a_waiver_must_match(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(
        "waivers:\n  - policy: network-isolation\n    region: eu-west-1\n    tag: team=ml\n"
        "    reason: Both.\n    expires: 2027-01-01\n"
    )
    waivers = load_waivers(path, TODAY)
    assert waivers.match("network-isolation", make_record("j", region="eu-west-1")) is not None
    assert waivers.match("network-isolation", make_record("j", tags={"team": "ml"})) is None


def test_expired_waiver_never_matches_and_is_reported() -> None:
    waivers = valid()
    assert waivers.match("spot-checkpointing", make_record("any-job")) is None
    assert waivers.report().expired == [
        f"{FIXTURES / 'valid.yaml'}:25: waiver for spot-checkpointing expired on 2026-10-01"
    ]


def test_a_waiver_holds_through_its_expiry_day() -> None:
    waivers = load_waivers(FIXTURES / "valid.yaml", date(2026, 10, 1))
    assert waivers.match("spot-checkpointing", make_record("any-job")) is not None
    assert waivers.report().expired == []


def test_waivers_that_matched_nothing_are_stale() -> None:
    waivers = valid()
    waivers.match("network-isolation", make_record("legacy-a"))
    waivers.match("vpc-configured", make_record("j", region="eu-west-1"))
    report = waivers.report()
    where = FIXTURES / "valid.yaml"
    assert report.stale == [
        f"{where}:8: waiver for no-secrets-* matched no finding",
        f"{where}:13: waiver for max-runtime-limit matched no finding",
        f"{where}:21: waiver for required-tags matched no finding",
    ]
    assert report.violations == report.expired + report.stale


def test_empty_set_and_empty_file_waive_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# no waivers yet\n")
    for waivers in (WaiverSet.empty(TODAY), load_waivers(empty, TODAY)):
        assert waivers.match("network-isolation", make_record()) is None
        assert waivers.report().violations == []


# --- validation ------------------------------------------------------------------------


def test_every_problem_of_the_file_is_reported_with_position() -> None:
    path = FIXTURES / "invalid.yaml"
    with pytest.raises(PolicyError) as info:
        load_waivers(path, TODAY)
    assert [str(p).replace(str(path), "W") for p in info.value.problems] == [
        "W:2:5: waiver 1: reason: missing required key (expected a non-empty string)",
        "W:5:5: waiver 2: expires: missing required key (expected a date YYYY-MM-DD)",
        "W:11:5: waiver 3: expires: invalid date '2027-02-30' (expected a date YYYY-MM-DD)",
        "W:16:5: waiver 4: ticket: unknown key (expected one of policy, arn, job_name, account, region, tag, reason, owner, expires)",
        "W:18:5: waiver 5: job_name: nested unbounded quantifier (like (a+)+) can take exponential time; rewrite it without a repeat inside a repeat (expected a regular expression)",
        "W:21:5: waiver 6: no resource match (expected at least one of arn, job_name, account, region, tag)",
        "W:24:5: waiver 7: policy: missing required key (expected a policy id or glob such as no-secrets-*)",
        "W:24:5: waiver 7: job_name: invalid regular expression: unterminated character set at position 4 (expected a regular expression)",
        "W:25:5: waiver 7: reason: expected a non-empty string",
        "W:26:5: waiver 7: expires: invalid date '31/12/2027' (expected a date YYYY-MM-DD)",
        "W:27:5: waiver 7: account: expected a 12-digit account id (quote it: '012345678901')",
    ]


ENTRY = "waivers:\n  - policy: network-isolation\n    reason: Accepted.\n    expires: 2027-01-31\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("colour: blue\nwaivers: []\n", "W:1:1: waivers: colour: unknown key (expected waivers)"),
        ("- policy: x\n", "W:1:1: waivers: expected a mapping with a 'waivers' list"),
        ("waivers: {policy: x}\n", "W:1:1: waivers: waivers: expected a list of waivers"),
        ("waivers:\n  - just-a-string\n", "W:2:5: waiver 1: expected a mapping of waiver fields"),
        ("waivers:\n\t- x\n", "W:2:1: waivers: invalid YAML: tab characters are not allowed for indentation"),
        (ENTRY + "    arn: sagemaker/*\n", "W:5:5: waiver 1: arn: expected an ARN glob such as arn:aws:sagemaker:*:123456789012:training-job/etl-*"),
        (ENTRY + "    region: Europe\n", "W:5:5: waiver 1: region: expected an AWS region such as us-east-1"),
        (ENTRY + "    tag: team\n", "W:5:5: waiver 1: tag: expected key=value such as team=research"),
        (ENTRY + "    account: 123456789012\n    owner: [a]\n", "W:6:5: waiver 1: owner: expected a non-empty string"),
        (ENTRY.replace("network-isolation", "Network Isolation") + "    region: us-east-1\n", "W:2:5: waiver 1: policy: expected a policy id or glob such as no-secrets-*"),
        (ENTRY.replace("2027-01-31", "2027-01-31 10:00:00") + "    region: us-east-1\n", "W:4:5: waiver 1: expires: invalid date datetime.datetime(2027, 1, 31, 10, 0) (expected a date YYYY-MM-DD)"),
    ],
)
def test_one_problem(tmp_path: Path, body: str, expected: str) -> None:
    assert problems(tmp_path, body) == [expected]


def test_an_impossible_unquoted_date_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    found = problems(tmp_path, ENTRY.replace("2027-01-31", "2027-02-30") + "    region: us-east-1\n")
    assert len(found) == 1 and found[0].startswith("W:")
    assert "day is out of range for month" in found[0]


def test_policy_must_name_a_loaded_policy_when_ids_are_given(tmp_path: Path) -> None:
    body = ENTRY.replace("network-isolation", "network-isolaton") + "    region: us-east-1\n"
    assert problems(tmp_path, body, policy_ids=["network-isolation"]) == [
        "W:2:5: waiver 1: policy: matches no loaded policy 'network-isolaton' (expected an id from `smscan policy list`)"
    ]


# --- tag waivers -----------------------------------------------------------------------


def tagged(value: str, policy_id: str = "network-isolation") -> Record:
    return make_record("tagged-job", tags={"team": "ml", f"smscan:waive:{policy_id}": value})


def test_tag_waiver_is_honoured_until_its_date() -> None:
    waivers = WaiverSet.empty(TODAY)
    record = tagged("accepted by secteam, ticket SEC-12 until=2026-12-31")
    assert waivers.match("network-isolation", record) == Waiver(
        reason="accepted by secteam, ticket SEC-12",
        owner="",
        expires="2026-12-31",
        source="tag smscan:waive:network-isolation",
    )
    assert waivers.match("vpc-configured", record) is None
    assert waivers.report().tag_notes == []


def test_expired_tag_waiver_is_not_honoured_and_is_reported() -> None:
    waivers = WaiverSet.empty(TODAY)
    record = tagged("until=2026-01-31 accepted for the migration")
    assert waivers.match("network-isolation", record) is None
    assert waivers.report().expired == [
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/tagged-job: "
        "tag smscan:waive:network-isolation expired on 2026-01-31"
    ]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("accepted by secteam", "no until=YYYY-MM-DD date in its value"),
        ("accepted until=31/12/2026", "its until= value is not a date YYYY-MM-DD"),
        ("accepted until=2026-02-30", "its until= value is not a date YYYY-MM-DD"),
        ("until=2026-12-31", "its value gives no reason"),
    ],
)
def test_malformed_tag_waiver_is_not_honoured_and_noted_once(value: str, why: str) -> None:
    waivers = WaiverSet.empty(TODAY)
    record = tagged(value)
    assert waivers.match("network-isolation", record) is None
    assert waivers.match("network-isolation", record) is None
    assert waivers.report().tag_notes == [
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/tagged-job: "
        f"tag smscan:waive:network-isolation not honoured: {why}"
    ]


def test_file_waiver_wins_over_tag_and_tags_can_be_turned_off() -> None:
    record = make_record(
        "legacy-x", tags={"smscan:waive:network-isolation": "ok until=2026-12-31"}
    )
    waiver = valid().match("network-isolation", record)
    assert waiver is not None and waiver.source.endswith("valid.yaml:3")
    off = WaiverSet.empty(TODAY, tag_waivers=False)
    assert off.match("network-isolation", record) is None


def test_a_secret_in_a_tag_reason_is_masked() -> None:
    waivers = WaiverSet.empty(TODAY)
    record = tagged("AKIAIOSFODNN7EXAMPLE until=2026-12-31")
    waiver = waivers.match("network-isolation", record)
    assert waiver is not None and "AKIAIOSFODNN7EXAMPLE" not in waiver.reason


def test_a_malformed_until_is_reported_without_echoing_the_tag_value() -> None:
    token = "ghp_" + "Zq8Lm2Xv9Rt4Wp6Yk1Hs3Jd5Fg7Nb0Cc2Ve4A"
    waivers = WaiverSet.empty(TODAY)
    assert waivers.match("network-isolation", tagged(f"reason until={token}")) is None
    [note] = waivers.report().tag_notes
    assert "its until= value is not a date YYYY-MM-DD" in note
    assert token not in note and token[:8] not in note


@pytest.mark.parametrize(
    "tags",
    [
        None, {}, [], "smscan:waive:network-isolation", ["smscan:waive:network-isolation"],
        {"owner": "x"}, {"smscan:waive:network-isolation": None},
        {"smscan:waive:network-isolation": "legacy until=2099-01-01"},
        MappingProxyType({"smscan:waive:network-isolation": "legacy until=2099-01-01"}),
    ],
)  # fmt: skip
def test_any_tags_value_is_matched_as_a_map_of_its_items_or_none(tags: object) -> None:
    """Tags that are a map are looked in, anything else (absent, null, a list) holds no waiver."""
    with_tags, without = make_record("j", tags=tags), make_record("j")
    without.data.pop("tags", None)
    waived = WaiverSet.empty(TODAY).match("network-isolation", with_tags)
    expected = tags.get("smscan:waive:network-isolation") if isinstance(tags, Mapping) else None
    assert (waived is not None) == (expected is not None)
    assert waived is None or waived.reason == "legacy"
    assert WaiverSet.empty(TODAY).match("network-isolation", without) is None
