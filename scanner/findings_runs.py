"""The findings of a `--jobs` scan, kept where they were judged: as sorted runs on disk.

A worker process encodes each finding it judges (smscan.wire's flat tuple, and the text
the JSON report writes for it, smscan.finding_texts), keeps them up to its share of the
memory budget, then sorts them and appends them as one run to a temporary file of its
own. The parent adds up counts only; it never builds, pickles or stores a finding while
the workers judge, which is what made it the bottleneck of a parallel scan (every finding
crossed the pipe, was rebuilt, and was written into SQLite by one process).

A run has three sections, each read on its own: "findings" (the flat tuples, which every
reader but the JSON report decodes), "jobs" (a row per finding sorted by job, for the
distinct-job counts of HTML and Markdown) and "texts" (what the JSON report copies).
When the JSON report is the only reader of every finding (`flats=False`), the first two
are left out: a finding read as an object is then decoded from its text, which is exact
because a finding whose text would not decode to an equal one keeps its flat tuple.

Reading merges the runs (`merge_batches`, each run read front to back in batches), so
memory holds one batch per run, never the findings. Order: a row's key is `Finding.sort_key`
followed by where the finding was judged (the chunk's group number, then its place in the
chunk), as one string that sorts as that tuple does (row_key), which makes the merged
order exactly the stable sort one process gives.

The files are unlinked as they are created (tempfile.TemporaryFile): nothing is left
behind, however the scan ends. Workers append with os.pwrite, the parent reads with
os.pread, so nobody depends on the file offset the processes share.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from smscan.codec import decode_finding, finding_text
from smscan.findings import Facets, FacetTally, JobCounts, count_jobs, jobs_in
from smscan.models import Finding, Severity, Status
from smscan.run_writer import (
    Run,
    RunFiles,
    RunWriter,
    Text,
    key_head,
    key_of,
    read_batches,
    read_texts,
)
from smscan.wire import Unflat


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

    def _rows(self, runs_of: str) -> Iterator[Any]:
        """Every row of the `runs_of` sections, merged in key order."""
        for batch in self._batches(runs_of):
            yield from batch

    def _batches(self, runs_of: str) -> Iterator[list[Any]]:
        return merge_batches(self._streams(runs_of))

    def _streams(self, runs_of: str, start: str | None = None) -> list[Iterator[list[Any]]]:
        """Each run's `runs_of` section as sorted batches, and the parent's own held rows;
        the texts from the batch where rows keyed `start` may begin, if given."""
        assert start is None or runs_of == "texts"  # only the texts section has its heads noted
        if runs_of == "texts":  # each text as its UTF-8 bytes (read_texts)
            streams = [read_texts(self.files, run.texts, _first_batch(run, start)) for run in self._runs]
        else:
            streams = [read_batches(self.files, getattr(run, runs_of)) for run in self._runs]
        held = self._own.held(runs_of)
        if held and runs_of == "texts":
            held = [(key, status, text.encode(), flat) for key, status, text, flat in held]
        if held:
            streams.append(iter([held]))
        return streams

    def _findings(self, statuses: Collection[Status] | None) -> Iterator[Finding]:
        wanted = None if statuses is None else {s.value for s in statuses}
        if wanted is not None and not any(n for (s, _), n in self.counts().items() if s.value in wanted):
            return  # none to find: no merge of every run for them
        unflat = Unflat()
        if self.flats_encoded:
            for _, status, flat in self._rows("findings"):
                if wanted is None or status in wanted:
                    yield unflat(flat)
            return
        for _, status, text, flat in self._rows("texts"):
            if wanted is None or status in wanted:
                yield unflat(flat) if flat is not None else decode_finding(str(text, "utf-8"))

    def text_batches(self) -> Iterator[list[str]]:
        """The texts in sort order, a list at a time (a range of them: text_bytes)."""
        if not self.texts_encoded:
            texts = map(finding_text, self)
            while batch := list(islice(texts, 256)):
                yield batch
            return
        for raw in self.text_bytes():
            yield [str(text, "utf-8") for text in raw]

    def joined_texts(self, separator: str) -> Iterator[str]:
        """text_batches with each batch's texts joined by `separator`, as one string (one
        decoding of the batch's bytes, not one a text)."""
        if not self.texts_encoded:
            yield from map(separator.join, self.text_batches())
            return
        between = separator.encode()
        for batch in self.text_bytes():
            yield str(between.join(batch), "utf-8")

    def text_bytes(self, start: str | None = None, stop: str | None = None) -> Iterator[list[Text]]:
        """text_batches as each text's UTF-8 bytes, as the runs hold them (texts encoded only).

        With `start` or `stop` (row keys, as `split_key` gives), only the rows from `start`
        up to, not including, `stop`."""
        assert self.texts_encoded
        streams = self._streams("texts", start)
        if stop is not None:
            streams = [_before(stream, stop) for stream in streams]
        for batch in merge_batches(streams):
            if start is not None and batch[0][0] < start:
                batch = batch[bisect_left(batch, start, key=key_of) :]
            if batch:
                yield [row[2] for row in batch]

    def split_key(self, least: float = 0.25) -> str | None:
        """A row key that cuts the texts into two parts of at least `least` of them each,
        or None. It falls between two policies (or severities) whose counts the tally
        holds, so no row needs reading to find it."""
        if not self.texts_encoded:
            return None
        by_head: dict[str, int] = {}
        for (policy_id, _, severity), n in self.facets().by_policy.items():
            head = key_head(severity, policy_id)
            by_head[head] = by_head.get(head, 0) + n
        total, before, best = sum(by_head.values()), 0, None
        for head in sorted(by_head):
            if best is None or abs(2 * before - total) < abs(2 * best[1] - total):
                best = (head, before)
            before += by_head[head]
        if best is None or min(best[1], total - best[1]) < least * total:
            return None
        return best[0]

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
        rows = self._rows("jobs")
        return count_jobs((job, p, a, r) for job, status, p, a, r in rows if status in wanted)

    def close(self) -> None:
        self.files.close()


