"""The writing half of a `--jobs` scan's runs (smscan.findings_runs reads them): one
RunWriter per worker, the files they append to, and the key every row sorts by.

See smscan.findings_runs for what a run holds and why.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter
from typing import IO, Any

from smscan.errors import ScannerError
from smscan.finding_texts import FindingTexts
from smscan.findings import FacetTally
from smscan.models import Finding, Resource, Severity, Status
from smscan.wire import Flat

_BATCH = 64  # rows a pickle: a reader holds one batch per run, and a million jobs make ~150 runs
_HEAD = 8  # bytes of a batch's length (and of a text batch's pickled part)
key_of = itemgetter(0)

# A finding row: (key, status value, JSON text, flat tuple), as the "texts" section keeps
# it; a job row: (job, status value, policy, account, region).
Row = tuple[str, str, str, tuple[Any, ...] | None]
Text = bytes | memoryview  # a text as the JSON report copies it from the texts section: its UTF-8 bytes
JobRow = tuple[str, str, str, str, str]


class RunFileError(ScannerError):
    """A run could not be written or read back (the temporary directory is full or gone)."""


@dataclass(frozen=True)
class Span:
    file: int  # index into RunFiles
    offset: int
    size: int


@dataclass(frozen=True)
class Run:
    findings: Span  # (key, status value, flat tuple) in key order
    jobs: Span  # JobRows in job order
    texts: Span  # (key, status, JSON text, flat) in key order: what the JSON report copies, read
    # on its own (read_texts), each text as its UTF-8 bytes
    # (head, offset): where in `texts` the first batch whose last row has that key_head (a
    # policy and severity) or a later one begins, for a reader of a range of keys
    # (smscan.report_halves) to start there
    text_heads: tuple[tuple[str, int], ...] = ()


class RunFiles:
    """One unlinked temporary file per writer: each worker, and the parent's own adds."""

    def __init__(self, count: int, directory: str | None = None) -> None:
        # The store owns them until close(): they live as long as the scan result.
        self._files: list[IO[bytes]] = [tempfile.TemporaryFile(dir=directory) for _ in range(count)]  # noqa: SIM115

    def fd(self, index: int) -> int:
        return self._files[index].fileno()

    def __len__(self) -> int:
        return len(self._files)

    def close(self) -> None:
        for f in self._files:
            f.close()


