"""Events as a record source: the file source's readers, plus the event's own context.

The jobs come out of exactly the readers `scan --input` uses (FileSource and
record/shapes.py), so an event and the same event scanned with `--input` give the same
records. What event mode adds, per event document:

- the status filter: a "SageMaker Training Job State Change" whose status is not one of
  `event.statuses` is skipped with a note (a job sends one event per transition);
- enrichment: when a selected policy reads a field the event lacks, the job is described
  and its tags read (enrich.py), and the answer replaces the event's copy of the job;
- the context an action needs (event id, job status, account, region) in `jobs`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from smscan.events.enrich import Enricher, lacking
from smscan.events.settings import EventSettings
from smscan.models import Origin, Problem, Record
from smscan.record.shapes import CLOUDTRAIL_VIA_EVENTBRIDGE, TRAINING_STATE_CHANGE
from smscan.sources.files import FileOptions, FileSource
from smscan.sources.interface import Note, SourceItem, SourceReport
from smscan.sources.json_records import JsonRecords

STATE_CHANGE, CLOUDTRAIL = "state-change", "cloudtrail"
Read = Callable[[str, Any, Origin], Iterator[SourceItem]]  # a document -> its records
_NO_JOB = "no training job record in the inputs"


@dataclass(frozen=True)
class Envelope:
    """What the event says about itself (never about the job: shapes.py reads that)."""

    event_id: str
    kind: str  # state-change | cloudtrail | other
    status: str  # the job status a state change reports; "" for a CloudTrail call

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Envelope:
        detail = doc.get("detail")
        detail = detail if isinstance(detail, Mapping) else {}
        kind, status = "other", ""
        if doc.get("detail-type") == TRAINING_STATE_CHANGE:
            kind, status = STATE_CHANGE, str(detail.get("TrainingJobStatus") or "")
        elif doc.get("detail-type") == CLOUDTRAIL_VIA_EVENTBRIDGE or any(k in doc for k in ("eventSource", "Records")):
            kind, status = CLOUDTRAIL, "InProgress"  # a job is InProgress from its CreateTrainingJob on
        event_id = doc.get("id") or detail.get("eventID") or doc.get("eventID") or ""
        return cls(str(event_id)[:100], kind, status[:40])


@dataclass(frozen=True)
class EventJob:
    """One judged job and the event it came from: what an action needs to know."""

    event_id: str
    kind: str
    status: str  # from the event, or the describe answer when the job was described
    record: Record
    live_tags: Mapping[str, str | None] | None = None  # read from AWS, when they were

    @property
    def key(self) -> str:
        return self.record.key

    @property
    def name(self) -> str:
        return str(self.record.data.get("training_job_name") or self.key.rsplit("/", 1)[-1])

    @property
    def account(self) -> str:
        return str(self.record.data.get("account_id") or "")

    @property
    def region(self) -> str:
        return str(self.record.data.get("region") or "")


class EventSource(FileSource):
    """`smscan event FILE|-` reads files; the Lambda handler passes parsed `documents`."""

    def __init__(
        self,
        options: FileOptions,
        settings: EventSettings,
        fields_read: frozenset[str] | None,
        *,
        enricher: Enricher | None = None,
        documents: Sequence[Any] | None = None,
    ) -> None:
        super().__init__(options)
        self.settings = settings
        self.fields_read = fields_read
        self.enricher = enricher
        self.documents = documents
        self.jobs: list[EventJob] = []
        self.skipped = 0  # state changes of a status not judged
        self._notes: list[Note] = []

    def describe(self) -> str:
        if self.documents is not None:
            return f"{len(self.documents)} event{'' if len(self.documents) == 1 else 's'}"
        return super().describe()

    def reader(self) -> JsonRecords:
        return _EventRecords(self)

    def items(self) -> Iterator[SourceItem]:
        if self.documents is None:
            for item in super().items():
                # A stream of transitions that were all skipped on purpose is not an empty export.
                if self.skipped and isinstance(item, Problem) and item.message.startswith(_NO_JOB):
                    continue
                yield item
            return
        plain = super().reader()
        for index, doc in enumerate(self.documents):
            name = f"event {Envelope.of(doc).event_id or index}" if isinstance(doc, Mapping) else f"event {index}"
            yield from self.judge_document(plain.document, name, doc, Origin(name, pointer=""))

    def report(self) -> SourceReport:
        calls = self.enricher.calls() if self.enricher is not None else {}
        return SourceReport(api_calls=calls, notes=tuple(self._notes))

    def judge_document(self, read: Read, name: str, value: Any, origin: Origin) -> Iterator[SourceItem]:
        """One document through the status filter, the file source's readers and enrichment."""
        envelope = Envelope.of(value) if isinstance(value, Mapping) else Envelope("", "other", "")
        if envelope.kind == STATE_CHANGE and envelope.status and envelope.status not in self.settings.statuses:
            self.skipped += 1
            judged = ", ".join(self.settings.statuses)
            yield Problem(
                name,
                f"event {envelope.event_id or '(no id)'}: skipped a {envelope.status} "
                f"state change (event.statuses judges {judged})",
                line=origin.line,
                kind="note",
            )
            return
        for item in read(name, value, origin):
            if isinstance(item, Record):
                yield from self._job(name, item, envelope)
            else:
                yield item

    def _job(self, name: str, record: Record, envelope: Envelope) -> Iterator[SourceItem]:
        missing = lacking(record, envelope.kind == STATE_CHANGE, self.fields_read)
        status = envelope.status
        live_tags = None
        if missing and self.enricher is None:
            self._notes.append(
                Note(
                    f"the event lacks {', '.join(sorted(missing))}, which the policies read; "
                    "judged without them (--aws describes the job)",
                    record.key or name,
                )
            )
        elif self.enricher is not None and missing:
            found = self.enricher.enrich(record, missing, envelope.event_id)
            if isinstance(found, Problem):
                yield found
                return
            record, live_tags = found.record, found.tags
            status = found.status or status
        self.jobs.append(EventJob(envelope.event_id, envelope.kind, status, record, live_tags))
        yield record


class _EventRecords(JsonRecords):
    """The file source's parser, each document it finds handed to the event source."""

    def __init__(self, source: EventSource) -> None:
        options = source.options
        super().__init__(options.max_file_bytes, options.max_depth, source.stats, options.read)
        self.source = source

    def _record(self, name: str, value: Any, origin: Origin) -> Iterator[SourceItem]:
        yield from self.source.judge_document(partial(JsonRecords._record, self), name, value, origin)
