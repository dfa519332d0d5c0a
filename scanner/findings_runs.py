"""The findings of a `--jobs` scan, kept where they were judged: as sorted runs on disk.

A worker process encodes each finding it judges (smscan.wire's flat tuple, and the text
the JSON report writes for it), keeps them up to its share of the memory budget, then
sorts them and appends them as one run to a temporary file of its own. The parent adds
up counts only; it never builds, pickles or stores a finding while the workers judge,
which is what made it the bottleneck of a parallel scan (every finding crossed the pipe,
was rebuilt, and was written into SQLite by one process).

Reading merges the runs (heapq.merge, each run read front to back in batches), so memory
holds one batch per run, never the findings. Order: a row's key is `Finding.sort_key`
followed by where the finding was judged (the chunk's group number, then its place in the
chunk), which makes the merged order exactly the stable sort one process gives. Distinct
jobs (`jobs()`) come from a second, smaller run per run, sorted by job.

The files are unlinked as they are created (tempfile.TemporaryFile): nothing is left
behind, however the scan ends. Workers append with os.pwrite, the parent reads with
os.pread, so nobody depends on the file offset the processes share.
"""

from __future__ import annotations

import heapq
import os
import pickle
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from typing import IO, Any

from smscan.codec import decode_finding, finding_text
from smscan.errors import ScannerError
from smscan.finding_texts import FindingTexts
from smscan.findings import Facets, FacetTally, JobCounts, count_jobs, jobs_in
from smscan.models import Finding, Resource, Severity, Status
from smscan.wire import Flat, Unflat

_BATCH = 64  # rows a pickle: a reader holds one batch per run, and a million jobs make ~150 runs
_HEAD = 8  # bytes of a batch's length
_key = itemgetter(0)

# A finding row: (key, status value, flat tuple, JSON text); a job row: (job, status value,
# policy, account, region).
Row = tuple[str, str, tuple[Any, ...] | None, str]
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
    texts: Span  # (key, JSON text) in key order: what the JSON report copies, read on its own


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
        self._rows: list[Row] = []
        self._jobs: list[JobRow] = []
        self._flat = Flat()
        self._text = FindingTexts()
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
            head = self._heads[(id(finding.severity), finding.policy_id)] = _head(finding.severity, finding.policy_id)
        key = f"{head}{self._job_key}{_STATUS_FIELD[status]}{group:010d}{seq:010d}"
        if self._texts:
            text, exact = self._text.encode(finding)
            flat = self._flat(finding) if self._flats or not exact else None
        else:
            text, flat = "", self._flat(finding)
        self._rows.append((key, status, flat, text))
        if self._flats:
            self._jobs.append((r.arn or self._origin, status, finding.policy_id, r.account_id, r.region))
        self.tally.add(finding)

    def __len__(self) -> int:
        return len(self._rows)

    def held(self, runs_of: str) -> list[Any]:
        """What is gathered and not yet written, in run order, as a run of `runs_of` holds it."""
        if runs_of == "jobs":
            self._jobs.sort(key=_key)
            return list(self._jobs)
        self._rows.sort(key=_key)
        return _section(self._rows, runs_of)

    def take_tally(self) -> FacetTally:
        tally, self.tally = self.tally, FacetTally()
        return tally

    def write(self) -> Run | None:
        """Append what was gathered as one sorted Run (None when there is nothing)."""
        if not self._rows:
            return None
        self._rows.sort(key=_key)
        self._jobs.sort(key=_key)
        try:
            offset = os.lseek(self._fd, 0, os.SEEK_END)  # only this writer appends to its file
            spans = []
            for runs_of in ("findings", "jobs", "texts"):
                size = self._append(self._section_rows(runs_of), offset, runs_of)
                spans.append(Span(self._index, offset, size))
                offset += size
        except OSError as err:
            raise RunFileError(f"cannot write the scan's temporary findings file: {err.strerror or err}") from None
        self._rows, self._jobs, self._flat = [], [], Flat()  # the flat memo holds what it saw
        return Run(*spans)

    def _section_rows(self, runs_of: str) -> list[Any]:
        if runs_of == "jobs":
            return self._jobs
        kept = self._flats if runs_of == "findings" else self._texts
        return self._rows if kept else []

    def _append(self, rows: list[Any], offset: int, runs_of: str) -> int:
        written = 0
        for start in range(0, len(rows), _BATCH):
            batch = rows[start : start + _BATCH]
            blob = pickle.dumps(batch if runs_of == "jobs" else _section(batch, runs_of), protocol=pickle.HIGHEST_PROTOCOL)
            data = len(blob).to_bytes(_HEAD, "little") + blob
            view = memoryview(data)
            while view:  # a write may be short
                done = os.pwrite(self._fd, view, offset + written)
                view, written = view[done:], written + done
        return written