class RunWriter:
    """Rows gathered by one writer, sorted and appended to its file as one Run when asked."""

    def __init__(self, files: RunFiles, index: int, *, texts: bool = True, flats: bool = True) -> None:
        self._fd = files.fd(index)
        self._texts = texts  # encode each finding's JSON report text (only a JSON report reads it)
        # Keep what readers other than the JSON report use: every finding's flat tuple and
        # its job row (HTML and Markdown count distinct jobs). Without, only findings whose
        # text does not decode exactly keep a flat tuple, and jobs are counted from the texts.
        self._flats = flats or not texts
        self._index = index
        # What is held until the next write; smscan.text_rows appends to `rows` too (a
        # texts-only writer's findings served by the evidence memo), so it is emptied in place.
        self.rows: list[Row] = []
        self._jobs: list[JobRow] = []
        self._flat = Flat()
        self.texts = FindingTexts()
        self._resource: Resource | None = None
        self._origin = ""
        self._job_key = ""
        self._heads: dict[tuple[int, str], str] = {}
        self.tally = FacetTally()  # what was added since the caller last took it

    def add(self, finding: Finding, group: int, seq: int) -> None:
        r = finding.resource
        if r is not self._resource:  # a job's findings come together, sharing one Resource
            self._resource, self._origin = r, str(r.origin)
            self._job_key = key_field(r.arn) + key_field(self._origin)
        # Finding.sort_key and job_of, with the job's parts worked out once for its findings,
        # and the policy's once for all (row_key; the enums by id, which hashes in C)
        status = _STATUS_VALUE[id(finding.status)]
        head = self._heads.get((id(finding.severity), finding.policy_id))
        if head is None:
            head = self._heads[(id(finding.severity), finding.policy_id)] = key_head(finding.severity, finding.policy_id)
        key = f"{head}{self._job_key}{STATUS_FIELD[status]}{group:010d}{seq:010d}"
        if self._texts:
            text, exact = self.texts.encode(finding)
            flat = self._flat(finding) if self._flats or not exact else None
        else:
            text, flat = "", self._flat(finding)
        self.rows.append((key, status, text, flat))
        if self._flats:
            self._jobs.append((r.arn or self._origin, status, finding.policy_id, r.account_id, r.region))
        self.tally.add(finding)

    @property
    def texts_only(self) -> bool:
        """Whether each finding is kept as its JSON text alone (no flat tuple, no job row)."""
        return self._texts and not self._flats

    def __len__(self) -> int:
        return len(self.rows)

    def held(self, runs_of: str) -> list[Any]:
        """What is gathered and not yet written, in run order, as a run of `runs_of` holds it."""
        if runs_of == "jobs":
            self._jobs.sort(key=key_of)
            return list(self._jobs)
        self.rows.sort(key=key_of)
        return list(_section(self.rows, runs_of))  # a copy: the store may add while it is read

    def take_tally(self) -> FacetTally:
        tally, self.tally = self.tally, FacetTally()
        return tally

    def write(self) -> Run | None:
        """Append what was gathered as one sorted Run (None when there is nothing)."""
        if not self.rows:
            return None
        self.rows.sort(key=key_of)
        self._jobs.sort(key=key_of)
        try:
            offset = os.lseek(self._fd, 0, os.SEEK_END)  # only this writer appends to its file
            spans = []
            heads: list[tuple[str, int]] = []
            for runs_of in ("findings", "jobs", "texts"):
                size = self._append(self._section_rows(runs_of), offset, runs_of, heads)
                spans.append(Span(self._index, offset, size))
                offset += size
        except OSError as err:
            raise RunFileError(f"cannot write the scan's temporary findings file: {err.strerror or err}") from None
        self.rows.clear()
        self._jobs, self._flat = [], Flat()  # the flat memo holds what it saw
        return Run(spans[0], spans[1], spans[2], tuple(heads))

    def _section_rows(self, runs_of: str) -> list[Any]:
        if runs_of == "jobs":
            return self._jobs
        kept = self._flats if runs_of == "findings" else self._texts
        return self.rows if kept else []

    def _append(self, rows: list[Any], offset: int, runs_of: str, heads: list[tuple[str, int]]) -> int:
        written = 0
        for start in range(0, len(rows), _BATCH):
            batch = rows[start : start + _BATCH]
            if runs_of == "texts":
                last = batch[-1][0]
                head = last[: last.index("\0\0") + 2]  # the first field end is the policy's (key_field)
                if not heads or heads[-1][0] != head:
                    heads.append((head, offset + written))
                parts = _text_batch(batch)
            else:
                blob = pickle.dumps(batch if runs_of == "jobs" else _section(batch, runs_of), protocol=_PROTOCOL)
                parts = [len(blob).to_bytes(_HEAD, "little"), blob]
            written += _pwrite_all(self._fd, parts, offset + written)
        return written


def _text_batch(batch: list[Row]) -> list[bytes]:
    """A batch of the texts section as written: its size; the size of its pickled part;
    the texts' UTF-8 bytes one after another; then, pickled, the keys, statuses, flats and
    where each text ends. A reader copies those bytes into the report as they are, with
    no string made of each text (read_texts)."""
    keys, statuses, texts, flats = zip(*batch, strict=True)
    joined = "".join(texts)
    blob = joined.encode()
    # An ASCII text's bytes are its characters (isascii reads a flag, it does not scan)
    sizes = map(len, texts) if joined.isascii() else (len(text.encode()) for text in texts)
    meta = pickle.dumps((keys, statuses, flats, tuple(accumulate(sizes))), protocol=_PROTOCOL)
    size = _HEAD + len(blob) + len(meta)
    return [size.to_bytes(_HEAD, "little"), len(meta).to_bytes(_HEAD, "little"), blob, meta]


