"""The interface of record sources: what every source yields and what it reports.

A source turns one kind of input into seed-schema Records. It knows nothing of
policies; everything it yields has gone through smscan.record.normalize, so the
engine sees one record shape whatever the input. The three sources are

    FileSource         (sources/files.py)            --input: record exports, stdin
    RequestFileSource  (sources/requests/source.py)  PATHs: job requests in a repository
    AwsSource          (sources/aws/source.py)       --aws: the live SageMaker API

Each is built from a small frozen options value (FileOptions, RequestOptions,
AwsOptions) that the CLI fills (smscan.cli.sources); no source sees argparse.

The contract:

- `items()` yields Records, and a Problem for every input, job or region that could
  not be read. A Problem with kind "note" is information (a skipped FIFO, a value
  known only at run time); any other kind makes the scan incomplete. An input that
  cannot be read at all (a missing file, a FIFO named on the command line, no AWS
  credentials) is always such a Problem, so that "read nothing" never looks like "read
  an empty fleet": the verdict (smscan.gate.verdict) makes a scan that read no job and
  has a Problem INCOMPLETE.
- `describe()` is one line naming what was scanned, for the summary and report headers.
- `report()` is asked after `items()` is exhausted: a frozen SourceReport with the scope
  (accounts, regions, fetch plan ...), API calls by operation and notes about the run.

Adding a reader to an existing source (CloudFormation, Terraform, SDK code, events):

- a request-file reader is a function from a parsed document to job sites
  (sources/requests/extract.py's `find_jobs` is the model), called by RequestFileSource,
  which already walks, reads, parses and positions files (sources/requests/cloudformation.py
  reads templates this way, with RunTime leaves for intrinsics); a reader of another file type
  adds its suffixes to `REQUEST_WALK`, its marker bytes to `MARKERS` and its parser next
  to `RequestFileSource._parse` (sources/requests/source.py);
- a record reader (an event export, another inventory) is a new document shape: one that
  carries its job inside another document (an EventBridge event, a CloudTrail record) is
  unwrapped by smscan.record.shapes, recognised by evidence, never by one key; a new flat
  shape is accepted by `normalize` (smscan.record.normalize). FileSource then reads it from
  files and stdin.

A new kind of input (another API, a queue) is a new Source subclass in its own module,
plus one frozen options value and one builder in smscan.cli.sources. Files are always
listed by sources/walk.py, so every file source keeps its promises (regular files only,
symlinks kept inside the tree).
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from smscan.models import Problem, Record

SourceItem = Record | Problem


@dataclass(frozen=True)
class Note:
    """Something worth knowing about how a source ran; it never makes a scan incomplete.

    `where` is the input or scope it is about ("aws:123456789012:us-east-1", a file),
    empty when it concerns the source as a whole.
    """

    message: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True)
class SourceReport:
    scope: Mapping[str, Any] = field(default_factory=dict)  # JSON-safe values only
    api_calls: Mapping[str, int] = field(default_factory=dict)  # operation -> calls made
    notes: tuple[Note, ...] = ()


class Source(abc.ABC):
    @abc.abstractmethod
    def items(self) -> Iterator[SourceItem]:
        """Yield every record, and a Problem for every input (or job) that could not be read."""

    @abc.abstractmethod
    def describe(self) -> str:
        """One line for the summary and report header: what this source scanned."""

    def report(self) -> SourceReport:
        """Scope, API calls and notes of the run; meaningful once items() is exhausted."""
        return SourceReport()


class ScopeProgress(Protocol):
    """Progress of a source that scans many scopes at once (AWS account x region pairs).

    The CLI's live progress line (smscan.cli.progress.Progress) implements it; a source
    never imports the CLI, and runs with NoProgress when nobody is watching.
    """

    def start(self, scope: str) -> None: ...

    def update(self, scope: str, listed: int = 0, described: int = 0, failed: int = 0) -> None: ...

    def finish(self, scope: str) -> None: ...

    def close(self) -> None: ...


class NoProgress:
    def start(self, scope: str) -> None:
        pass

    def update(self, scope: str, listed: int = 0, described: int = 0, failed: int = 0) -> None:
        pass

    def finish(self, scope: str) -> None:
        pass

    def close(self) -> None:
        pass
