"""One job object of a request-like file -> its Record, or the Problem that stops it, and notes.

Every reader of request-like files ends here: the Step Functions / Pipelines / CreateTrainingJob
reader (source.py), and readers of other formats that build the request tree themselves with
`RunTime` leaves where a value is decided at run time (docs/REQUEST_FILES.md).
"""

from __future__ import annotations

from collections.abc import Iterator

from smscan.errors import RecordError
from smscan.models import Origin, Problem, Record
from smscan.record.normalize import from_describe
from smscan.sources.requests.extract import UNNOTED, JobSite, clean


def job_items(file: str, site: JobSite) -> Iterator[Record | Problem]:
    """The job's Record (its run-time values in `unknown`, one note each), or a record Problem."""
    origin = Origin(file, line=site.line, pointer=site.pointer)
    try:
        cleaned = clean(site)
    except ValueError as err:
        yield Problem(file, f"{err} (at {site.pointer or '/'})", line=site.line, kind="record")
        return
    try:
        # A job without a name (pipelines name theirs at run time) is file#pointer.
        record = from_describe(cleaned.doc, origin)
    except RecordError as err:
        at = f" (at {site.pointer or '/'})"
        yield Problem(file, err.detail + at, line=site.line, field=err.field, kind="record")
        return
    unknown = {
        value.pointer: f"set at run time ({value.how}) at {file}:{value.line}"
        for value in cleaned.unknown
        if value.pointer is not None
    }
    yield Record(data=record.data, origin=origin, key_lines=cleaned.key_lines, unknown=unknown)
    for value in cleaned.unknown:
        if value.path in UNNOTED:
            continue
        yield Problem(
            file,
            f"{value.path} is set at run time ({value.how}): policies that read it are UNKNOWN",
            line=value.line,
            resource=record.key,
            kind="note",
        )
