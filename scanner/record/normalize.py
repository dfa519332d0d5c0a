"""Turn any input document into one canonical Record in the seed schema.

Three shapes are recognised (`detect_shape`):

- "describe": a DescribeTrainingJob response (boto3 dict with datetimes, or the JSON
  of `aws sagemaker describe-training-job` with ISO strings or epoch floats), a
  Search result item `{"TrainingJob": {...}}`, or a CreateTrainingJob request file.
- "seed": a record already in the seed schema (snake_case keys, native JSON types).
- "inventory": a row of an inventory export: json columns as JSON text, hstore
  columns as hstore text, bools as "t"/"f"/"true"/"false", int64 as numeric text,
  timestamps as PostgreSQL text. Told apart from "seed" by any typed column holding text.

Every output record has every field of SEED_FIELDS, in that order (None when absent).
Coercions, per seed type (a value of any other type is a RecordError naming the field
and the expected type, never the value):

- string: str only.
- bool: bool, or "t"/"f"/"true"/"false" in any case.
- int64: int, integral float, or decimal text; within the signed 64-bit range.
- timestamp: datetime, epoch seconds or ISO-8601/PostgreSQL text -> "...Z" (timestamps.py).
- json: an object (or an array, for the list-valued fields) or JSON text of one. Datetimes
  nested in a describe response become ISO strings, as do epoch numbers under the nested
  time keys (StartTime, EndTime, Timestamp, LastModifiedTime, CreationTime).
- hstore: a map or hstore text, and for tags also AWS's [{"Key": k, "Value": v}]. Keys are
  str; values become str (bools as "true"/"false"); an hstore NULL stays None, so a
  map is str -> str | None and round-trips an inventory export faithfully.

An empty string in a bool, int64, timestamp or json field means NULL (None), as inventory
exports write it; an empty hstore text is the empty map.

Identity: `_key` is the job ARN; `account_id` and `region` come from it. Without an
ARN (a request file), `_key` is the record's origin ("file#pointer", "file:line" or
"file") and account_id/region are "" unless the seed record gives them. A record
with neither a job name nor an ARN is a RecordError, unless it is a job found inside a
document (its origin has a JSON pointer: a pipeline step names its job only at run time).

Unknown top-level keys are ignored and counted in `NormalizeStats`, never an error.

Lazy normalization (`read=`): a scan knows which top-level fields its policies read.
Given that set, only those fields and the identity ones (IDENTITY: what reports, waivers
and baselines show and match) are coerced; every other field keeps the input's value
as it came, unchecked. Parsing the nested timestamps of SecondaryStatusTransitions
that no policy looks at is most of a describe record's cost, and a malformed value in
a field nobody reads must not drop the whole job. Such a record is for judging only:
whatever reads a field outside `read` must normalize without it.

Nested containers are shared with the input document, not copied, unless a value
inside had to be converted: do not mutate the document after normalizing it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from smscan.errors import RecordError
from smscan.models import Origin, Record, new_record
from smscan.record.coerce import hstore, type_name
from smscan.record.plan import DESCRIBE_PLAN, SEED_PLAN, Plan, lazy_plans
from smscan.record.plan import IDENTITY as IDENTITY  # where the file source and tests look for it
from smscan.record.schema import FIELDS_BY_AWS_KEY, FIELDS_BY_NAME, SEED_FIELDS

Shape = Literal["describe", "seed", "inventory"]

_TYPED_COLUMNS = tuple(f.name for f in SEED_FIELDS if f.type in {"json", "hstore", "bool", "int64"})
_PARTITION = re.compile(r"aws(?:-[a-z]+)*")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}", re.ASCII)
_ACCOUNT = re.compile(r"\d{12}", re.ASCII)
ARN_FORMAT = "arn:aws:sagemaker:REGION:ACCOUNT:training-job/NAME"
# The whole test of parse_arn in one pattern: the name is all after "training-job/" (colons too).
_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:sagemaker:([a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}):([0-9]{12}):training-job/(.+)", re.S)
# What the pattern takes before ":training-job/" holds no "/", so in an ARN it takes the first
# ":training-job/" ends that prefix, and any ARN of a prefix it took before (the jobs of one
# account and region share it) is taken too, with a non-empty name.
_JOB = ":training-job/"
_PREFIXES: dict[str, tuple[str, str]] = {}  # prefix -> (account_id, region), for prefixes it takes
_MAX_PREFIXES = 4096


@dataclass
class NormalizeStats:
    """Counts kept across many records, for the scan summary."""

    records: int = 0
    unknown_keys: Counter[str] = field(default_factory=Counter)


def detect_shape(doc: Mapping[str, Any]) -> Shape:
    _require_object(doc)
    if _is_describe(doc):
        return "describe"
    return "inventory" if any(type(doc.get(k)) is str for k in _TYPED_COLUMNS) else "seed"


def normalize(
    doc: Mapping[str, Any],
    origin: Origin,
    tags: Any = None,
    *,
    stats: NormalizeStats | None = None,
    read: frozenset[str] | None = None,
) -> Record:
    """Detect the shape of `doc` and normalize it; `tags` (if given) replaces its tags.

    `read`: the fields to coerce (with IDENTITY); None coerces every field."""
    _require_object(doc)
    if _is_describe(doc):
        return _from_describe(doc, origin, tags, stats, read)
    data = _convert(doc, SEED_PLAN if read is None else lazy_plans(read)[1], stats)
    _identify(data, origin)
    if tags is not None:
        data["tags"] = hstore(tags, "tags")
    return new_record(data, origin)


def from_describe(
    doc: Mapping[str, Any],
    origin: Origin,
    tags: Any = None,
    *,
    stats: NormalizeStats | None = None,
    read: frozenset[str] | None = None,
) -> Record:
    _require_object(doc)
    return _from_describe(doc, origin, tags, stats, read)


def _from_describe(
    doc: Mapping[str, Any], origin: Origin, tags: Any, stats: NormalizeStats | None, read: frozenset[str] | None
) -> Record:
    if "TrainingJob" in doc and "TrainingJobName" not in doc:
        job = doc["TrainingJob"]
        if job is not None and isinstance(job, Mapping):
            doc = job  # a Search result item
    data = _convert(doc, DESCRIBE_PLAN if read is None else lazy_plans(read)[0], stats)
    if tags is not None:
        data["tags"] = hstore(tags, "tags")
    _identify(data, origin)
    return new_record(data, origin)  # one for every job read: no frozen __init__


def from_seed(
    doc: Mapping[str, Any],
    origin: Origin,
    *,
    stats: NormalizeStats | None = None,
    read: frozenset[str] | None = None,
) -> Record:
    _require_object(doc)
    data = _convert(doc, SEED_PLAN if read is None else lazy_plans(read)[1], stats)
    _identify(data, origin)
    return new_record(data, origin)


def _is_describe(doc: Mapping[str, Any]) -> bool:
    """True for the PascalCase shapes, False for snake_case ones, RecordError for neither.

    `doc` is known to be a mapping (`_require_object`)."""
    # The identity keys decide at once; looking at every key is for odd documents only.
    if "TrainingJobName" in doc or "TrainingJobArn" in doc or "TrainingJob" in doc:
        return True
    if "_key" in doc or "training_job_name" in doc or "training_job_arn" in doc:
        return False
    for key in doc:
        if key in FIELDS_BY_AWS_KEY:
            return True
        if key in FIELDS_BY_NAME:
            return False
    raise RecordError(
        "not a training job: expected a DescribeTrainingJob response, a seed record "
        "or an inventory row"
    )


def _require_object(doc: Any) -> None:
    if type(doc) is not dict and not isinstance(doc, Mapping):
        raise RecordError(f"expected a JSON object, got {type_name(doc)}")


def _convert(doc: Mapping[str, Any], plan: Plan, stats: NormalizeStats | None) -> dict[str, Any]:
    data = plan.convert(doc, stats.unknown_keys if stats is not None else None)
    if stats is not None:
        stats.records += 1
    return data


def origin_key(origin: Origin) -> str:
    """The `_key` of a record without an ARN: where it came from."""
    if origin.pointer is not None:  # "" is the JSON pointer of a whole document
        return f"{origin.source}#{origin.pointer}"
    if origin.line is not None:
        return f"{origin.source}:{origin.line}"
    return origin.source


def parse_arn(arn: str) -> tuple[str, str, str]:
    """(account_id, region, name) of a training-job ARN, or RecordError."""
    end = arn.find(_JOB)
    if end > 0 and len(arn) > end + len(_JOB):
        known = _PREFIXES.get(arn[:end])
        if known is not None:
            return known[0], known[1], arn[end + len(_JOB) :]
    match = _ARN.fullmatch(arn)  # one match for what the checks below test part by part
    if match is not None:
        if len(_PREFIXES) >= _MAX_PREFIXES:
            _PREFIXES.clear()
        _PREFIXES[arn[:end]] = (match[2], match[1])
        return match[2], match[1], match[3]
    parts = arn.split(":", 5)
    if (
        len(parts) == 6
        and parts[0] == "arn"
        and _PARTITION.fullmatch(parts[1])
        and parts[2] == "sagemaker"
        and _REGION.fullmatch(parts[3])
        and _ACCOUNT.fullmatch(parts[4])
        and parts[5].startswith("training-job/")
        and len(parts[5]) > len("training-job/")
    ):
        return parts[4], parts[3], parts[5][len("training-job/") :]
    raise RecordError(
        f"expected a training-job ARN ({ARN_FORMAT})",
        field="training_job_arn",
    )


def _identify(data: dict[str, Any], origin: Origin) -> None:
    """Fill _key, training_job_arn/name, account_id and region from the ARN or the origin."""
    arn = data["training_job_arn"]
    if arn is None and isinstance(data["_key"], str) and data["_key"].startswith("arn:"):
        arn = data["_key"]
    if arn:
        data["account_id"], data["region"], name = parse_arn(arn)
        data["_key"] = data["training_job_arn"] = arn
        if not data["training_job_name"]:
            data["training_job_name"] = name
        return
    if not data["training_job_name"] and origin.pointer is None:
        raise RecordError(
            "a training job needs a name or an ARN "
            "(training_job_name / TrainingJobName or training_job_arn / TrainingJobArn)",
            field="training_job_name",
        )
    data["_key"] = data["_key"] or origin_key(origin)
    data["account_id"] = data["account_id"] or ""
    data["region"] = data["region"] or ""