def _pwrite_all(fd: int, parts: list[bytes], offset: int) -> int:
    """Write `parts` one after another at `offset`, with no copy of them joined; their size."""
    size = sum(map(len, parts))
    done = os.pwritev(fd, parts, offset)
    if done < size:  # a write may be short: the rest, joined
        view = memoryview(b"".join(parts))[done:]
        while view:
            n = os.pwrite(fd, view, offset + done)
            view, done = view[n:], done + n
    return size


def _section(rows: list[Row], runs_of: str) -> list[Any]:
    """The part of each row a run keeps in its "findings" or its "texts" section: a reader
    of one (the JSON report reads only the texts) never decodes the other. Without a
    "findings" section, the "texts" one holds the flat tuples that are kept."""
    if runs_of == "texts":
        return rows  # the rows are kept in this section's shape
    return [(key, status, flat) for key, status, _, flat in rows]


def row_key(severity: Severity, policy_id: str, job: str, status: str, group: int, seq: int) -> str:
    """A row's key: Finding.sort_key, then where the finding was judged (`job` is
    key_field(arn) + key_field(str(origin))). One string that sorts as the tuple of its
    fields would, so sorting and merging compare in C."""
    return f"{key_head(severity, policy_id)}{job}{key_field(status)}{group:010d}{seq:010d}"


def key_head(severity: Severity, policy_id: str) -> str:
    """The fields of a row's key before the job's: the same for all of a policy's rows.
    It ends at the key's first two NULs (key_field)."""
    return _RANK_DIGIT[severity] + key_field(policy_id)


def key_field(text: str) -> str:
    """`text` as one field of a key. Each field ends in two NULs, and a NUL inside one
    becomes NUL + \\x01, so a field that is a prefix of another sorts first, as in a tuple."""
    if "\0" in text:
        text = text.replace("\0", "\0\1")
    return text + "\0\0"


_PROTOCOL = pickle.HIGHEST_PROTOCOL
_RANK_DIGIT = {s: str(9 - s.rank) for s in Severity}  # -rank: the more severe first
_STATUS_VALUE = {id(s): s.value for s in Status}
STATUS_FIELD = {s.value: key_field(s.value) for s in Status}  # a status value as its key field


def read_batches(files: RunFiles, span: Span, start: int | None = None, *, raw: bool = False) -> Iterator[Any]:
    """The rows of a span, a batch (a list, in the span's order) at a time; from the batch
    at offset `start` on, if given. `raw`: each batch's bytes as written, not unpickled."""
    fd, pos, end = files.fd(span.file), span.offset if start is None else start, span.offset + span.size
    while pos < end:
        head = os.pread(fd, _HEAD, pos)
        size = int.from_bytes(head, "little")
        blob = os.pread(fd, size, pos + _HEAD)
        if len(head) != _HEAD or len(blob) != size:
            raise RunFileError("the scan's temporary findings file was cut short while it was read")
        pos += _HEAD + size
        yield blob if raw else pickle.loads(blob)


def read_texts(files: RunFiles, span: Span, start: int | None = None) -> Iterator[list[tuple[str, str, Text, Any]]]:
    """read_batches of a texts section (_text_batch): rows whose text is its UTF-8 bytes,
    a memoryview of the batch's (a slice copies nothing)."""
    for data in read_batches(files, span, start, raw=True):
        view = memoryview(data)
        meta_start = len(data) - int.from_bytes(view[:_HEAD], "little")
        keys, statuses, flats, ends = pickle.loads(view[meta_start:])
        blob = view[_HEAD:meta_start]
        texts = [blob[a:b] for a, b in zip((0, *ends), ends, strict=False)]
        yield list(zip(keys, statuses, texts, flats, strict=True))
