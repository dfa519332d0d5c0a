"""The JSON report's findings written by two processes: the parent writes the first part,
a forked process the second, each merging its own part of a `--jobs` scan's runs.

The report of a large fleet is hundreds of megabytes that one process reads back from
the runs, merges and writes while the other CPUs wait (a tenth of a 100,000-job scan).
The split falls between two policies (smscan.findings_runs `split_key`), so each part is
a range of row keys that the tally already counted and neither process reads the other's
texts. The forked one writes its part, with the separators it would have in the report,
into an unlinked temporary file; once the parent has written its own, it copies that file
onto the report, a megabyte at a time through the report's own stream. The bytes are
those one process writes (tests/test_report_halves.py holds them equal).
"""

from __future__ import annotations

import multiprocessing
import os
import stat
import tempfile
from typing import Any, TextIO

from smscan.findings_runs import RunFindings

MIN_FINDINGS = 20_000  # below this, the fork costs more than the second process saves
_COPY = 1024 * 1024
_SEPARATOR = ",\n    "


def worth_splitting(findings: Any, out: TextIO) -> tuple[RunFindings, str] | None:
    """`findings` and the key to split them at, when they are a --jobs scan's runs worth
    writing in two parts into a file stream; else None."""
    if not isinstance(findings, RunFindings) or len(findings) < MIN_FINDINGS:
        return None
    if multiprocessing.current_process().daemon:
        # One of several reports written side by side (smscan.cli.emit_parallel): the CPUs
        # are busy with the others, and such a process may not start one of its own.
        return None
    if not hasattr(out, "buffer") or not _is_file(out):
        return None
    split = findings.split_key()
    return None if split is None else (findings, split)


def write_items(out: TextIO, findings: RunFindings, split: str) -> bool:
    """Write the findings array's items (what follows its "[") as codec.write does; False
    when there were none."""
    from smscan.workers import Workers

    with tempfile.TemporaryFile() as second:

        def task(_: object) -> int:
            size = 0
            for batch in findings.text_batches(start=split):
                data = (_SEPARATOR + _SEPARATOR.join(batch)).encode("utf-8")
                second.write(data)
                size += len(data)
            second.flush()
            return size

        with Workers(1, lambda index: None, task) as pool:
            pool.send_each(None)
            opening = "["
            for batch in findings.text_batches(stop=split):
                out.write(opening + "\n    " + _SEPARATOR.join(batch))
                opening = ","
            (size,) = pool.answers()
        if not size:
            return opening == ","
        out.flush()
        # The second part begins with a separator: after nothing, the array's opening instead.
        offset = 0
        if opening == "[":
            out.write("[\n    ")
            out.flush()
            offset = len(_SEPARATOR)
        fd, sink = second.fileno(), out.buffer
        while offset < size:
            data = os.pread(fd, min(_COPY, size - offset), offset)
            if not data:
                raise OSError(5, "the report's second part was cut short")
            sink.write(data)
            offset += len(data)
        sink.flush()
    return True


def _is_file(out: TextIO) -> bool:
    """A regular file: a pipe or a terminal is written by one process, as it comes."""
    try:
        return stat.S_ISREG(os.fstat(out.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):  # no descriptor (a StringIO), or closed
        return False
