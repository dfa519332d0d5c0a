"""The JSON report's findings written in two parts by two processes (smscan.report_halves)
are the bytes one process writes, wherever the split falls.

The findings are tests.factories' (DescribeTrainingJob-shaped jobs, from the SageMaker API
reference's response syntax), over several policies and severities, in a store filled as
a `--jobs` scan fills it (tests.store_helpers).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smscan import chunks, report_halves
from smscan.codec import finding_text
from smscan.findings import MemoryFindings
from smscan.findings_runs import RunFindings
from smscan.models import Finding
from smscan.run_writer import key_head
from tests.cli_helpers import fixed_clock, json_reports_by_jobs, run_cli
from tests.factories import make_finding
from tests.store_helpers import run_store

ROOT = Path(__file__).resolve().parents[1]
DEMO_FLEET = ROOT / "scanner" / "data" / "demo_fleet.jsonl"
POLICIES = [("network-isolation", "high"), ("vpc-configured", "medium"), ("max-runtime-limit", "medium"),
            ("inter-container-encryption", "high"), ("tags-required", "low")]


def _findings(per_policy: list[int]) -> list[Finding]:
    out = []
    for (policy, severity), n in zip(POLICIES, per_policy, strict=False):
        out += [make_finding(policy, f"job-{i:03d}-\u00e9\"q", severity=severity) for i in range(n)]
    return out


def _items(store: RunFindings, tmp_path: Path, split: str) -> str:
    path = tmp_path / "items.json"
    with path.open("w", encoding="utf-8", newline="\n") as out:
        opening = report_halves.write_in_halves(out, store, split)
    text = path.read_text(encoding="utf-8")
    assert opening == ("," if text else "[")
    return text


def _one_process(findings: list[Finding]) -> str:
    texts = [finding_text(f) for f in MemoryFindings(findings)]
    return "[\n    " + ",\n    ".join(texts) if texts else ""


@pytest.mark.parametrize("flats", [True, False])
def test_each_split_gives_the_bytes_of_one_process(tmp_path: Path, flats: bool) -> None:
    findings = _findings([40, 7, 25, 3, 60])
    store = run_store(findings, budget=9, chunk=5, own=4, flats=flats)
    heads = sorted({key_head(f.severity, f.policy_id) for f in findings})
    # Between any two policies, before every row (the first part empty) and after all of
    # them (the second part empty).
    for split in [*heads, "", "\uffff"]:
        assert _items(store, tmp_path, split) == _one_process(findings), repr(split)
    store.close()


def test_the_split_falls_between_policies_near_the_middle() -> None:
    findings = _findings([40, 7, 25, 3, 60])
    store = run_store(findings, budget=9, own=4)
    split = store.split_key()
    assert split is not None
    first = [f for f in findings if key_head(f.severity, f.policy_id) < split]
    assert 0.25 * len(findings) <= len(first) <= 0.75 * len(findings)
    assert [str(t, "utf-8") for b in store.text_bytes(stop=split) for t in b] == [finding_text(f) for f in MemoryFindings(first)]
    store.close()


def test_one_policy_holding_nearly_all_findings_is_not_split() -> None:
    store = run_store(_findings([90, 5, 5]), budget=9)
    assert store.split_key() is None
    store.close()


def test_only_a_large_store_written_to_a_file_is_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = run_store(_findings([40, 7, 25, 3, 60]), budget=9)
    with (tmp_path / "r.json").open("w") as out:
        assert report_halves.worth_splitting(store, out) is None  # fewer than MIN_FINDINGS
        monkeypatch.setattr(report_halves, "MIN_FINDINGS", 0)
        assert report_halves.worth_splitting(store, out) == (store, store.split_key())
        assert report_halves.worth_splitting(MemoryFindings(list(store)), out) is None
    with Path("/dev/null").open("w") as out:
        assert report_halves.worth_splitting(store, out) is None  # not a regular file
    store.close()


@pytest.fixture
def small_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo fleet judged in many chunks by two workers, its report split at any size."""
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(chunks, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(report_halves, "MIN_FINDINGS", 0)


@pytest.mark.usefixtures("small_parallel")
def test_the_cli_report_of_two_processes_is_the_one_of_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    split: list[Any] = []
    real_write = report_halves.write_in_halves
    monkeypatch.setattr(report_halves, "write_in_halves", lambda *a: split.append(a[2]) or real_write(*a))
    fixed_clock(monkeypatch)
    reports = json_reports_by_jobs(capsys, tmp_path, DEMO_FLEET)
    assert len(split) == 1  # the --jobs 2 report, in two parts
    assert reports["2"] == reports["1"] and json.loads(reports["2"])["findings"]


@pytest.mark.usefixtures("small_parallel")
def test_a_json_report_written_beside_others_is_written_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Several reports are written by processes of their own (smscan.cli.emit_parallel),
    # which may not fork: the JSON one is then written in one part, the same bytes.
    monkeypatch.setattr("smscan.cli.emit_parallel.MIN_FINDINGS", 0)
    fixed_clock(monkeypatch)
    reports = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs-{jobs}"
        code, _, err = run_cli(capsys, "scan", "-i", DEMO_FLEET, "--jobs", jobs, "--format", "json,sarif",
                               "--output-dir", out, "--fail-on", "never", "-q")
        assert code == 0, err
        reports[jobs] = (out / "report.json").read_bytes(), (out / "report.sarif").read_bytes()
    assert reports["2"] == reports["1"]
