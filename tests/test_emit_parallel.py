"""Reports written side by side, one process each, are the files one process writes.

The result is a scan of the demo fleet (scanner/data/demo_fleet.jsonl: jobs in the shape
of the DescribeTrainingJob response syntax of the AWS API reference), repeated so the
store holds enough findings to be worth the processes, with its clock fixed.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path

import pytest

from smscan.cli import emit_parallel
from smscan.cli.output import Target
from smscan.errors import RenderError
from smscan.findings import MemoryFindings
from smscan.findings_disk import SpillingFindings
from smscan.policy.loader import load_policies
from smscan.reports import FORMATS, RenderOptions, renderer
from smscan.scan import ScanSettings, run_scan
from smscan.sources.files import FileOptions, FileSource
from tests.report_helpers import verdict_of
from tests.store_helpers import run_store

DEMO_FLEET = Path(__file__).resolve().parents[1] / "scanner" / "data" / "demo_fleet.jsonl"
OPTIONS = RenderOptions(generated_at="2026-12-01T00:00:00Z", sarif_root=Path("/repo"), sarif_category="demo")


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    scanned = run_scan([FileSource(FileOptions((str(DEMO_FLEET),)))], load_policies(), ScanSettings(fail_on="never"),
                       clock=lambda: "2026-12-01T00:00:00Z")
    return dataclasses.replace(scanned, meta=dataclasses.replace(scanned.meta, duration_seconds=1.0))


def _writer(result, verdict):  # type: ignore[no-untyped-def]
    return lambda target: partial(renderer(target.fmt), result, verdict, OPTIONS)


def _targets(directory: Path) -> list[Target]:
    return [Target(fmt, directory / f"report.{FORMATS[fmt].extension}") for fmt in sorted(FORMATS)]


def test_side_by_side_reports_are_byte_identical_to_one_process(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    verdict = verdict_of(result)
    one, many = tmp_path / "one", tmp_path / "many"
    one.mkdir(), many.mkdir()
    assert emit_parallel.emit_all(_targets(one), _writer(result, verdict), 1) == [str(t.path) for t in _targets(one)]
    assert emit_parallel.emit_all(_targets(many), _writer(result, verdict), 2) == [str(t.path) for t in _targets(many)]
    for fmt in FORMATS:
        name = f"report.{FORMATS[fmt].extension}"
        assert (many / name).read_bytes() == (one / name).read_bytes(), fmt
    assert sorted(p.name for p in many.iterdir()) == sorted(p.name for p in one.iterdir())  # no temporary file left


def test_a_report_that_cannot_be_written_fails_the_run_as_in_one_process(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the output directory should be\n")
    targets = [Target("json", tmp_path / "report.json"), Target("sarif", blocked / "report.sarif")]
    with pytest.raises(RenderError, match=r"not-a-directory/report.sarif: cannot write report \(Not a directory\)"):
        emit_parallel.emit_all(targets, _writer(result, verdict_of(result)), 2)


def test_standard_output_keeps_its_place_among_the_reports(result, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    targets = [Target("json", tmp_path / "report.json"), Target("markdown", None), Target("sarif", tmp_path / "r.sarif")]
    written = emit_parallel.emit_all(targets, _writer(result, verdict_of(result)), 2)
    assert written == [str(tmp_path / "report.json"), "<stdout>", str(tmp_path / "r.sarif")]
    assert capsys.readouterr().out.startswith("#")


def test_only_stores_a_forked_process_can_read_are_rendered_side_by_side(result) -> None:  # type: ignore[no-untyped-def]
    many = list(result.findings) * (emit_parallel.MIN_FINDINGS // len(result.findings) + 1)
    assert emit_parallel.can_fork_with(MemoryFindings(many))
    assert emit_parallel.can_fork_with(run_store(many, budget=500))
    assert not emit_parallel.can_fork_with(SpillingFindings(many, budget=10))  # SQLite: not across a fork
    assert not emit_parallel.can_fork_with(MemoryFindings(many[:10]))  # too few to repay a process
