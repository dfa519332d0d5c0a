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
with neither a job name nor an ARN is a RecordError.

Unknown top-level keys are ignored and counted in `NormalizeStats`, never an error.
Nested containers are shared with the input document, not copied, unless a value
inside had to be converted: do not mutate the document after normalizing it.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from scanner.errors import RecordError
from scanner.hstore import parse_hstore
from scanner.models import Origin, Record
from scanner.schema import FIELDS_BY_AWS_KEY, FIELDS_BY_NAME, SEED_FIELDS
from scanner.timestamps import to_iso_utc

Shape = Literal["describe", "seed", "inventory"]

MAX_NESTING = 200  # describe responses are a few levels deep; deeper is not AWS data
_INT64 = (-(2**63), 2**63 - 1)
_LIST_FIELDS = frozenset(
    {
        "debug_rule_configurations",
        "debug_rule_evaluation_statuses",
        "final_metric_data_list",
        "input_data_config",
        "profiler_rule_configurations",
        "profiler_rule_evaluation_statuses",
        "secondary_status_transitions",
    }
)
_NESTED_TIME_KEYS = frozenset(
    {"StartTime", "EndTime", "Timestamp", "LastModifiedTime", "CreationTime"}
)
_LEAF_TYPES = frozenset({str, int, float, bool, type(None)})
_TYPED_COLUMNS = tuple(f.name for f in SEED_FIELDS if f.type in {"json", "hstore", "bool", "int64"})
_PARTITION = re.compile(r"aws(?:-[a-z]+)*")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}", re.ASCII)
_ACCOUNT = re.compile(r"\d{12}", re.ASCII)
ARN_FORMAT = "arn:aws:sagemaker:REGION:ACCOUNT:training-job/NAME"


@dataclass
class NormalizeStats:
    """Counts kept across many records, for the scan summary."""

    records: int = 0
    unknown_keys: Counter[str] = field(default_factory=Counter)


def detect_shape(doc: Mapping[str, Any]) -> Shape:
    if _is_describe(doc):
        return "describe"
    return "inventory" if any(type(doc.get(k)) is str for k in _TYPED_COLUMNS) else "seed"


def normalize(
    doc: Mapping[str, Any],
    origin: Origin,
    tags: Any = None,
    *,
    stats: NormalizeStats | None = None,
) -> Record:
    """Detect the shape of `doc` and normalize it; `tags` (if given) replaces its tags."""
    if _is_describe(doc):
        return from_describe(doc, origin, tags, stats=stats)
    record = from_seed(doc, origin, stats=stats)
    if tags is not None:
        record.data["tags"] = _hstore(tags, "tags")
    return record


def from_describe(
    doc: Mapping[str, Any],
    origin: Origin,
    tags: Any = None,
    *,
    stats: NormalizeStats | None = None,
) -> Record:
    _require_object(doc)
    job = doc.get("TrainingJob")
    if isinstance(job, Mapping) and "TrainingJobName" not in doc:
        doc = job  # a Search result item
    data = _convert(doc, _DESCRIBE_PLAN, _DESCRIBE_KNOWN, stats)
    if tags is not None:
        data["tags"] = _hstore(tags, "tags")
    _identify(data, origin)
    return Record(data=data, origin=origin)


def from_seed(
    doc: Mapping[str, Any], origin: Origin, *, stats: NormalizeStats | None = None
) -> Record:
    _require_object(doc)
    data = _convert(doc, _SEED_PLAN, FIELDS_BY_NAME, stats)
    _identify(data, origin)
    return Record(data=data, origin=origin)


def _is_describe(doc: Mapping[str, Any]) -> bool:
    """True for the PascalCase shapes, False for snake_case ones, RecordError for neither."""
    _require_object(doc)
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
        raise RecordError(f"expected a JSON object, got {_type_name(doc)}")


