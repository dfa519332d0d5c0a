"""`--jobs N` gives the reports of one process, byte for byte (the pool itself: test_workers.py).

The fleet is the demo's (scanner/data/demo_fleet.jsonl, DescribeTrainingJob-shaped jobs
from the AWS API reference's response syntax), with the kinds of bad lines real exports
have (a truncated line, a non-object, invalid JSON, bytes that are not UTF-8, unknown keys)
so problems keep their order too. Chunks are shrunk to a few records so even these small
files are cut in many places. Waivers follow docs/GATE.md's examples.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscan import chunks, parallel
from smscan.gate.baseline import ABSENT_NOTE
from smscan.gate.waivers import FileWaiver, WaiverSet
from smscan.models import Location, ScanResult, Status, Waiver
from smscan.policy.loader import load_policies
from smscan.reports import FORMATS
from smscan.scan import ScanSettings, run_scan
from smscan.sources.files import FileOptions, FileSource
from smscan.wire import Flat, Unflat
from tests.cli_helpers import fixed_clock, json_reports_by_jobs, run_cli
from tests.factories import make_finding
from tests.report_helpers import render

ROOT = Path(__file__).resolve().parents[1]
DEMO_FLEET = ROOT / "scanner" / "data" / "demo_fleet.jsonl"


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(chunks, "MIN_PARALLEL_BYTES", 0)
    lines = DEMO_FLEET.read_text(encoding="utf-8").splitlines()
    lines[7] = lines[7][: len(lines[7]) // 2]  # a line cut short by a failed export
    lines[20] = "[1, 2]"
    lines[33] = lines[33][:-1] + ', "SomeFutureField": 1}'
    path = tmp_path / "fleet.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _scan(path: Path, jobs: int):  # type: ignore[no-untyped-def]
    settings = ScanSettings(fail_on="never", jobs=jobs, findings_in_memory=5)
    result = run_scan([FileSource(FileOptions((str(path),)))], load_policies(), settings, clock=lambda: "2026-12-01T00:00:00Z")
    return dataclasses.replace(result, meta=dataclasses.replace(result.meta, duration_seconds=1.0))


def test_the_file_is_cut_at_line_ends_into_many_chunks(fleet: Path) -> None:
    planned = chunks.plan(FileSource(FileOptions((str(fleet),))), 2)
    assert planned is not None
    cut = list(planned.chunks())
    assert len(cut) > 3 and [c.last for c in cut] == [False] * (len(cut) - 1) + [True]
    data = fleet.read_bytes()
    assert [c.start for c in cut[1:]] == [c.end for c in cut[:-1]] and cut[-1].end == len(data)
    for c in cut:
        assert c.first_line == data.count(b"\n", 0, c.start) + 1 and data[c.end - 1 : c.end] == b"\n"


def test_chunks_grow_with_the_input_between_their_bounds() -> None:
    sizes = {n: chunks.Plan(("f.jsonl",), n).chunk_bytes() for n in (10 << 20, 100 << 20, 296 << 20, 10 << 30)}
    assert sizes == {10 << 20: chunks.CHUNK_BYTES, 100 << 20: (100 << 20) // chunks.CHUNKS_AT_LEAST,
                     296 << 20: chunks.MAX_CHUNK_BYTES, 10 << 30: chunks.MAX_CHUNK_BYTES}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=3000), st.integers(0, 50))
def test_line_ends_are_counted_whether_lines_are_long_or_short(lengths: list[int], cut: int) -> None:
    # Past chunks._FOUND_ONE_BY_ONE line ends the rest are counted another way: both are exact,
    # and what lies past `size` in the reused buffer is never counted.
    block = bytearray(b"".join(b"x" * n + b"\n" for n in lengths) + b"\n" * cut)
    size = max(0, len(block) - cut)
    assert chunks._newlines(block, size) == block.count(b"\n", 0, size)


def test_two_processes_write_every_report_byte_identical_to_one(fleet: Path) -> None:
    one, two = _scan(fleet, 1), _scan(fleet, 2)
    assert [str(p) for p in one.errors] == [str(p) for p in two.errors] and len(one.errors) >= 3
    for fmt in FORMATS:
        assert render(fmt, two) == render(fmt, one), fmt


def test_inputs_that_do_not_split_take_the_one_process_path(fleet: Path, tmp_path: Path) -> None:
    array = tmp_path / "fleet.json"
    array.write_text("[" + ",".join(DEMO_FLEET.read_text().splitlines()) + "]")
    assert chunks.plan(FileSource(FileOptions((str(array),))), 2) is None
    assert chunks.plan(FileSource(FileOptions(("-",))), 2) is None
    assert chunks.plan(FileSource(FileOptions((str(fleet),))), 1) is None


def test_the_cli_writes_the_same_json_report_with_jobs_1_and_2(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts, summaries = [], []
    for jobs in ("1", "2"):
        out = tmp_path / f"report-{jobs}.json"
        _, _, err = run_cli(capsys, "scan", "-i", fleet, "--jobs", jobs, "--format", "json", "-o", out, "--fail-on", "never")
        texts.append([t for t in out.read_text().splitlines() if "_at" not in t and "duration" not in t])
        summaries.append([re.sub(r"\d+\.\d+s\b", "<seconds>", t) for t in err.replace(str(out), "<report>").splitlines()])
    assert texts[0] == texts[1]
    # Only the JSON report reads every finding: the workers keep their texts alone, and the
    # summary's worst findings are decoded from them.
    assert summaries[0] == summaries[1]
    assert any("FAIL" in t for t in summaries[1])


# --- the CLI: waivers, a baseline, problems, several files --------------------------------

WAIVERS = """\
# The shape of docs/GATE.md's example file: a live waiver, a stale one, an expired one.
waivers:
  - policy: network-isolation
    account: "444455556666"
    reason: The analytics account downloads public models at run time; replaced in Q3.
    owner: ml-platform@example.com
    expires: 2099-12-31
  - policy: vpc-configured
    arn: "arn:aws:sagemaker:*:*:training-job/retired-*"
    reason: Retired pipeline.
    expires: 2099-12-31
  - policy: approved-image-registry
    region: us-east-1
    reason: Migration window.
    expires: 2020-01-01
