"""JSON and JSON Lines text -> records: the parsing half of the --input file source.

One `JsonRecords` reads one stream at a time and yields a Record per training job and a
Problem (file, line, column as values) for everything it cannot read; nothing raises.
Messages never carry record values. sources/files.py chooses the format and owns the
files; the format rules are in its docstring.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import IO, Any

import orjson

from smscan.errors import RecordError
from smscan.models import Origin, Problem, Record, new_origin
from smscan.record.direct import table
from smscan.record.normalize import NormalizeStats, normalize
from smscan.record.shapes import plain_job, unwrap
from smscan.record.strict_json import DECODER, NotJson, deeper_than
from smscan.sources.interface import SourceItem

MiB = 1024 * 1024
LIST_WRAPPERS = ("TrainingJobs", "Results", "records")
_JOB_KEYS = ("TrainingJobName", "TrainingJobArn", "TrainingJob", "_key", "training_job_name")
_WS = re.compile(r"[ \t\n\r]*")
# 19 digits in a row, and the count of brackets, found by one C pass (a regex costs more
# than orjson's whole parse): digits become "0" and brackets are dropped, so the length lost
# is the bracket count, and a run of "0"s at least as long as every run of digits.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_BRACKETS = b"{["
_LONG_DIGITS = b"0" * 19
_MISS = object()


class JsonRecords:
    direct = True  # the compiled readers of repeated key orders (record/direct.py); the tests turn them off

    def __init__(
        self, max_file_bytes: int, max_depth: int, stats: NormalizeStats, read: frozenset[str] | None = None
    ) -> None:
        self.max_file_bytes = max_file_bytes
        self.max_depth = max_depth
        self.stats = stats
        self.fields = read  # the fields to coerce (normalize's lazy mode); None: all

    def read(self, name: str, stream: IO[bytes], lines_format: bool | None) -> Iterator[SourceItem]:
        """Records of one stream; `lines_format` None sniffs JSON Lines from the first lines."""
        lines = read_lines(stream, self.max_file_bytes)
        if lines_format:
            yield from self.read_lines(name, lines)
        elif lines_format is False:
            yield from self.read_json(name, stream, [])
        else:
            head = _sniff(lines)
            if _looks_like_lines(head):
                yield from self.read_lines(name, _chain(head, lines))
            else:
                yield from self.read_json(name, stream, [raw for _, raw in head])

    def read_lines(self, name: str, lines: Iterable[tuple[int, bytes]]) -> Iterator[SourceItem]:
        direct = table(self.fields) if self.direct else None
        by_keys = direct.by_keys if direct is not None else {}
        for number, raw in lines:
            if len(raw) > self.max_file_bytes:
                yield Problem(name, f"line longer than {self.max_file_bytes} bytes", line=number)
                continue
            value = self._fast(raw)
            if type(value) is dict:
                # A key order seen line after line: normalize's answer in one call (record/direct.py).
                read = by_keys.get(tuple(value))
                if read is not None and (record := read(value, name, number, self.stats)) is not None:
                    yield record
                    continue
                if plain_job(value):  # _record's first case, with no iterator per line
                    origin = new_origin(name, number)
                    try:
                        item: SourceItem = normalize(value, origin, stats=self.stats, read=self.fields)
                    except RecordError as err:
                        yield self._refused(name, value, origin, err)
                        continue
                    if direct is not None:
                        direct.seen(value)
                    yield item
                    continue
            if value is not _MISS:
                yield from self._record(name, value, Origin(name, number))
                continue
            text = _decode(raw, name, number)
            if isinstance(text, Problem):
                yield text
            elif text.strip():
                # Without its newline, an error at the end of the line stays on this line.
                text = text.rstrip("\r\n")
                yield from self._parse(name, text, Origin(name, line=number), number - 1)

    def _fast(self, raw: bytes) -> Any:
        """The value of one JSON line by orjson, or _MISS for the exact (and slower) path.

        orjson refuses what the standard decoder refuses here (NaN, 1e999, bad UTF-8), and
        more (a BOM, lone surrogates): those take the exact path, which decides and words
        the problem. It reads integers past 64 bits as floats, so digit runs that long do too,
        as does anything with brackets enough to need the depth walk.
        """
        shown = raw.translate(_DIGITS_AS_ZERO, _BRACKETS)
        if len(raw) - len(shown) > self.max_depth or _LONG_DIGITS in shown:
            return _MISS
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            return _MISS

    def read_json(self, name: str, stream: IO[bytes], head: list[bytes]) -> Iterator[SourceItem]:
        data = b"".join(head)
        if len(data) <= self.max_file_bytes:
            data += stream.read(self.max_file_bytes + 1 - len(data))
        if len(data) > self.max_file_bytes:
            yield Problem(name, f"file larger than {self.max_file_bytes} bytes (not JSON Lines)")
            return
        text = _decode(data, name, None)
        if isinstance(text, Problem):
            yield text
            return
        start = _skip_ws(text, 0)
        if text.startswith("[", start):
            yield from self._read_array(name, text, start + 1)
        else:  # the whole file is one document: JSON pointer "" (the root)
            origin = Origin(name, line=text.count("\n", 0, start) + 1, pointer="")
            yield from self._parse(name, text, origin, 0)

    def _read_array(self, name: str, text: str, pos: int) -> Iterator[SourceItem]:
        """Decode a top-level array item by item, so each record knows its line."""
        line, counted, index = 1, 0, 0
        pos = _skip_ws(text, pos)
        if text.startswith("]", pos):
            pos = _skip_ws(text, pos + 1)
            if pos < len(text):
                yield _invalid(name, text, pos, "Extra data")
            return
        while True:
            line += text.count("\n", counted, pos)
            counted = pos
            try:
                value, end = DECODER.raw_decode(text, pos)
            except json.JSONDecodeError as err:
                yield _invalid(name, text, err.pos, err.msg)
                return
            except ValueError as err:
                yield Problem(name, f"invalid JSON in the item at line {line}: {_number_problem(err)}", line=line)
                return
            except RecursionError:
                yield self._too_deep(name, line)
                return
            origin = Origin(name, line=line, pointer=f"/{index}")
            if deeper_than(value, self.max_depth, text, pos, end):
                yield self._too_deep(name, line)
            else:
                yield from self._record(name, value, origin)
            index += 1
            pos = _skip_ws(text, end)
            if text.startswith(",", pos):
                pos = _skip_ws(text, pos + 1)
            elif text.startswith("]", pos):
                pos = _skip_ws(text, pos + 1)
                if pos < len(text):
                    yield _invalid(name, text, pos, "Extra data")
                return
            else:
                yield _invalid(name, text, pos, "Expecting ',' delimiter")
                return

    def _parse(self, name: str, text: str, origin: Origin, offset: int) -> Iterator[SourceItem]:
        """One JSON document (a JSONL line or a whole file) -> its record(s).

        `offset` is added to the line numbers json reports: a JSONL line is "line 1" to it.
        """
        try:
            value = DECODER.decode(text)
        except json.JSONDecodeError as err:
            line = err.lineno + offset
            message = f"invalid JSON at line {line} column {err.colno}: {err.msg}"
            yield Problem(name, message, line=line, column=err.colno)
            return
        except ValueError as err:
            at = origin.line if origin.line is not None else 1
            yield Problem(name, f"invalid JSON at line {at}: {_number_problem(err)}", line=at)
            return
        except RecursionError:
            yield self._too_deep(name, origin.line)
            return
        if deeper_than(value, self.max_depth, text):
            yield self._too_deep(name, origin.line)
            return
        wrapper = _wrapper(value) if origin.pointer == "" else None
        if wrapper is None:
            yield from self._record(name, value, origin)
            return
        for index, item in enumerate(value[wrapper]):
            yield from self._record(name, item, Origin(name, pointer=f"/{wrapper}/{index}"))

    def document(self, name: str, value: Any, origin: Origin) -> Iterator[SourceItem]:
        """The records of one parsed document (a Lambda receives its event parsed)."""
        yield from self._record(name, value, origin)

    def _record(self, name: str, value: Any, origin: Origin) -> Iterator[SourceItem]:
        if type(value) is dict and plain_job(value):  # the one job the document is: unwrap's answer, sooner
            try:
                item: SourceItem = normalize(value, origin, stats=self.stats, read=self.fields)
            except RecordError as err:
                item = self._refused(name, value, origin, err)
            return iter((item,))  # no generator for the one item of nearly every line
        return self._unwrapped(name, value, origin)

    def _unwrapped(self, name: str, value: Any, origin: Origin) -> Iterator[SourceItem]:
        at = f" (item {origin.pointer})" if origin.pointer else ""
        if not isinstance(value, dict):
            message = f"expected a JSON object{at}, got {_kind(value)}"
            yield Problem(name, message, line=origin.line, kind="record")
            return
        # Events, CloudTrail records and recorded responses carry their job inside (shapes.py).
        found = unwrap(value)
        base = origin.pointer or ""
        for pointer, why in found.refused:
            where = f" (at {base + pointer})" if base + pointer else ""
            yield Problem(name, why + where, line=origin.line, kind="record")
        for note in found.notes:
            yield Problem(name, note, line=origin.line, kind="note")
        for job in found.jobs:
            inner = origin if not job.pointer else Origin(name, origin.line, base + job.pointer)
            for item in self._normalize(name, dict(job.doc), inner):
                # A value the input says it does not hold (CloudTrail's hidden ones) is unknown.
                yield replace(item, unknown=dict(job.unknown)) if job.unknown and isinstance(item, Record) else item

    def _normalize(self, name: str, value: dict[str, Any], origin: Origin) -> Iterator[SourceItem]:
        try:
            yield normalize(value, origin, stats=self.stats, read=self.fields)
        except RecordError as err:
            yield self._refused(name, value, origin, err)

    def _refused(self, name: str, value: dict[str, Any], origin: Origin, err: RecordError) -> Problem:
        at = f" (item {origin.pointer})" if origin.pointer else ""
        return Problem(name, err.detail + at, line=origin.line, field=err.field, resource=_arn_of(value), kind="record")

    def _too_deep(self, name: str, line: int | None) -> Problem:
        return Problem(name, f"JSON nested deeper than {self.max_depth} levels", line=line)


def read_lines(stream: IO[bytes], limit: int, first_line: int = 1) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of each line; a line longer than `limit` comes back truncated
    to limit + 1 bytes (so the caller can tell), the rest of it skipped. `first_line` is
    the number of the stream's first line (a chunk of a file starts further down)."""
    number = first_line - 1
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while (rest := stream.readline(MiB)) and not rest.endswith(b"\n"):
                pass
        yield number, raw


