"""What a record document is, decided by evidence, never by one key.

An input file holds documents AWS (or a tool recording AWS) wrote. Each is recognised by
the keys that together identify its shape, and unwrapped to the training job it carries:

- a DescribeTrainingJob response, a Search item, a seed record or an inventory row: the
  document itself, when it names its job (TrainingJobName / TrainingJobArn / TrainingJob,
  or training_job_name / training_job_arn / _key);
- an EventBridge "SageMaker Training Job State Change" event: its `detail` (a describe-shaped
  job with epoch-millisecond timestamps);
- a CloudTrail record of sagemaker CreateTrainingJob, alone, in an EventBridge "AWS API Call
  via CloudTrail" event, in the `Records` array of a CloudTrail log file, or as the JSON
  text of `CloudTrailEvent` in `aws cloudtrail lookup-events` output: its
  `requestParameters` (camelCase, turned into the API's PascalCase) and the ARN in
  `responseElements`. Other CloudTrail records in a log file are counted and skipped; a
  CreateTrainingJob call that failed (`errorCode`) created no job and is skipped too;
- a botocore/placebo recording `{"status_code": ..., "data": ...}`: its `data`, with the
  recorded `{"__class__": "datetime", ...}` values turned back into timestamps.

Other EventBridge events and other CloudTrail calls are skipped with a note (a stream of
events holds many kinds). Anything else is refused with what it is (a ListTrainingJobs page,
a ListTags response) or with the keys it has: a document that names no job is never guessed
into one (an EventBridge event's top-level `region` is not a seed record). An input that
yields no job at all is a problem in the file source, never a clean pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smscan.record.strict_json import DECODER, deeper_than
from smscan.record.wire import HIDDEN, pascal_request, recorded_datetimes, seed_pointer

TRAINING_STATE_CHANGE = "SageMaker Training Job State Change"
CLOUDTRAIL_VIA_EVENTBRIDGE = "AWS API Call via CloudTrail"
SAGEMAKER_EVENT_SOURCES = ("sagemaker.amazonaws.com",)
_NAMED_PASCAL = ("TrainingJobName", "TrainingJobArn")
_NAMED_SNAKE = ("_key", "training_job_name", "training_job_arn")
_SHOWN_KEYS = 8
_MAX_NESTING = 200  # as for the documents themselves (files.py)


@dataclass(frozen=True)
class Job:
    doc: Mapping[str, Any]
    pointer: str  # where the job object is, below the document's own pointer
    # seed-schema pointer -> why its value is not known (Record.unknown): policies are UNKNOWN
    unknown: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Unwrapped:
    jobs: list[Job] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (pointer, why)
    skipped: int = 0  # CloudTrail records that are not a successful CreateTrainingJob
    notes: list[str] = field(default_factory=list)


def unwrap(doc: Mapping[str, Any]) -> Unwrapped:
    out = Unwrapped()
    _document(doc, "", out, in_log=False)
    return out


# Keys that make a document something other than a plain job record (see _document, _plain).
_OTHER_SHAPES = ("detail-type", "Records", "Events", "eventSource", "status_code", "TrainingJobSummaries")


def plain_job(doc: Mapping[str, Any]) -> bool:
    """True when `unwrap(doc)` is that one job at "" with nothing refused or noted: what a
    JSON Lines file of describe answers or seed records holds on every line.

    A document that names its job and has none of the keys the other shapes are told by
    (an event's detail-type, a log's Records, lookup-events' Events, a CloudTrail record's
    eventSource, a recording's status_code, a ListTrainingJobs page's summaries) is one."""
    if not ("TrainingJobName" in doc or "TrainingJobArn" in doc or "training_job_name" in doc or "_key" in doc):
        return False
    for key in _OTHER_SHAPES:  # noqa: SIM110 - no generator per record on the hot path
        if key in doc:
            return False
    return True


def records_hint(doc: Any) -> str | None:
    """For a request file that holds no request: what it is, if it is a record (use --input)."""
    if isinstance(doc, list) and doc:  # a JSON array of records: judge by its first item
        doc = doc[0]
    if not isinstance(doc, Mapping):
        return None
    what = _what(doc)
    return f"this looks like {what}: scan it with --input" if what else None


def _what(doc: Mapping[str, Any]) -> str | None:
    if _is_event(doc):
        return f"an EventBridge event ({_short(doc['detail-type'])})"
    if _is_cloudtrail(doc) or _is_cloudtrail_log(doc) or _is_lookup_events(doc):
        return "CloudTrail records"
    if _is_envelope(doc):
        return "a recorded botocore response"
    if any(k in doc for k in _NAMED_PASCAL) and (
        "TrainingJobStatus" in doc or "CreationTime" in doc
    ):
        return "a DescribeTrainingJob response"
    if any(k in doc for k in _NAMED_SNAKE):
        return "a seed record"
    return None


def _document(doc: Mapping[str, Any], at: str, out: Unwrapped, in_log: bool) -> None:
    if _is_event(doc):
        _event(doc, at, out)
    elif _is_cloudtrail_log(doc):
        for index, record in enumerate(doc["Records"]):
            if isinstance(record, Mapping) and _is_cloudtrail(record):
                _cloudtrail(record, f"{at}/Records/{index}", out, in_log=True)
            else:
                out.refused.append((f"{at}/Records/{index}", "not a CloudTrail record"))
        if out.skipped:
            out.notes.append(
                f"skipped {out.skipped} CloudTrail record(s) that are not a SageMaker CreateTrainingJob call"
            )
    elif _is_lookup_events(doc):
        _lookup_events(doc["Events"], f"{at}/Events", out)
    elif _is_cloudtrail(doc):
        _cloudtrail(doc, at, out, in_log)
    elif _is_envelope(doc):
        _envelope(doc, at, out)
    else:
        _plain(doc, at, out)


def _plain(doc: Mapping[str, Any], at: str, out: Unwrapped) -> None:
    if isinstance(doc.get("TrainingJobSummaries"), list):
        count = len(doc["TrainingJobSummaries"])
        out.refused.append(
            (
                at,
                f"not a job: a ListTrainingJobs page ({count} summaries); record DescribeTrainingJob responses instead",
            )
        )
    elif "Tags" in doc and set(doc) <= {"Tags", "NextToken", "ResponseMetadata"}:
        out.refused.append((at, "not a job: a ListTags response"))
    elif any(k in doc for k in _NAMED_PASCAL) or isinstance(doc.get("TrainingJob"), Mapping):
        out.jobs.append(Job(doc, at))
    elif any(k in doc for k in _NAMED_SNAKE):
        out.jobs.append(Job(doc, at))
    elif "AlgorithmSpecification" in doc and ("RoleArn" in doc or "OutputDataConfig" in doc):
        why = "a CreateTrainingJob request without TrainingJobName: scan request files as positional paths"
        out.refused.append((at, why))
    elif _definition(doc):
        out.refused.append(
            (at, f"not a job record: {_definition(doc)}; scan it as a positional path")
        )
    else:
        keys = sorted(str(k) for k in doc)
        shown = ", ".join(keys[:_SHOWN_KEYS]) + (", ..." if len(keys) > _SHOWN_KEYS else "")
        out.refused.append(
            (
                at,
                f"not a training job: no TrainingJobName, TrainingJobArn or training_job_name (keys: {shown or 'none'})",
            )
        )


def _short(text: str) -> str:
    """Names read from a document go into messages: bounded, whatever the document says."""
    return text if len(text) <= 80 else text[:77] + "..."


def _definition(doc: Mapping[str, Any]) -> str | None:
    """Documents that define jobs rather than record them (request files)."""
    if isinstance(doc.get("Resources"), Mapping):
        return "a CloudFormation template"
    if isinstance(doc.get("States"), Mapping):
        return "a Step Functions state machine"
    if isinstance(doc.get("Steps"), list):
        return "a SageMaker Pipeline definition"
    return None


def _is_event(doc: Mapping[str, Any]) -> bool:
    return (
        isinstance(doc.get("detail-type"), str)
        and isinstance(doc.get("source"), str)
        and "detail" in doc
    )


def _event(doc: Mapping[str, Any], at: str, out: Unwrapped) -> None:
    kind, source, detail = doc["detail-type"], doc["source"], doc["detail"]
    if not isinstance(detail, Mapping):
        out.refused.append((at, f"EventBridge event {_short(kind)!r}: its detail is not an object"))
    elif kind == TRAINING_STATE_CHANGE and source == "aws.sagemaker":
        if any(k in detail for k in _NAMED_PASCAL):
            out.jobs.append(Job(detail, f"{at}/detail"))
        else:
            out.refused.append(
                (at, f"EventBridge event {_short(kind)!r}: its detail names no training job")
            )
    elif kind == CLOUDTRAIL_VIA_EVENTBRIDGE and _is_cloudtrail(detail):
        _cloudtrail(detail, f"{at}/detail", out, in_log=False)
    else:  # another event on the same bus: a stream of events is not all training jobs
        out.notes.append(
            f"skipped an EventBridge event {_short(kind)!r} from {_short(source)}: not a training job"
        )


def _is_cloudtrail(doc: Mapping[str, Any]) -> bool:
    return (
        isinstance(doc.get("eventSource"), str)
        and isinstance(doc.get("eventName"), str)
        and any(k in doc for k in ("eventVersion", "requestParameters", "awsRegion"))
    )


def _is_cloudtrail_log(doc: Mapping[str, Any]) -> bool:
    records = doc.get("Records")
    return (
        isinstance(records, list)
        and any(isinstance(r, Mapping) and _is_cloudtrail(r) for r in records)
        and set(doc) <= {"Records"}
    )


def _is_lookup_events(doc: Mapping[str, Any]) -> bool:
    """`aws cloudtrail lookup-events`: each event carries its record as JSON text."""
    events = doc.get("Events")
    return (
        isinstance(events, list)
        and set(doc) <= {"Events", "NextToken", "ResponseMetadata"}
        and any(
            isinstance(e, Mapping) and isinstance(e.get("CloudTrailEvent"), str) for e in events
        )
    )


def _lookup_events(events: list[Any], at: str, out: Unwrapped) -> None:
    for index, event in enumerate(events):
        where = f"{at}/{index}/CloudTrailEvent"
        text = event.get("CloudTrailEvent") if isinstance(event, Mapping) else None
        try:
            record = DECODER.decode(text) if isinstance(text, str) else None
        except (ValueError, RecursionError):
            record = None
        if isinstance(record, Mapping) and deeper_than(record, _MAX_NESTING, str(text)):
            record = None
        if isinstance(record, Mapping) and _is_cloudtrail(record):
            _cloudtrail(record, where, out, in_log=True)
        else:
            out.refused.append((where, "not a CloudTrail record in JSON text"))
    if out.skipped:
        out.notes.append(
            f"skipped {out.skipped} CloudTrail event(s) that are not a SageMaker CreateTrainingJob call"
        )


def _cloudtrail(record: Mapping[str, Any], at: str, out: Unwrapped, in_log: bool) -> None:
    source, name = record["eventSource"], record["eventName"]
    if source not in SAGEMAKER_EVENT_SOURCES or name != "CreateTrainingJob":
        if in_log:
            out.skipped += 1
        else:
            out.notes.append(
                f"skipped a CloudTrail record of {_short(source)} {_short(name)}: not a CreateTrainingJob call"
            )
        return
    if record.get("errorCode"):
        if in_log:
            out.skipped += 1
        else:
            failed = str(record["errorCode"])[:60]
            out.notes.append(
                f"skipped a CreateTrainingJob call that failed ({failed}): no job was created"
            )
        return
    params = record.get("requestParameters")
    if not isinstance(params, Mapping):
        out.refused.append((at, "a CreateTrainingJob record without requestParameters"))
        return
    request, hidden = pascal_request(params)
    response = record.get("responseElements")
    arn = response.get("trainingJobArn") if isinstance(response, Mapping) else None
    if isinstance(arn, str):
        request["TrainingJobArn"] = arn
    unknown = {}
    for path in hidden:
        out.notes.append(
            f"{path} is not logged by CloudTrail ({HIDDEN}): policies that read it are UNKNOWN"
        )
        pointer = seed_pointer(path)
        if pointer is not None:
            unknown[pointer] = f"not logged by CloudTrail ({HIDDEN})"
    out.jobs.append(Job(request, f"{at}/requestParameters", unknown))


def _is_envelope(doc: Mapping[str, Any]) -> bool:
    return "status_code" in doc and "data" in doc and set(doc) <= {"status_code", "data"}


def _envelope(doc: Mapping[str, Any], at: str, out: Unwrapped) -> None:
    status, data = doc["status_code"], doc["data"]
    if status != 200:
        out.refused.append((at, f"a recorded error response (status {status}), not a job"))
        return
    if not isinstance(data, Mapping):
        out.refused.append((at, "a recorded response whose data is not an object"))
        return
    try:
        plain = recorded_datetimes(data)
    except ValueError as err:
        out.refused.append((at, f"a recorded response that cannot be read: {err}"))
        return
    _plain(plain, f"{at}/data", out)