def _section(rows: list[Row], runs_of: str) -> list[tuple[Any, ...]]:
    """The part of each row a run keeps in its "findings" or its "texts" section: a reader
    of one (the JSON report reads only the texts) never decodes the other. Without a
    "findings" section, the "texts" one holds the flat tuples that are kept."""
    if runs_of == "texts":
        return [(key, status, text, flat) for key, status, flat, text in rows]
    return [(key, status, flat) for key, status, flat, _ in rows]


def row_key(severity: Severity, policy_id: str, job: str, status: str, group: int, seq: int) -> str:
    """A row's key: Finding.sort_key, then where the finding was judged (`job` is
    key_field(arn) + key_field(str(origin))). One string that sorts as the tuple of its
    fields would, so sorting and merging compare in C."""
    return f"{_head(severity, policy_id)}{job}{key_field(status)}{group:010d}{seq:010d}"


def _head(severity: Severity, policy_id: str) -> str:
    return _RANK_DIGIT[severity] + key_field(policy_id)


def key_field(text: str) -> str:
    """`text` as one field of a key. Each field ends in two NULs, and a NUL inside one
    becomes NUL + \\x01, so a field that is a prefix of another sorts first, as in a tuple."""
    if "\0" in text:
        text = text.replace("\0", "\0\1")
    return text + "\0\0"


_RANK_DIGIT = {s: str(9 - s.rank) for s in Severity}  # -rank: the more severe first
_STATUS_VALUE = {id(s): s.value for s in Status}
_STATUS_FIELD = {s.value: key_field(s.value) for s in Status}


def _read(files: RunFiles, span: Span) -> Iterator[Any]:
    fd, pos, end = files.fd(span.file), span.offset, span.offset + span.size
    while pos < end:
        head = os.pread(fd, _HEAD, pos)
        size = int.from_bytes(head, "little")
        blob = os.pread(fd, size, pos + _HEAD)
        if len(head) != _HEAD or len(blob) != size:
            raise RunFileError("the scan's temporary findings file was cut short while it was read")
        pos += _HEAD + size
        yield from pickle.loads(blob)


