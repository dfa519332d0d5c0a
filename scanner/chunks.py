"""Cutting JSON Lines files into the chunks a `--jobs` scan hands its workers (smscan.parallel).

A chunk is a byte range that ends at a line end, with the number of its first line, so a
worker reports every record and problem at the line one process would. The parent cuts
them as the workers take them: finding the line ends reads the whole input.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import dataclass

from smscan.sources.files import FileSource

# A chunk is at least CHUNK_BYTES (about 350 describe-shaped records) and grows with the
# input up to MAX_CHUNK_BYTES, keeping at least CHUNKS_AT_LEAST of them: each chunk costs
# a round trip and a worker's bookkeeping (on 100,000 records, 1 MB chunks took about 5%
# more CPU than 4 MB ones), while enough of them keep the workers finishing close together
# and progress moving.
CHUNK_BYTES = 1024 * 1024
MAX_CHUNK_BYTES = 4 * 1024 * 1024
CHUNKS_AT_LEAST = 64
MIN_PARALLEL_BYTES = 8 * 1024 * 1024  # below this, starting the workers costs more than it saves
_LINES_SUFFIXES = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class Chunk:
    path: str
    start: int  # byte offset of its first line
    end: int
    first_line: int
    last: bool = True  # the file's last chunk: its ignored-keys note follows
    group: int = 0  # the store's number for this chunk: ties of the sort key go by it
    error: str = ""  # why the file could not be read when the chunks were cut


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class Plan:
    """The files of a source that splits into chunks; the chunks are cut as they are handed out."""

    files: tuple[str, ...]
    size: int  # bytes in all

    def workers(self, jobs: int) -> int:
        """How many of `jobs` processes the chunks can keep busy."""
        return max(1, min(jobs, -(-self.size // CHUNK_BYTES)))

    def chunk_bytes(self) -> int:
        return max(CHUNK_BYTES, min(MAX_CHUNK_BYTES, self.size // CHUNKS_AT_LEAST))

    def chunks(self) -> Iterator[Chunk]:
        """Every file's chunks in reading order. Cut while the workers already judge the
        first ones: finding the line ends reads the whole input, which the parent would
        otherwise do alone before any worker starts."""
        size = self.chunk_bytes()
        for path in self.files:
            yield from _chunks(path, size)


def plan(source: FileSource, jobs: int) -> Plan | None:
    """The files of `source` to judge in `jobs` processes, or None for the one-process path."""
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    files: list[str] = []
    for _, expanded in source.walks():
        if expanded is None or expanded.problems or not expanded.files:
            return None
        files.extend(expanded.files)
    if not all(f.lower().endswith(_LINES_SUFFIXES) and os.path.isfile(f) for f in files):
        return None
    try:
        size = sum(os.path.getsize(f) for f in files)
        if size < MIN_PARALLEL_BYTES:
            return None
        for f in files:
            open(f, "rb").close()  # noqa: SIM115 - readable now; if not, the one-process path says so
    except OSError:
        return None
    return Plan(tuple(files), size)


def _chunks(path: str, chunk_bytes: int) -> Iterator[Chunk]:
    start, line = 0, 1
    try:
        handle = open(path, "rb")  # noqa: SIM115 - the `with` below closes it; failing to open is reported
    except OSError as err:  # unreadable since the plan: the worker reports it
        yield Chunk(path, 0, 0, 1, error=err.strerror or "I/O error")
        return
    block = bytearray(chunk_bytes)  # one buffer for every chunk: none allocated and freed each time
    with handle:
        previous: Chunk | None = None
        while True:
            try:
                handle.seek(start)
                size = handle.readinto(block)
                rest = handle.readline() if size == chunk_bytes else b""  # to the end of its line
            except OSError as err:  # the rest of the file cannot be read: the worker reports it
                if previous is not None:
                    yield previous
                yield Chunk(path, start, start, line, error=err.strerror or "I/O error")
                return
            if not size:
                break
            end = start + size + len(rest)
            newlines = _newlines(block, size) + rest.count(b"\n")
            if previous is not None:
                yield previous
            previous = Chunk(path, start, end, line, last=False)
            start, line = end, line + newlines
    if previous is not None:
        yield dataclasses.replace(previous, last=True)


def _newlines(block: bytearray, size: int) -> int:
    """The line ends in block[:size]. bytes.count looks at every byte in turn; find is
    memchr, many bytes at a step, and a chunk of long lines (a describe answer is about
    3 KB) has few of them: 0.06 ms a megabyte against count's 0.3. Lines short enough to
    make the finds many are counted by count after the first _FOUND_ONE_BY_ONE."""
    found, at = 0, block.find(b"\n", 0, size)
    while at >= 0:
        found += 1
        if found == _FOUND_ONE_BY_ONE:
            return found + block.count(b"\n", at + 1, size)
        at = block.find(b"\n", at + 1, size)
    return found


_FOUND_ONE_BY_ONE = 1024
