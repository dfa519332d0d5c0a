"""The `--jobs` worker pool: a worker that fails or dies is an error, never a hang; an
interrupted scan exits as documented (README: 130 / 143, reports left as they were); and
no worker outlives its parent, however the parent ends.

The real-process tests scan the demo fleet (scanner/data/demo_fleet.jsonl, jobs in the
shape of the DescribeTrainingJob response syntax of the AWS API reference) repeated past
the size at which `smscan scan` starts its workers, and wait for states (the workers seen
in /proc, then gone), never for durations.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smscan import chunks, workers

ROOT = Path(__file__).resolve().parents[1]
DEMO_FLEET = ROOT / "scanner" / "data" / "demo_fleet.jsonl"
PREVIOUS = '{"previous": "report"}\n'



def test_a_worker_that_dies_is_an_error_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "TASK_TIMEOUT", 60.0)

    def die(item: int) -> None:
        os._exit(9)

    with pytest.raises(workers.WorkerError, match=r"exited \(code 9\)"), workers.Workers(2, lambda _: None, die) as pool:
        list(pool.map_in_order([1, 2, 3]))


def test_an_exception_in_a_worker_is_raised_in_the_parent() -> None:
    def fail(item: int) -> int:
        if item == 2:
            raise ValueError("bad item")
        return item * 10

    with pytest.raises(ValueError, match="bad item"), workers.Workers(2, lambda _: None, fail) as pool:
        for _ in pool.map_in_order([1, 2, 3]):
            pass


def test_answers_come_in_order_from_processes_other_than_the_parent() -> None:
    with workers.Workers(2, lambda _: None, lambda item: (item, os.getpid())) as pool:
        answers = list(pool.map_in_order(list(range(40))))
    assert [item for item, _ in answers] == list(range(40))
    assert [result[0] for _, result in answers] == list(range(40))
    assert len({pid for _, (_, pid) in answers}) <= 2 and os.getpid() not in {pid for _, (_, pid) in answers}


def test_items_are_taken_only_as_workers_free_up_and_each_worker_runs_a_broadcast_once() -> None:
    taken: list[int] = []

    def produce() -> Iterator[int]:
        for i in range(30):
            taken.append(i)
            yield i

    with workers.Workers(2, lambda index: None, lambda item: item * 2) as pool:
        stream = pool.map_in_order(produce())
        assert next(stream) == (0, 0)
        # two workers, two items ahead of each: never the whole input before the first answer
        assert len(taken) <= 2 + 2 * 2
        assert [answer for _, answer in stream] == [2 * i for i in range(1, 30)]
        assert sorted(pool.each(-1)) == [-2, -2]


def test_each_worker_is_told_its_index_when_it_starts() -> None:
    seen: dict[str, int] = {}

    def start(index: int) -> None:
        seen["index"] = index  # in the worker's own copy of this dict

    with workers.Workers(3, start, lambda item: seen["index"]) as pool:
        assert sorted(pool.each(None)) == [0, 1, 2]


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture(scope="module")
def big_fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Past MIN_PARALLEL_BYTES, so a real `smscan scan` process takes the parallel path."""
    lines = DEMO_FLEET.read_bytes().splitlines(keepends=True)
    path = tmp_path_factory.mktemp("big") / "fleet.jsonl"
    size = 0
    with path.open("wb") as out:
        while size < chunks.MIN_PARALLEL_BYTES * 3 // 2:
            for text in lines:
                size += out.write(text)
    return path


def _scan_process(path: Path, out_dir: Path) -> subprocess.Popen[bytes]:
    out_dir.mkdir()
    (out_dir / "report.json").write_text(PREVIOUS, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "smscan", "scan", "-i", str(path), "--jobs", "2", "--format", "json",
         "--output-dir", str(out_dir)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


def _workers_of(proc: subprocess.Popen[bytes]) -> set[int]:
    found: set[int] = set()
    assert _wait_for(lambda: len(found.update(_children(proc.pid)) or found) == 2 or proc.poll() is not None)
    assert proc.poll() is None, "the scan ended before its workers were seen"
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupted_parallel_scan_exits_as_documented_and_leaves_no_worker(
    big_fleet: Path, tmp_path: Path, how: str
) -> None:
    proc = _scan_process(big_fleet, tmp_path / "out")
    try:
        pids = _workers_of(proc)
        if how == "ctrl-c":  # a terminal sends SIGINT to the whole foreground group
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == (130 if how == "ctrl-c" else 143)
    text = err.decode()
    assert text.splitlines()[-1] == "smscan: interrupted; reports not listed as written were left as they were"
    assert "Traceback" not in text
    assert _wait_for(lambda: not any(_alive(p) for p in pids))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.json"]
    assert (tmp_path / "out" / "report.json").read_text(encoding="utf-8") == PREVIOUS


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_end_when_the_parent_is_killed(big_fleet: Path, tmp_path: Path) -> None:
    proc = _scan_process(big_fleet, tmp_path / "out")
    try:
        pids = _workers_of(proc)
        proc.kill()  # no handler runs: only the closed pipes tell the workers
        proc.communicate(timeout=60)
        assert _wait_for(lambda: not any(_alive(p) for p in pids))
    finally:
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
