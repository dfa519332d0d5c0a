"""The store on disk gives what the store in memory gives: same order, counts and reports.

The fleet is the demo's (scanner/data/demo_fleet.jsonl, DescribeTrainingJob-shaped jobs
written from the AWS API reference's response syntax); a budget of a few findings makes
the scan spill to SQLite after its first records, so every renderer streams from disk.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from smscan.findings import MemoryFindings, count_of
from smscan.findings_disk import SpillingFindings
from smscan.models import Severity, Status
from smscan.policy.loader import load_policies
from smscan.reports import FORMATS
from smscan.scan import ScanSettings, run_scan
from smscan.sources.files import FileOptions, FileSource
from tests.factories import make_finding, mixed_findings
from tests.report_helpers import render

DEMO_FLEET = Path(__file__).resolve().parents[1] / "scanner" / "data" / "demo_fleet.jsonl"
FINDINGS = [
    *mixed_findings(),
    make_finding("network-isolation", "b"),  # a tie: a stable sort keeps it after its twin
    make_finding("network-isolation", "\u00e9t\u00e9"),  # code-point order, not byte order of Latin-1
    make_finding("network-isolation", "zz"),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_spilled_store_iterates_counts_and_filters_as_memory_does(seed: int) -> None:
    shuffled = FINDINGS[:]
    random.Random(seed).shuffle(shuffled)
    memory, disk = MemoryFindings(shuffled), SpillingFindings(shuffled, budget=2)
    assert disk.on_disk and len(disk) == len(memory) == len(FINDINGS)
    assert list(disk) == list(memory)
    assert dict(disk.counts()) == dict(memory.counts())
    assert count_of(disk, (Status.FAIL,), at_least=Severity.HIGH) == count_of(memory, (Status.FAIL,), at_least=Severity.HIGH)
    assert list(disk.where((Status.UNKNOWN, Status.ERROR))) == list(memory.where((Status.UNKNOWN, Status.ERROR)))
    assert disk.first(3, (Status.FAIL,)) == memory.first(3, (Status.FAIL,))
    disk.add(make_finding("network-isolation", "f", severity="critical"))  # adds after reads still sort
    memory.add(make_finding("network-isolation", "f", severity="critical"))
    assert list(disk) == list(memory) and disk.first(1, (Status.FAIL,))[0].resource.name == "f"


def test_under_its_budget_the_store_never_touches_the_disk() -> None:
    store = SpillingFindings(FINDINGS, budget=len(FINDINGS))
    assert not store.on_disk and list(store) == list(MemoryFindings(FINDINGS))


def _scan(budget: int):  # type: ignore[no-untyped-def]
    source = FileSource(FileOptions((str(DEMO_FLEET),)))
    settings = ScanSettings(fail_on="never", findings_in_memory=budget)
    result = run_scan([source], load_policies(), settings, clock=lambda: "2026-12-01T00:00:00Z")
    return dataclasses.replace(result, meta=dataclasses.replace(result.meta, duration_seconds=1.0))


def test_every_report_streamed_from_disk_is_byte_identical_to_the_in_memory_one() -> None:
    in_memory, streamed = _scan(1_000_000), _scan(3)
    assert isinstance(streamed.findings, SpillingFindings) and streamed.findings.on_disk
    assert not in_memory.findings.on_disk and len(in_memory.findings) > 3  # type: ignore[attr-defined]
    for fmt in FORMATS:
        assert render(fmt, streamed) == render(fmt, in_memory), fmt


def test_the_html_page_embeds_the_most_severe_rows_and_points_to_the_json_for_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json
    import re

    from smscan.reports.html import render as html_render

    result = _scan(3)
    monkeypatch.setattr(html_render, "MAX_ROWS", 4)
    page = render("html", result)
    block = re.search(r'<script type="application/json" id="findings-data">(.*?)</script>', page, re.S)
    assert block is not None
    rows = json.loads(block.group(1))["rows"]
    assert len(rows) == 4 < len(result.findings)
    assert f"the other {len(result.findings) - 4} are in the JSON report" in page
    assert f"{len(result.findings)} findings, most severe first" in page


def test_a_finding_with_every_field_set_comes_back_from_disk_equal() -> None:
    from smscan.models import Evidence, Location, Waiver

    full = dataclasses.replace(
        make_finding("vpc-configured", "g", status=Status.WAIVED),
        evidence=(Evidence("$.vpc_config.Subnets", "not_empty", None, ((),), False, "a note"),),
        location=Location("requests/job.json", 12, 3),
        waiver=Waiver("accepted risk", "team-ml", "2027-01-01", "waivers.yaml"),
        baseline="unchanged",
    )
    store = SpillingFindings([full, *FINDINGS], budget=1)
    assert store.on_disk and full in list(store)
