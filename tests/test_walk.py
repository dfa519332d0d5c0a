"""The one directory walker: special files, symlinks and deep trees never hang or crash a scan.

Every hostile entry here is real (os.mkfifo, an AF_UNIX socket, symlink loops, a
character device), never a mock: the point is what the operating system does when
such a file is opened. Subprocess timeouts are only a safety net against a hang; what
is asserted is the outcome (exit code, notes, records).

The record lines are the minimal DescribeTrainingJob shape (TrainingJobName,
TrainingJobArn, EnableNetworkIsolation) of the AWS API reference:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeTrainingJob.html
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from smscan.models import Problem, Record
from smscan.sources.files import FileOptions, FileSource
from smscan.sources.requests.source import RequestFileSource, RequestOptions
from smscan.sources.walk import Walk, WalkOptions, open_regular, walk

ROOT = Path(__file__).resolve().parents[1]
ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/{}"
RECORDS = WalkOptions(suffixes=(".json", ".jsonl"))
SAFETY_NET = 120  # seconds; a hang fails the test instead of freezing the suite

posix_only = pytest.mark.skipif(os.name != "posix", reason="FIFOs, sockets and symlinks are POSIX")


def _job(name: str) -> str:
    return json.dumps({"TrainingJobName": name, "TrainingJobArn": ARN.format(name), "EnableNetworkIsolation": True})


def _split(items: Iterator[Record | Problem]) -> tuple[list[str], list[Problem]]:
    found = list(items)
    names = [i.data["training_job_name"] for i in found if isinstance(i, Record)]
    return names, [i for i in found if isinstance(i, Problem)]


def _names(result: Walk, root: Path) -> list[str]:
    return [Path(f).relative_to(root).as_posix() for f in result.files]


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[Path]:
    """A records directory holding one good file and every kind of file that is not one."""
    root = tmp_path / "inputs"
    (root / "sub").mkdir(parents=True)
    (root / "a.jsonl").write_text(_job("good") + "\n")
    os.mkfifo(root / "b.jsonl")  # opening it for reading blocks until a writer comes
    (root / "self.json").symlink_to(root / "self.json")  # a one-file symlink loop
    (root / "ping.json").symlink_to(root / "pong.json")
    (root / "pong.json").symlink_to(root / "ping.json")
    (root / "sub" / "up").symlink_to(root, target_is_directory=True)  # a directory loop
    (tmp_path / "secret.json").write_text(_job("outside"))
    (root / "out.json").symlink_to(tmp_path / "secret.json")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    here = os.getcwd()
    os.chdir(root / "sub")  # bound by a relative name: a long tmp path cannot exceed sun_path
    try:
        server.bind("s.json")
    finally:
        os.chdir(here)
    try:
        yield root
    finally:
        server.close()


@posix_only
def test_special_files_are_skipped_with_a_note_and_symlinks_stay_in_the_tree(hostile: Path) -> None:
    result = walk(str(hostile), RECORDS)
    assert _names(result, hostile) == ["a.jsonl"]
    by_name = {Path(p.source).relative_to(hostile).as_posix(): p for p in result.problems}
    assert sorted(by_name) == ["b.jsonl", "out.json", "ping.json", "pong.json", "self.json", "sub/s.json"]
    assert by_name["b.jsonl"].kind == "note" and "a FIFO" in by_name["b.jsonl"].message
    assert by_name["sub/s.json"].kind == "note" and "a socket" in by_name["sub/s.json"].message
    assert by_name["out.json"].kind == "note" and "outside the scanned directory" in by_name["out.json"].message
    for loop in ("self.json", "ping.json", "pong.json"):  # the file the user meant to scan is missing
        assert by_name[loop].kind == "input" and "symbolic links" in by_name[loop].message


@posix_only
def test_file_source_reads_the_good_file_and_notes_the_fifo(hostile: Path) -> None:
    names, problems = _split(FileSource(FileOptions((str(hostile),))).items())
    assert names == ["good"]  # "outside" is never read through the symlink
    notes = [p for p in problems if p.kind == "note"]
    assert any(p.source.endswith("b.jsonl") and "a FIFO" in p.message for p in notes)


@posix_only
def test_request_walker_is_the_same_walker(hostile: Path) -> None:
    for name in ("c.json", "sub/d.yaml"):
        os.mkfifo(hostile / name)
    names, problems = _split(RequestFileSource(RequestOptions((str(hostile),))).items())
    assert names == []
    fifos = {Path(p.source).name for p in problems if "a FIFO" in p.message}
    assert fifos == {"c.json", "d.yaml"}  # b.jsonl: .jsonl is not a request-file suffix


@posix_only
def test_a_scan_of_the_hostile_directory_finishes(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    argv = [sys.executable, "-m", "smscan", "scan", "--input", str(hostile), "-o", str(out), "--allow-partial",
            "--fail-on", "never"]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=SAFETY_NET)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stderr  # one job read; the unreadable loops accepted as partial
    doc = json.loads(out.read_text())
    assert doc["summary"]["records"] == 1


@posix_only
def test_a_fifo_named_on_the_command_line_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "fleet.jsonl"
    os.mkfifo(fifo)
    names, [problem] = _split(FileSource(FileOptions((str(fifo),))).items())
    assert names == [] and problem.kind == "input" and "not a regular file (a FIFO)" in problem.message
    out = tmp_path / "report.json"
    argv = [sys.executable, "-m", "smscan", "scan", "--input", str(fifo), "-o", str(out), "--allow-partial"]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=SAFETY_NET)
    assert proc.returncode == 3, proc.stderr  # nothing read: INCOMPLETE even with --allow-partial
    assert "Traceback" not in proc.stderr


def _zero_device(folder: Path) -> Path:
    """A character device that reads zeros forever: made in the tree when allowed (root),
    else the system's /dev/zero."""
    made = folder / "zero.jsonl"
    try:
        os.mknod(made, stat.S_IFCHR | 0o600, os.makedev(1, 5))
        return made
    except (OSError, AttributeError):
        system = Path("/dev/zero")
        if system.exists() and stat.S_ISCHR(system.stat().st_mode):
            return system
    pytest.skip("cannot make or find a character device")