def _convert(
    doc: Mapping[str, Any], plan: _Plan, known: Container[str], stats: NormalizeStats | None
) -> dict[str, Any]:
    """One pass over the seed fields: every field present, each value coerced to its type."""
    data: dict[str, Any] = {}
    seen = 0
    for name, key, coerce in plan:
        value = None if key is None else doc.get(key)
        if value is None:
            data[name] = None
            continue
        seen += 1
        if coerce is not None:
            data[name] = coerce(value, name)
        elif isinstance(value, str):
            data[name] = value
        else:
            raise _wrong(name, "a string", value)
    if stats is not None:
        stats.records += 1
        if len(doc) > seen:  # only then can there be keys the plan did not read
            stats.unknown_keys.update(k for k in doc if k not in known)
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
        f"field training_job_arn: expected a training-job ARN ({ARN_FORMAT})",
        field="training_job_arn",
    )


def _identify(data: dict[str, Any], origin: Origin) -> None:
    """Fill _key, training_job_arn/name, account_id and region from the ARN or the origin."""
    arn = data["training_job_arn"]
    if arn is None and isinstance(data["_key"], str) and data["_key"].startswith("arn:"):
        arn = data["_key"]
    if arn:
        account, region, name = parse_arn(arn)
        data.update(_key=arn, training_job_arn=arn, account_id=account, region=region)
        if not data["training_job_name"]:
            data["training_job_name"] = name
        return
    if not data["training_job_name"]:
        raise RecordError(
            "field training_job_name: a training job needs a name or an ARN "
            "(training_job_name / TrainingJobName or training_job_arn / TrainingJobArn)",
            field="training_job_name",
        )
    data["_key"] = data["_key"] or origin_key(origin)
    data["account_id"] = data["account_id"] or ""
    data["region"] = data["region"] or ""


# --- coercions: (value, field name) -> canonical value; value is never None here ---


def _bool(value: Any, name: str) -> bool | None:
    if value is True or value is False:
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("t", "true"):
            return True
        if text in ("f", "false"):
            return False
        if not text:
            return None
    raise _wrong(name, 'a boolean (true/false or "t"/"f"/"true"/"false")', value)


def _int64(value: Any, name: str) -> int | None:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.lstrip("+-").isdigit() and text.isascii():
            number = int(text)
    if number is None or not _INT64[0] <= number <= _INT64[1]:
        raise _wrong(name, "a 64-bit integer", value)
    return number


def _timestamp(value: Any, name: str) -> str | None:
    if isinstance(value, str) and not value.strip():
        return None
    try:
        return to_iso_utc(value)
    except ValueError:
        raise _wrong(
            name, "a timestamp (ISO-8601 text, datetime or epoch seconds)", value
        ) from None


def _json_seed(value: Any, name: str) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return None
        text, too_deep = value, False
        try:
            value = _JSON_TEXT.decode(text)
        except RecursionError:  # deeper than Python's stack
            too_deep = True
        except ValueError:
            raise RecordError(
                f"field {name}: expected {_container(name)} or JSON text of one, "
                "got text that is not valid JSON",
                field=name,
            ) from None
        # The file source bounds a document's nesting, but not that of JSON text inside it.
        if too_deep or (
            text.count("{") + text.count("[") > MAX_NESTING and _deeper_than(value, MAX_NESTING)
        ):
            raise RecordError(
                f"field {name}: expected at most {MAX_NESTING} levels of nesting", field=name
            )
    if name in _LIST_FIELDS:
        if isinstance(value, list):
            return value
    elif type(value) is dict:
        return value
    elif isinstance(value, Mapping):
        return dict(value)
    raise _wrong(name, _container(name), value)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("number out of range")
    return number


# NaN and Infinity are not JSON: in a record they would end up in the JSON report.
_JSON_TEXT = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def _json_describe(value: Any, name: str) -> Any:
    expected = (list, tuple) if name in _LIST_FIELDS else Mapping
    if not isinstance(value, expected):
        return _json_seed(value, name)  # CLI JSON and request files may carry JSON text
    return _plain(value, name, 1)


