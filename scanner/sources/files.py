"""Records from files: JSON, JSON Lines (.jsonl / .ndjson), directories of them, and stdin.

- `-` is stdin. A directory is walked by sources/walk.py (regular files only, sorted
  path order, symlinks never followed out of the tree) for *.json, *.jsonl and
  *.ndjson; a file named explicitly is read whatever its extension.
- JSON Lines is chosen by extension (.jsonl, .ndjson), JSON by .json; stdin and other
  extensions are sniffed: a first non-blank line that is a whole `{...}` followed by
  another non-blank line is JSON Lines. JSON Lines are streamed, never loaded whole;
  blank lines are skipped; the origin line is the line number.
- A JSON object is one record; a JSON array gives one record per item (pointer "/0",
  "/1" ..., with the item's line); an object holding a "TrainingJobs", "Results" (the
  SageMaker Search response) or "records" list, and nothing that identifies a training
  job itself, gives one record per item of that list (pointer "/Results/0" ...).

Nothing raises: every unreadable file, invalid JSON (with line and column), non-object
item, over-deep nesting, over-large file, NUL or non-UTF-8 byte, and RecordError
becomes a Problem (sources/json_records.py), and the rest of the file goes on. Inputs
that yield no record and no problem at all are a Problem too: an export that came out
empty must not pass a gate as a clean fleet.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from smscan.models import Problem, Record
from smscan.record.normalize import NormalizeStats
from smscan.sources.interface import Source, SourceItem
from smscan.sources.json_records import JsonRecords
from smscan.sources.walk import Walk, WalkOptions, open_regular, walk

MiB = 1024 * 1024
STDIN = "-"
STDIN_NAME = "<stdin>"
JSON_SUFFIXES = (".json",)
LINES_SUFFIXES = (".jsonl", ".ndjson")
RECORD_WALK = WalkOptions(suffixes=JSON_SUFFIXES + LINES_SUFFIXES)


@dataclass(frozen=True)
class FileOptions:
    paths: tuple[str, ...]  # files, directories, or "-" for stdin
    max_file_bytes: int = 256 * MiB  # a JSON file, or one JSON Lines line
    max_depth: int = 200  # JSON nesting
    # The record fields the scan's policies read: only these (and the identity) are
    # coerced, see record/normalize.py. None coerces every field.
    read: frozenset[str] | None = None


class FileSource(Source):
    def __init__(self, options: FileOptions, *, stdin: IO[bytes] | None = None) -> None:
        self.options = options
        self.stats = NormalizeStats()
        self._stdin = stdin
        self._walks: list[tuple[str, Walk | None]] | None = None

    def walks(self) -> list[tuple[str, Walk | None]]:
        """Every path with what it expands to (None for stdin), walked once."""
        if self._walks is None:
            self._walks = [
                (path, None if path == STDIN else walk(path, RECORD_WALK)) for path in self.options.paths
            ]
        return self._walks

    def describe(self) -> str:
        names: list[str] = []
        for path, expanded in self.walks():
            shown = expanded.files if expanded is not None and expanded.files else (path,)
            names.extend(STDIN_NAME if p == STDIN else os.path.basename(p) for p in shown)
        listed = ", ".join(names[:2]) + (", ..." if len(names) > 2 else "")
        return f"{len(names)} file{'' if len(names) == 1 else 's'} ({listed})"

    def items(self) -> Iterator[SourceItem]:
        records = problems = 0
        reader = self.reader()
        for item in self._all(reader):
            if isinstance(item, Record):
                records += 1
            elif item.kind != "note":
                problems += 1
            yield item
        yield from self.closing_items(records, problems)

    def closing_items(self, records: int, problems: int) -> Iterator[Problem]:
        """What follows the last record: an empty input is a problem; ignored keys, a note."""
        if not records and not problems:
            yield Problem(self.describe(), "no training job record in the inputs (an empty export?)")

    def reader(self) -> JsonRecords:
        """The parser of this source's documents (event mode reads them with its own)."""
        return JsonRecords(self.options.max_file_bytes, self.options.max_depth, self.stats, self.options.read)

    def _all(self, reader: JsonRecords) -> Iterator[SourceItem]:
        for path, expanded in self.walks():
            if expanded is None:
                yield from self._read(reader, STDIN)
                continue
            for entry in expanded.entries:
                if isinstance(entry, Problem):
                    yield entry
                else:
                    yield from self._read(reader, entry)
            if expanded.is_dir and not expanded.files:
                message = "directory holds no .json, .jsonl or .ndjson files"
                yield Problem(path, message, kind="note")

    def _read(self, reader: JsonRecords, path: str) -> Iterator[SourceItem]:
        name = STDIN_NAME if path == STDIN else path
        before = set(self.stats.unknown_keys)
        yield from self._read_file(reader, path, name)
        # Named per file: in a directory scan, one file's odd keys are not another's.
        keys = sorted(set(self.stats.unknown_keys) - before)
        if keys:
            shown = ", ".join(keys[:5]) + (", ..." if len(keys) > 5 else "")
            yield Problem(name, f"ignored {len(keys)} unknown top-level key(s): {shown}", kind="note")

    def _read_file(self, reader: JsonRecords, path: str, name: str) -> Iterator[SourceItem]:
        try:
            stream = self._open(path)
        except OSError as err:
            yield Problem(name, f"cannot read file: {err.strerror or 'I/O error'}")
            return
        try:
            yield from reader.read(name, stream, _is_json_lines(path))
        except OSError as err:
            yield Problem(name, f"cannot read file: {err.strerror or 'I/O error'}")
        finally:
            if path != STDIN:
                stream.close()

    def _open(self, path: str) -> IO[bytes]:
        if path == STDIN:
            return self._stdin if self._stdin is not None else sys.stdin.buffer
        return open_regular(path)  # closed in _read's finally


def _is_json_lines(path: str) -> bool | None:
    """True for JSON Lines, False for JSON, None (sniff the content) for stdin and the rest."""
    lower = path.lower()
    if lower.endswith(LINES_SUFFIXES):
        return True
    if lower.endswith(JSON_SUFFIXES):
        return False
    return None