@posix_only
def test_a_device_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    device = _zero_device(tmp_path / "dev")
    names, [problem] = _split(FileSource(FileOptions((str(device),))).items())  # named explicitly
    assert names == [] and "not a regular file (a character device)" in problem.message
    if device.parent != tmp_path / "dev":  # the system's device: reach it through a symlink
        (tmp_path / "dev" / "zero.jsonl").symlink_to(device)
    result = walk(str(tmp_path / "dev"), RECORDS)
    assert result.files == () and [p.kind for p in result.problems] == ["note"]


@posix_only
def test_open_regular_never_blocks_on_a_fifo_swapped_in_after_the_walk(tmp_path: Path) -> None:
    """The walk said "regular file"; by the time it is opened it is a FIFO. A child process
    tries it, so a blocking open would be caught by the safety net, not freeze pytest."""
    fifo = tmp_path / "swapped.json"
    os.mkfifo(fifo)
    code = (
        "import sys\nfrom smscan.sources.walk import open_regular\n"
        "try:\n    open_regular(sys.argv[1])\nexcept OSError as err:\n    print(err.strerror)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(fifo)], cwd=ROOT, capture_output=True, text=True, timeout=SAFETY_NET
    )
    assert proc.stdout.strip() == "not a regular file (a FIFO)", proc.stderr
    regular = tmp_path / "ok.json"
    regular.write_bytes(b"{}")
    with open_regular(str(regular)) as stream:
        assert stream.read() == b"{}"  # and a regular file reads as usual, blocking mode restored


def test_directories_below_the_depth_limit_are_noted_not_walked(tmp_path: Path) -> None:
    deep = tmp_path / "l1" / "l2" / "l3"
    deep.mkdir(parents=True)
    for folder in (tmp_path, tmp_path / "l1", tmp_path / "l1" / "l2", deep):
        (folder / "job.json").write_text(_job(folder.name))
    result = walk(str(tmp_path), WalkOptions(suffixes=(".json",), max_dir_depth=2))
    assert _names(result, tmp_path) == ["job.json", "l1/job.json", "l1/l2/job.json"]
    [note] = result.problems
    assert note.kind == "note" and note.source == str(deep) and "deeper than 2 levels" in note.message


def test_walk_order_is_by_path_component_and_names_are_filtered(tmp_path: Path) -> None:
    for name in ("b/x.json", "a-b.json", "a/z.JSON", "a/y.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    # "a/" sorts before "a-b.json" by component, though "-" < "/" as characters.
    assert _names(walk(str(tmp_path), RECORDS), tmp_path) == ["a/z.JSON", "a-b.json", "b/x.json"]


def test_missing_path_is_an_input_problem(tmp_path: Path) -> None:
    result = walk(str(tmp_path / "nope.jsonl"), RECORDS)
    assert result.files == () and [(p.kind, p.message) for p in result.problems] == [
        ("input", "no such file or directory")
    ]