def _plain(value: Any, name: str, depth: int) -> Any:
    """`value` with datetimes (and epoch times under time keys) as ISO text; copy on change."""
    if depth > MAX_NESTING:
        raise RecordError(
            f"field {name}: expected at most {MAX_NESTING} levels of nesting", field=name
        )
    if isinstance(value, Mapping):
        out = None if type(value) is dict else dict(value)
        for key, item in value.items():
            if type(item) in _LEAF_TYPES:  # most values: no call, no copy
                if type(item) is float and not math.isfinite(item):
                    raise _non_finite(name)
                if key not in _NESTED_TIME_KEYS or item is None:
                    continue
                new = _nested_time(item)
            else:
                new = _plain(item, name, depth + 1)
            if new is not item:
                out = dict(value) if out is None else out
                out[key] = new
        return value if out is None else out
    if isinstance(value, (list, tuple)):
        items = None if type(value) is list else list(value)
        for index, item in enumerate(value):
            if type(item) in _LEAF_TYPES:
                if type(item) is float and not math.isfinite(item):
                    raise _non_finite(name)
                continue
            new = _plain(item, name, depth + 1)
            if new is not item:
                items = list(value) if items is None else items
                items[index] = new
        return value if items is None else items
    if isinstance(value, date):
        return to_iso_utc(value)
    return value


def _non_finite(name: str) -> RecordError:
    return RecordError(f"field {name}: expected finite numbers, got NaN or infinity", field=name)


def _nested_time(value: int | float | str) -> Any:
    if isinstance(value, bool):
        return value
    try:
        text = to_iso_utc(value)
    except ValueError:
        return value  # not ours to reject: nested values are kept as AWS sent them
    return value if text == value else text


def _hstore(value: Any, name: str) -> dict[str, str | None]:
    if isinstance(value, str):
        try:
            return parse_hstore(value)
        except ValueError as err:
            raise RecordError(f"field {name}: {err}", field=name) from None
    if type(value) is dict or isinstance(value, Mapping):
        return {_hstore_key(k, name): _hstore_value(v, name) for k, v in value.items()}
    if name == "tags" and isinstance(value, (list, tuple)):  # [{"Key": k, "Value": v}]
        out: dict[str, str | None] = {}
        for item in value:
            if not isinstance(item, Mapping) or "Key" not in item:
                raise _wrong(name, 'a map or a list of {"Key", "Value"} objects', item)
            out[_hstore_key(item["Key"], name)] = _hstore_value(item.get("Value"), name)
        return out
    raise _wrong(name, "a map of strings (an object or hstore text)", value)


def _hstore_key(key: Any, name: str) -> str:
    if isinstance(key, str):
        return key
    raise _wrong(name, "string keys", key)


def _hstore_value(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise _wrong(name, "string values", value)


def _container(name: str) -> str:
    return "a JSON array" if name in _LIST_FIELDS else "a JSON object"


def _wrong(name: str, expected: str, value: Any) -> RecordError:
    """The one error for a value of the wrong type: names its type, never the value."""
    return RecordError(f"field {name}: expected {expected}, got {_type_name(value)}", field=name)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


_Coerce = Callable[[Any, str], Any]
_Plan = tuple[tuple[str, str | None, _Coerce | None], ...]  # (field, input key, coercion)
_SEED_COERCE: dict[str, _Coerce | None] = {
    "string": None,  # inlined in _convert: most fields are strings
    "bool": _bool,
    "int64": _int64,
    "timestamp": _timestamp,
    "json": _json_seed,
    "hstore": _hstore,
}
_DESCRIBE_COERCE = {**_SEED_COERCE, "json": _json_describe}
_SEED_PLAN: _Plan = tuple((f.name, f.name, _SEED_COERCE[f.type]) for f in SEED_FIELDS)
_DESCRIBE_PLAN: _Plan = tuple((f.name, f.aws_key, _DESCRIBE_COERCE[f.type]) for f in SEED_FIELDS)
_DESCRIBE_KNOWN = frozenset(FIELDS_BY_AWS_KEY) | {"ResponseMetadata"}