def merge_batches(streams: list[Iterator[list[Any]]]) -> Iterator[list[Any]]:
    """The rows of `streams` (each a sorted run, given as sorted batches) in key order, a
    sorted list at a time. Findings' keys are unique (each ends in its chunk's group and its
    place), so their order is heapq.merge's; rows of one key (a job's rows) come together,
    in no particular order among themselves.

    Every row up to the smallest of the batches' last keys is known to come before anything
    not yet read: those rows go out together, sorted in C (they are a few sorted runs, which
    the sort merges), where heapq.merge takes one Python step a row."""
    heads: list[list[Any]] = []  # [the batch's rows not yet given, the rest of its stream]
    for stream in streams:
        batch = _next_batch(stream)
        if batch:
            heads.append([batch, stream])
    while heads:
        bound = min(head[0][-1][0] for head in heads)
        out: list[Any] = []
        merged = 0
        for head in heads:
            batch = head[0]
            if batch[-1][0] <= bound:
                out += batch
                merged += 1
                head[0] = _next_batch(head[1])
            else:
                cut = bisect_right(batch, bound, key=key_of)
                if cut:
                    out += batch[:cut]
                    head[0] = batch[cut:]
                    merged += 1
        if merged > 1:
            out.sort(key=key_of)
        heads = [head for head in heads if head[0]]
        yield out


def _next_batch(stream: Iterator[list[Any]]) -> list[Any] | None:
    """The stream's next batch that holds a row, or None at its end."""
    for batch in stream:
        if batch:
            return batch
    return None


def _before(stream: Iterator[list[Any]], stop: str) -> Iterator[list[Any]]:
    """The batches of a sorted stream up to the first row keyed `stop` or later; the rest
    is never read."""
    for batch in stream:
        if batch and batch[-1][0] >= stop:
            cut = bisect_left(batch, stop, key=key_of)
            if cut:
                yield batch[:cut]
            return
        yield batch


def _first_batch(run: Run, start: str | None) -> int | None:
    """The offset of the run's first text batch that may hold a row keyed `start` or later
    (`start` is a key_head, as split_key gives); None: from the beginning."""
    if start is None:
        return None
    for head, offset in run.text_heads:
        if head >= start:
            return offset
    return run.texts.offset + run.texts.size  # every row comes before it: nothing to read