def _skip_ws(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()  # type: ignore[union-attr]  # matches the empty string


def _sniff(lines: Iterator[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """Read lines up to and including the second non-blank one."""
    head: list[tuple[int, bytes]] = []
    filled = 0
    for number, raw in lines:
        head.append((number, raw))
        filled += bool(raw.strip())
        if filled == 2:
            break
    return head


def _looks_like_lines(head: list[tuple[int, bytes]]) -> bool:
    filled = [raw.strip() for _, raw in head if raw.strip()]
    first = filled[0].lstrip(b"\xef\xbb\xbf") if filled else b""
    return len(filled) == 2 and first.startswith(b"{") and first.endswith(b"}")


def _chain(
    head: list[tuple[int, bytes]], rest: Iterator[tuple[int, bytes]]
) -> Iterator[tuple[int, bytes]]:
    yield from head
    yield from rest


def _decode(raw: bytes, name: str, line: int | None) -> str | Problem:
    """UTF-8 text of `raw` (a BOM dropped), or a Problem naming the line of a bad byte."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        at = line if line is not None else raw.count(b"\n", 0, nul) + 1
        return Problem(name, f"NUL byte at line {at}", line=at)
    try:
        return raw.decode("utf-8-sig" if line in (None, 1) else "utf-8")
    except UnicodeDecodeError as err:
        at = line if line is not None else raw.count(b"\n", 0, err.start) + 1
        return Problem(name, f"bytes that are not UTF-8 at line {at}", line=at)


def _invalid(name: str, text: str, pos: int, msg: str) -> Problem:
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    return Problem(name, f"invalid JSON at line {line} column {column}: {msg}", line=line, column=column)


def _number_problem(err: ValueError) -> str:
    """The one line for a ValueError that is not a JSONDecodeError (it has no position)."""
    if isinstance(err, NotJson):
        return str(err)
    # Python refuses to convert integers longer than sys.get_int_max_str_digits().
    return "an integer with too many digits"


def _wrapper(value: Any) -> str | None:
    if not isinstance(value, dict) or any(k in value for k in _JOB_KEYS):
        return None
    return next((k for k in LIST_WRAPPERS if isinstance(value.get(k), list)), None)


def _arn_of(value: dict[str, Any]) -> str | None:
    job = value.get("TrainingJob")
    for holder in (value, job if isinstance(job, dict) else {}):
        for key in ("TrainingJobArn", "training_job_arn", "_key"):
            arn = holder.get(key)
            if isinstance(arn, str) and arn.startswith("arn:"):
                return arn
    return None


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
