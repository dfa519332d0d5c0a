"""Progress output: a redrawn line on a terminal, periodic lines otherwise, nothing when quiet."""

from __future__ import annotations

import io
import threading

from smscan.cli.progress import Progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_stream_gets_at_most_one_line_per_interval_and_a_final_one() -> None:
    now = [0.0]
    out = io.StringIO()
    progress = Progress(out, live=False, interval=5.0, clock=lambda: now[0])
    for _ in range(100):
        progress.update("aws:1:us-east-1", listed=1)
    now[0] = 6.0
    progress.update("aws:1:us-east-1", described=3, failed=1)
    progress.finish("aws:1:us-east-1")
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines == [
        "smscan: 0/1 scopes done, 100 listed, 3 described, 1 failed (running: aws:1:us-east-1 100/3/1)",
        "smscan: 1/1 scopes done, 100 listed, 3 described, 1 failed",
    ]


def test_terminal_gets_a_redrawn_line() -> None:
    out = Tty()
    progress = Progress.create(out)
    progress.update("a", listed=1)
    progress.close()
    assert out.getvalue().startswith("\r") and out.getvalue().endswith("\n")


def test_quiet_writes_nothing_and_counts_are_thread_safe() -> None:
    out = io.StringIO()
    progress = Progress.create(out, quiet=True)

    def work() -> None:
        for _ in range(1000):
            progress.update("s", listed=1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    progress.close()
    assert out.getvalue() == "" and progress.snapshot()["s"].listed == 4000


def test_file_scans_report_jobs_evaluated() -> None:
    out = io.StringIO()
    now = [0.0]
    progress = Progress(out, live=False, interval=5.0, clock=lambda: now[0])
    progress.evaluated(10)
    now[0] = 6.0
    progress.evaluated(20_000)
    progress.close()
    assert out.getvalue().splitlines() == ["smscan: 20000 jobs evaluated", "smscan: 20000 jobs evaluated"]
