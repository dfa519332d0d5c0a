"""`--jobs N` gives the reports of one process, byte for byte.

The fleet is the demo's (scanner/data/demo_fleet.jsonl, DescribeTrainingJob-shaped jobs
from the AWS API reference's response syntax), with the kinds of bad lines real exports
have (a truncated line, a non-object, an unknown key) so problems keep their order too.
Chunks are shrunk to a few records so even this small file is cut in many places.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from smscan import parallel
from smscan.policy.loader import load_policies
from smscan.reports import FORMATS
from smscan.scan import ScanSettings, run_scan
from smscan.sources.files import FileOptions, FileSource
from tests.cli_helpers import run_cli
from tests.report_helpers import render

DEMO_FLEET = Path(__file__).resolve().parents[1] / "scanner" / "data" / "demo_fleet.jsonl"


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
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
    chunks = parallel.plan(FileSource(FileOptions((str(fleet),))), 2)
    assert chunks is not None and len(chunks) > 3
    data = fleet.read_bytes()
    assert [c.start for c in chunks[1:]] == [c.end for c in chunks[:-1]] and chunks[-1].end == len(data)
    for c in chunks:
        assert c.first_line == data.count(b"\n", 0, c.start) + 1 and data[c.end - 1 : c.end] == b"\n"


def test_two_processes_write_every_report_byte_identical_to_one(fleet: Path) -> None:
    one, two = _scan(fleet, 1), _scan(fleet, 2)
    assert [str(p) for p in one.errors] == [str(p) for p in two.errors] and len(one.errors) >= 3
    for fmt in FORMATS:
        assert render(fmt, two) == render(fmt, one), fmt


def test_inputs_that_do_not_split_take_the_one_process_path(fleet: Path, tmp_path: Path) -> None:
    array = tmp_path / "fleet.json"
    array.write_text("[" + ",".join(DEMO_FLEET.read_text().splitlines()) + "]")
    assert parallel.plan(FileSource(FileOptions((str(array),))), 2) is None
    assert parallel.plan(FileSource(FileOptions(("-",))), 2) is None
    assert parallel.plan(FileSource(FileOptions((str(fleet),))), 1) is None


def test_the_cli_writes_the_same_json_report_with_jobs_1_and_2(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = []
    for jobs in ("1", "2"):
        out = tmp_path / f"report-{jobs}.json"
        run_cli(capsys, "scan", "-i", fleet, "--jobs", jobs, "--format", "json", "-o", out, "--fail-on", "never")
        texts.append([t for t in out.read_text().splitlines() if "_at" not in t and "duration" not in t])
    assert texts[0] == texts[1]