"""
# Tag waivers (`smscan:waive:<policy-id>`, docs/GATE.md): honoured, undated and expired ones,
# so the tag notes and expiries, which one process gathers in reading order, are merged too.
TAGS = {
    "smscan:waive:required-tags": "Tagged by the scheduler after launch until=2099-01-01",
    "smscan:waive:max-runtime-limit": "Week-long research runs",
    "smscan:waive:retry-limit": "Flaky spot capacity until=2020-01-01",
}


def _fleet_lines(first: int, last: int) -> list[str]:
    lines = DEMO_FLEET.read_text(encoding="utf-8").splitlines()[first:last]
    out = []
    for i, text in enumerate(lines):
        record = json.loads(text)
        if i % 3 == 0:
            record["tags"] = {**(record.get("tags") or {}), **TAGS}
        out.append(json.dumps(record))
    return out


@pytest.fixture
def fleet_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two JSON Lines files, each with bad lines spread over many chunks and keys smscan ignores."""
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(chunks, "MIN_PARALLEL_BYTES", 0)
    folder = tmp_path / "fleet"
    folder.mkdir()
    a = _fleet_lines(0, 30)
    a[4] = a[4][: len(a[4]) // 3]  # cut short by a failed export
    a[11] = '"not an object"'
    a[17] = a[17][:-1] + ', "SomeFutureField": 1}'
    a[26] = "{not json"
    b = _fleet_lines(30, 50)
    b[2] = b[2][:-1] + ', "SomeFutureField": 2, "AnotherNewField": true}'  # one key is new here
    b[9] = "[1, 2]"
    b[15] = b[15][:-1] + ', "ThirdNewField": null}'
    (folder / "a.jsonl").write_text("\n".join(a) + "\n", encoding="utf-8")
    (folder / "b.ndjson").write_bytes(("\n".join(b[:12]) + "\n").encode() + b"\xff\xfe\n" + ("\n".join(b[12:]) + "\n").encode())
    return folder


def test_a_json_only_scan_with_waiver_tags_writes_the_report_of_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No waiver file: a job's waiver tag (a live one, one without a date, an expired one)
    # can waive only its own findings, so the workers' rows without a Finding (TextRows)
    # serve every other job, and the tagged ones take the plain path, waivers and notes
    # included. Which way each job went is written down by the workers.
    from smscan.text_rows import TextRows

    monkeypatch.setattr(chunks, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(chunks, "MIN_PARALLEL_BYTES", 0)
    served = tmp_path / "served"
    real_judge = TextRows.judge

    def judge(self: TextRows, record: Any, seq: int) -> int:
        with served.open("a") as handle:
            handle.write(f"{bool(record.data.get('tags'))}\n")
        return real_judge(self, record, seq)

    monkeypatch.setattr(TextRows, "judge", judge)
    lines = _fleet_lines(0, 50)
    for i in range(0, 50, 3):  # the tagged jobs: waive whatever they fail, too
        record = json.loads(lines[i])
        record["tags"].update({f"smscan:waive:{p}": "accepted until=2099-01-01" for p in ("network-isolation", "vpc-configured")})
        lines[i] = json.dumps(record)
    other = json.loads(lines[1])
    other["tags"] = {"team": "ml", "smscan:waiver-owner": "not a waiver tag"}
    lines[1] = json.dumps(other)
    fleet = tmp_path / "tagged.jsonl"
    fleet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fixed_clock(monkeypatch)
    reports = json_reports_by_jobs(capsys, tmp_path, fleet)
    assert reports["2"] == reports["1"]
    doc = json.loads(reports["2"])
    assert any(f["status"] == "WAIVED" for f in doc["findings"])
    assert "not honoured" in json.dumps(doc["scan"]["notes"]) + json.dumps(doc["errors"])
    ways = served.read_text().split()
    assert ways.count("False") + ways.count("True") == 50 - len(lines[::3])  # every job without a waiver tag
    assert "True" in ways  # job 1's tags hold no waiver


def _baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A previous scan of the first 40 jobs where job 0 also failed network-isolation: fixed now."""
    lines = _fleet_lines(0, 40)
    record = json.loads(lines[0])
    record["enable_network_isolation"] = False
    lines[0] = json.dumps(record)
    previous = tmp_path / "previous.jsonl"
    previous.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "previous.json"
    run_cli(capsys, "scan", "-i", previous, "--jobs", "1", "-o", out, "--fail-on", "never", "-q")
    return out


def _reports(capsys: pytest.CaptureFixture[str], out: Path, *argv: Any) -> tuple[int, dict[str, bytes], str]:
    code, _, err = run_cli(capsys, "scan", *argv, "--format", ",".join(FORMATS), "--output-dir", out)
    assert out.is_dir(), err
    return code, {p.name: p.read_bytes() for p in sorted(out.iterdir())}, err


@pytest.mark.parametrize("include_passed", [False, True], ids=["failures", "include-passed"])
def test_the_cli_writes_every_report_byte_identical_with_waivers_baseline_and_problems(
    fleet_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    include_passed: bool,
) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVERS, encoding="utf-8")
    previous = _baseline(tmp_path, capsys)
    fixed_clock(monkeypatch)
    argv = ["-i", fleet_dir, "-i", fleet_dir / "a.jsonl", "--waivers", waivers, "--baseline", previous,
            "--fail-on", "never", *(["--include-passed"] if include_passed else [])]
    one = _reports(capsys, tmp_path / "one", *argv, "--jobs", "1")
    two = _reports(capsys, tmp_path / "two", *argv, "--jobs", "2")
    assert two[0] == one[0] == 3  # the bad lines make the scan INCOMPLETE, alike
    assert list(two[1]) == list(one[1]) and len(one[1]) == len(FORMATS)
    for name, data in one[1].items():
        assert two[1][name] == data, name
    assert "Traceback" not in one[2] + two[2]
    # What is identical has each feature in it, so none was silently off in both runs.
    report = json.loads(one[1]["report.json"])
    statuses = {f["status"] for f in report["findings"]}
    assert "WAIVED" in statuses and ("PASS" in statuses) is include_passed
    assert {f["baseline"] for f in report["findings"] if f["status"] == "FAIL"} == {"new", "unchanged"}
    # Fixed on a job read again, and "no longer present" on the jobs whose lines are now broken:
    # the parent knows which is which only from the record keys the workers send back.
    fixed = {f["policy_id"]: f["message"].endswith(ABSENT_NOTE) for f in report["fixed"]}
    assert fixed["network-isolation"] is False and True in fixed.values()
    notes = report["scan"]["notes"]
    assert any("matched no finding" in n for n in notes) and any("expired on 2020-01-01" in n for n in notes)
    assert any("not honoured" in n for n in notes)
    errors = [e["message"] for e in report["errors"]]
    assert sum("unknown top-level key" in m for m in errors) == 2  # a.jsonl and b.ndjson; not a.jsonl again
    assert len(errors) >= 8


def test_progress_advances_chunk_by_chunk_to_the_record_count(fleet: Path) -> None:
    seen: list[int] = []
    settings = ScanSettings(fail_on="never", jobs=2)
    result = run_scan([FileSource(FileOptions((str(fleet),)))], load_policies(), settings, on_record=seen.append)
    planned = chunks.plan(FileSource(FileOptions((str(fleet),))), 2)
    assert planned is not None and len(seen) == len(list(planned.chunks()))
    assert seen == sorted(seen) and seen[-1] == result.meta.records_scanned > 0


def test_waiver_hits_and_record_keys_come_back_from_the_workers(fleet: Path) -> None:
    today = datetime.date(2026, 12, 1)
    rule = FileWaiver("waivers.yaml:2", "network-isolation", "accepted", datetime.date(2099, 1, 1))
    stale = FileWaiver("waivers.yaml:7", "vpc-configured", "retired", datetime.date(2099, 1, 1), arn="arn:none")
    results = []
    for jobs in (1, 2):
        waivers = WaiverSet([dataclasses.replace(rule), dataclasses.replace(stale)], today)
        present: set[str] = set()
        result = run_scan([FileSource(FileOptions((str(fleet),)))], load_policies(), ScanSettings(jobs=jobs),
                          waivers=waivers, present=present, clock=lambda: "2026-12-01T00:00:00Z")
        results.append(([r.hits for r in waivers.rules], present, result.meta.notes, result.counts))
    assert results[0] == results[1]
    hits, present, notes, counts = results[1]
    assert hits[0] == counts["network-isolation"][Status.WAIVED] > 0 and hits[1] == 0
    assert any("vpc-configured matched no finding" in n for n in notes)
    records = [json.loads(t) for t in fleet.read_text().splitlines() if t.startswith("{") and t.endswith("}")]
    assert present == {r["_key"] for r in records}


def test_findings_cross_the_pipe_unchanged(fleet: Path) -> None:
    result = _scan(fleet, 1)
    findings = [
        *result.findings,
        dataclasses.replace(
            make_finding(status=Status.WAIVED),
            waiver=Waiver("accepted", "me", "2099-01-01", "w.yaml:3"),
            location=Location("train.py", 12, 5),
            baseline="new",
        ),
    ]
    flat, unflat = Flat(), Unflat()
    sent = [flat(f) for f in findings]
    assert [unflat(t) for t in pickle.loads(pickle.dumps(sent))] == findings
    # A field added to Finding must be added to the wire format too.
    assert len(sent[-1]) == len(dataclasses.fields(findings[-1]))


def test_findings_that_share_evidence_still_share_it_after_the_pipe() -> None:
    one = make_finding(name="job-1")
    two = dataclasses.replace(make_finding(name="job-2"), evidence=one.evidence)
    flat, unflat = Flat(), Unflat()
    back = [unflat(t) for t in pickle.loads(pickle.dumps([flat(one), flat(two)]))]
    assert back == [one, two] and back[0].evidence is back[1].evidence


class _FailingAfterOneRead:
    """A file whose second read fails, as a disk error part way through would make it."""

    def __init__(self, path: str, mode: str) -> None:
        self._handle = open(path, mode)  # noqa: SIM115 - closed by __exit__
        self._reads = 0

    def __enter__(self) -> _FailingAfterOneRead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def seek(self, offset: int) -> int:
        return self._handle.seek(offset)

    def readline(self) -> bytes:
        return self._handle.readline()

    def readinto(self, buffer: bytearray) -> int:
        self._reads += 1
        if self._reads > 1:
            raise OSError(5, "Input/output error")
        return self._handle.readinto(buffer)


def test_a_file_that_fails_part_way_through_cutting_is_a_problem_not_a_short_scan(
    fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = chunks.plan(FileSource(FileOptions((str(fleet),))), 2)
    assert planned is not None
    monkeypatch.setattr(chunks, "open", _FailingAfterOneRead, raising=False)
    cut = list(planned.chunks())
    assert [c.error for c in cut] == ["", "Input/output error"] and cut[1].start == cut[0].end
    monkeypatch.undo()
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 4096)
    result = _scan_chunks(fleet, cut)
    assert [e.message for e in result.errors if "cannot read" in e.message] == ["cannot read file: Input/output error"]


def _scan_chunks(path: Path, cut: list[chunks.Chunk]) -> ScanResult:
    """Judge exactly the chunks `cut` in two workers, as a scan whose plan gave them would."""
    from smscan.engine import Engine
    from smscan.findings_runs import RunFindings
    from smscan.scan import Tally, build_result

    source = FileSource(FileOptions((str(path),)))
    policies = load_policies()
    tally = Tally.for_policies(policies)
    tally.findings = RunFindings.for_workers(2, budget=5)

    class Given(chunks.Plan):
        def chunks(self):  # type: ignore[no-untyped-def]
            return iter(cut)

    parallel.evaluate(source, Given((str(path),), 10**9), Engine(policies), tally, 2)
    return build_result(run_scan([], policies, ScanSettings()).meta, policies, tally)
