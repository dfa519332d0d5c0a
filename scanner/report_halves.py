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

import codecs
import multiprocessing
import os
import stat
import tempfile
from collections.abc import Iterable
from typing import Any, BinaryIO, TextIO

from smscan.codec import BETWEEN
from smscan.findings_runs import RunFindings
from smscan.run_writer import Text

MIN_FINDINGS = 20_000  # below this, the fork costs more than the second process saves
_COPY = 1024 * 1024
_SEPARATOR = BETWEEN.encode()  # what goes before each batch after the first
_OPENINGS = {"[": b"[\n    ", ",": _SEPARATOR}


def worth_splitting(findings: Any, out: TextIO) -> tuple[RunFindings, str] | None:
    """`findings` and the key to split them at, when they are a --jobs scan's runs worth
    writing in two parts into a file stream; else None."""
    if not isinstance(findings, RunFindings) or len(findings) < MIN_FINDINGS:
        return None
    if multiprocessing.current_process().daemon:
        # One of several reports written side by side (smscan.cli.emit_parallel): the CPUs
        # are busy with the others, and such a process may not start one of its own.
        return None
    if not hasattr(out, "buffer") or not _is_file(out) or not _is_utf8(getattr(out, "encoding", None)):
        return None
    split = findings.split_key()
    return None if split is None else (findings, split)


def write_in_halves(out: TextIO, findings: RunFindings, split: str) -> str:
    """Write the findings array's items as codec.write does, rows keyed before `split` by
    this process and the rest by a forked one; the opening of what follows (codec.write_items)."""
    from smscan.workers import Workers

    with tempfile.TemporaryFile() as second:

        def task(_: object) -> int:
            _write_items(second, findings.text_bytes(start=split), ",")  # after the first part
            second.flush()
            return second.tell()

        with Workers(1, lambda index: None, task) as pool:
            pool.send_each(None)
            out.flush()  # what `out` holds goes before the texts' bytes
            opening = _write_items(out.buffer, findings.text_bytes(stop=split), "[")
            (size,) = pool.answers()
        if not size:
            return opening
        out.flush()
        offset = 0
        if opening == "[":  # the first part was empty: the array opens, without the separator
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
    return ","


def _write_items(sink: BinaryIO, batches: Iterable[list[Text]], opening: str) -> str:
    """codec.write_items of texts given as their UTF-8 bytes (RunFindings.text_bytes), into
    the binary stream under a UTF-8 report: copied as they are, with no string made of them."""
    for batch in batches:
        if batch:
            sink.write(_OPENINGS[opening])
            sink.write(_SEPARATOR.join(batch))
            opening = ","
    return opening


def _is_utf8(encoding: str | None) -> bool:
    """The report's bytes are the texts' (UTF-8) bytes as they are."""
    try:
        return encoding is not None and codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def _is_file(out: TextIO) -> bool:
    """A regular file: a pipe or a terminal is written by one process, as it comes."""
    try:
        return stat.S_ISREG(os.fstat(out.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):  # no descriptor (a StringIO), or closed
        return False