class RunFindings:
    """A FindingStore over Runs written by workers, plus the parent's own adds.

    Rows are numbered in groups: `reserve(n)` gives a parallel scan the group numbers of
    its n chunks, and the parent's own adds take the next group after them, so the order
    of equal sort keys is the order of reading, whoever judged them.
    """

    def __init__(self, files: RunFiles, *, budget: int, texts: bool = True, flats: bool = True) -> None:
        self.files = files
        self.texts_encoded = texts
        self.flats_encoded = flats or not texts
        self._budget = budget
        self._own = self.writer(len(files) - 1)  # the last file is the parent's
        self._runs: list[Run] = []
        self._tally = FacetTally()
        self._next_group = 0
        self._group: int | None = None  # the group of the parent's current adds
        self._seq = 0

    @classmethod
    def for_workers(
        cls, workers: int, *, budget: int, texts: bool = True, flats: bool = True, directory: str | None = None
    ) -> RunFindings:
        return cls(RunFiles(workers + 1, directory), budget=budget, texts=texts, flats=flats)

    def writer(self, index: int) -> RunWriter:
        """The writer of worker `index` (0 to workers - 1, in that worker's process; the last
        file is the parent's own)."""
        return RunWriter(self.files, index, texts=self.texts_encoded, flats=self.flats_encoded)

    def reserve(self, groups: int) -> int:
        """The first of `groups` consecutive group numbers, after every one given so far."""
        base = self._next_group
        self._next_group += groups
        self._group = None
        return base

    def add(self, finding: Finding) -> None:
        if self._group is None:
            self._group = self.reserve(1)
        self._own.add(finding, self._group, self._seq)
        self._seq += 1
        if len(self._own) > self._budget:
            self.add_run(self._own.write())

    def add_run(self, run: Run | None) -> None:
        if run is not None:
            self._runs.append(run)

    def add_tally(self, tally: FacetTally) -> None:
        self._tally.update(tally)

    def _rows(self, runs_of: str) -> list[Iterator[Any]]:
        streams = [_read(self.files, getattr(run, runs_of)) for run in self._runs]
        held = self._own.held(runs_of)
        if held:
            streams.append(iter(held))
        return streams

    def _findings(self, statuses: Collection[Status] | None) -> Iterator[Finding]:
        wanted = None if statuses is None else {s.value for s in statuses}
        if wanted is not None and not any(n for (s, _), n in self.counts().items() if s.value in wanted):
            return  # none to find: no merge of every run for them
        unflat = Unflat()
        if self.flats_encoded:
            for _, status, flat in heapq.merge(*self._rows("findings"), key=_key):
                if wanted is None or status in wanted:
                    yield unflat(flat)
            return
        for _, status, text, flat in heapq.merge(*self._rows("texts"), key=_key):
            if wanted is None or status in wanted:
                yield unflat(flat) if flat is not None else decode_finding(text)

    def texts(self) -> Iterator[str]:
        """Every finding's JSON report text, in sort order (smscan.codec.write)."""
        if not self.texts_encoded:
            yield from map(finding_text, self)
            return
        for row in heapq.merge(*self._rows("texts"), key=_key):
            yield row[2]

    def __iter__(self) -> Iterator[Finding]:
        return self._findings(None)

    def __len__(self) -> int:
        return len(self._tally) + len(self._own.tally)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Iterable) and not isinstance(other, (str, bytes)):
            from smscan.findings import MemoryFindings

            theirs = other if not isinstance(other, (tuple, list)) else MemoryFindings(other)
            return list(self) == list(theirs)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RunFindings({len(self)} findings in {len(self._runs)} runs)"

    def _all(self) -> FacetTally:
        """The workers' tallies and the parent's own, together."""
        tally = FacetTally()
        tally.update(self._tally)
        tally.update(self._own.tally)
        return tally

    def counts(self) -> Mapping[tuple[Status, Severity], int]:
        return self._all().counts()

    def where(self, statuses: Collection[Status]) -> Iterator[Finding]:
        return self._findings(statuses)

    def first(self, n: int, statuses: Collection[Status]) -> list[Finding]:
        return list(islice(self._findings(statuses), max(n, 0)))

    def facets(self) -> Facets:
        return self._all().facets()

    def jobs(self, statuses: Collection[Status]) -> JobCounts:
        if not self.flats_encoded:  # no job rows kept: a scan whose only report is JSON never asks
            return jobs_in(self.where(statuses), statuses)
        wanted = {s.value for s in statuses}
        rows = heapq.merge(*self._rows("jobs"), key=_key)
        return count_jobs((job, p, a, r) for job, status, p, a, r in rows if status in wanted)

    def close(self) -> None:
        self.files.close()
