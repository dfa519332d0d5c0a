"""The source seam holds: every source implements the interface, none sees the CLI.

Read from the code itself (its import statements and calls), so a shortcut taken later,
an `import argparse` in a source or a `getattr(source, ...)` in the scan loop, fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from smscan.models import Problem
from smscan.scan import ScanSettings, run_scan
from smscan.sources.aws.source import AwsOptions, AwsSource
from smscan.sources.files import FileOptions, FileSource
from smscan.sources.interface import Note, Source, SourceItem, SourceReport
from smscan.sources.requests.source import RequestFileSource, RequestOptions

SCANNER = Path(__file__).resolve().parents[1] / "scanner"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path", sorted((SCANNER / "sources").rglob("*.py")), ids=lambda p: str(p.relative_to(SCANNER))
)
def test_no_source_module_reads_argparse_or_the_cli(path: Path) -> None:
    imported = _imports(path)
    assert "argparse" not in imported
    assert not any(name == "smscan.cli" or name.startswith("smscan.cli.") for name in imported)


def test_the_scan_loop_asks_sources_through_the_interface_only() -> None:
    tree = ast.parse((SCANNER / "scan.py").read_text(encoding="utf-8"))
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert "getattr" not in calls and "hasattr" not in calls


@pytest.mark.parametrize(
    "source",
    [
        FileSource(FileOptions(("nope.jsonl",))),
        RequestFileSource(RequestOptions(("nope",))),
        AwsSource(AwsOptions(regions=("us-east-1",)), None),
    ],
    ids=["files", "requests", "aws"],
)
def test_every_source_implements_the_interface(source: Source) -> None:
    assert isinstance(source, Source)
    report = source.report()  # before items(): empty, but of the one shape
    assert isinstance(report, SourceReport)
    assert all(isinstance(note, Note) for note in report.notes)
    assert isinstance(source.describe(), str) and "\n" not in source.describe()


class _Reporting(Source):
    """A source as a new kind of input would add one: a problem, and a full report."""

    def items(self) -> Iterator[SourceItem]:
        yield Problem("queue", "message 7 is not a training-job event", kind="record")

    def describe(self) -> str:
        return "events from a queue"

    def report(self) -> SourceReport:
        return SourceReport(
            scope={"queue": "jobs"}, api_calls={"ReceiveMessage": 2}, notes=(Note("drained", "queue"),)
        )


def test_run_scan_gathers_what_each_source_reports() -> None:
    result = run_scan([_Reporting(), _Reporting()], [], ScanSettings(), clock=lambda: "2026-12-01T00:00:00Z")
    assert result.meta.inputs == ("events from a queue", "events from a queue")
    assert result.meta.scope == {"queue": "jobs"}
    assert result.meta.api_calls == {"ReceiveMessage": 4}  # summed over sources
    assert result.meta.notes == ("queue: drained", "queue: drained")
    assert [p.message for p in result.errors] == ["message 7 is not a training-job event"] * 2
