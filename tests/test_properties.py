"""Property tests: any record built from the seed schema's types, right or plausibly wrong.

- normalization never raises anything but RecordError (whichever shape the document has);
- every built-in policy yields exactly one status per record, and the same one when the
  record is read back from its own JSON or its json columns arrive as JSON text;
- a value of the wrong type for a policy's operator is ERROR for that policy, never PASS.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smscan.engine import Engine
from smscan.errors import RecordError
from smscan.models import Origin, Record, Status
from smscan.policy.loader import load_policies
from smscan.record.hstore import format_hstore
from smscan.record.normalize import normalize
from smscan.record.schema import SEED_FIELDS, SeedField

ORIGIN = Origin("prop.jsonl", line=1)
ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/"
# Keys the built-in policies read inside json fields, so generated values reach them.
AWS_KEYS = [
    "MaxRuntimeInSeconds", "MaxWaitTimeInSeconds", "MaximumRetryAttempts", "Subnets", "SecurityGroupIds",
    "VolumeKmsKeyId", "KmsKeyId", "S3OutputPath", "InstanceType", "InstanceCount", "TrainingImage",
    "EnableRemoteDebug", "S3Uri", "LocalPath", "ChannelName", "DataSource", "InputMode",
]  # fmt: skip

LIST_FIELDS = {
    "debug_rule_configurations", "debug_rule_evaluation_statuses", "final_metric_data_list",
    "input_data_config", "profiler_rule_configurations", "profiler_rule_evaluation_statuses",
    "secondary_status_transitions",
}  # fmt: skip
settings.register_profile("props", max_examples=60, suppress_health_check=[HealthCheck.too_slow])

# Finite floats only: NaN and Infinity never get past the JSON parsers (test_bad_input.py).
scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
keys = st.sampled_from(AWS_KEYS) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=20,
)
json_objects = st.dictionaries(keys, json_values, max_size=6)
plausible_text = st.sampled_from(["", " ", "t", "f", "TRUE", "null", "NULL", "[]", "{}", "12", "1.5", "-0", "abc"])
wrong = st.integers() | st.booleans() | st.floats() | st.lists(st.integers(), max_size=2) | plausible_text


def _timestamps() -> st.SearchStrategy[Any]:
    moments = st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)
    )
    return st.one_of(
        moments,
        moments.map(lambda d: d.isoformat()),
        moments.map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S+00")),
        moments.map(lambda d: (d + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S.%f+05:00")),
        st.integers(-(2**40), 2**40),
        st.floats(),
        st.text(max_size=30),
    )


hstore_maps = st.dictionaries(st.text(max_size=10), st.none() | st.text(max_size=20), max_size=5)
# Values each seed type accepts, in every spelling the sources produce ...
RIGHT: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(max_size=30),
    "json": json_objects | json_objects.map(json.dumps),
    "bool": st.booleans() | st.sampled_from(["t", "f", "true", "FALSE", ""]),
    "hstore": hstore_maps
    | hstore_maps.map(format_hstore)
    | st.dictionaries(st.text(max_size=5), st.none() | st.booleans() | st.integers(), max_size=3),
    "timestamp": _timestamps(),
    "int64": st.integers(-(2**63), 2**63 - 1) | st.integers(-(2**40), 2**40).map(str),
}
# ... and wrong but plausible ones: the other types, text that almost parses, numbers out of range.
WRONG: dict[str, st.SearchStrategy[Any]] = {
    "string": st.integers() | st.booleans() | st.lists(st.text(max_size=3), max_size=2),
    "json": json_values | st.text(max_size=20),
    "bool": wrong,
    "hstore": st.text(max_size=30)
    | st.dictionaries(st.text(max_size=5), st.lists(st.text(), max_size=2) | json_objects, min_size=1, max_size=2)
    | st.lists(st.fixed_dictionaries({"Key": st.text(max_size=5), "Value": st.text(max_size=5)}), max_size=3)
    | wrong,
    "timestamp": st.floats() | st.text(max_size=30) | st.booleans() | st.integers(2**60, 2**70),
    "int64": st.integers(2**63, 2**70) | st.floats() | st.text(max_size=25) | wrong,
}


def _field_value(fld: SeedField) -> st.SearchStrategy[Any]:
    right = STRATEGIES_RIGHT(fld)
    # Mostly right, so that many records get through to the engine; now and then wrong.
    return st.integers(0, 24).flatmap(lambda i: WRONG[fld.type] if i == 0 else st.none() if i < 4 else right)


def STRATEGIES_RIGHT(fld: SeedField) -> st.SearchStrategy[Any]:  # noqa: N802
    if fld.name in ("_key", "training_job_arn"):
        return st.text(max_size=10).map(lambda n: ARN + n) | st.text(max_size=20)
    if fld.name in LIST_FIELDS:
        items = st.lists(json_objects, max_size=3)
        return items | items.map(json.dumps)
    return RIGHT[fld.type]


def documents(shape: str) -> st.SearchStrategy[dict[str, Any]]:
    fields = [f for f in SEED_FIELDS if shape == "seed" or f.aws_key]
    key = (lambda f: f.name) if shape == "seed" else (lambda f: f.aws_key)
    name = "training_job_name" if shape == "seed" else "TrainingJobName"
    return st.fixed_dictionaries(
        {name: st.integers(0, 9).flatmap(lambda i: st.none() if i == 0 else st.text(min_size=1, max_size=12))},
        optional={key(f): _field_value(f) for f in fields if key(f) != name},
    )


@functools.lru_cache(maxsize=1)
def engine() -> Engine:
    return Engine(load_policies(), explain_passed=True)


@functools.lru_cache(maxsize=1)
def policy_ids() -> list[str]:
    return sorted(p.id for p in load_policies())


def _statuses(record: Record) -> dict[str, Status]:
    verdicts = list(engine().evaluate(record))
    ids = [v.policy.id for v in verdicts]
    assert sorted(ids) == policy_ids(), "every policy yields exactly one status"
    return {v.policy.id: v.status for v in verdicts}


@settings(settings.get_profile("props"))
@given(st.sampled_from(["seed", "describe"]).flatmap(documents))
def test_normalize_raises_only_record_error_and_every_policy_gives_one_status(doc: dict[str, Any]) -> None:
    try:
        record = normalize(doc, ORIGIN)
    except RecordError as err:
        assert str(err) and "\n" not in str(err)
        return
    text = json.dumps(record.data, allow_nan=False)  # what reports serialise: plain JSON only
    # A record read back from its own seed-schema JSON is the same record, judged the same.
    again = normalize(json.loads(text), ORIGIN)
    assert again.data == record.data
    assert _statuses(again) == _statuses(record)


@settings(settings.get_profile("props"))
@given(documents("seed"))
def test_inventory_rows_as_text(doc: dict[str, Any]) -> None:
    # The same documents with every json column as JSON text, as inventory exports write
    # them, read the same way: the same statuses, or the same refusal.
    row = {k: json.dumps(v) if k in JSON_FIELDS and isinstance(v, (dict, list)) else v for k, v in doc.items()}
    assert _statuses_or_refusal(row) == _statuses_or_refusal(doc)


JSON_FIELDS = frozenset(f.name for f in SEED_FIELDS if f.type == "json")


def _statuses_or_refusal(doc: dict[str, Any]) -> dict[str, Status] | str:
    try:
        return _statuses(normalize(doc, ORIGIN))
    except RecordError as err:
        return f"refused: {err.field}"


# --- ERROR never turns into PASS: a non-number where a policy compares numbers
non_numbers = st.text(max_size=10) | st.booleans() | st.lists(st.integers(), min_size=1, max_size=2) | st.dictionaries(
    st.text(max_size=3), st.integers(), min_size=1, max_size=2
)
numbers = st.integers(0, 10**6)


def _record(**data: Any) -> Record:
    return normalize({"training_job_arn": ARN + "p", **data}, ORIGIN)


@settings(settings.get_profile("props"))
@given(bad=non_numbers)
def test_max_runtime_of_the_wrong_type_is_error(bad: Any) -> None:
    status = _statuses(_record(stopping_condition={"MaxRuntimeInSeconds": bad}))["max-runtime-limit"]
    assert status is Status.ERROR


@settings(settings.get_profile("props"))
@given(bad=non_numbers)
def test_retry_limit_of_the_wrong_type_is_error(bad: Any) -> None:
    status = _statuses(_record(retry_strategy={"MaximumRetryAttempts": bad}))["retry-limit"]
    assert status is Status.ERROR


@settings(settings.get_profile("props"))
@given(bad=non_numbers, runtime=numbers, flip=st.booleans())
def test_spot_max_wait_of_the_wrong_type_is_error(bad: Any, runtime: int, flip: bool) -> None:
    condition = {"MaxWaitTimeInSeconds": bad, "MaxRuntimeInSeconds": runtime}
    if flip:  # the wrong type on the other side of the comparison
        condition = {"MaxWaitTimeInSeconds": runtime, "MaxRuntimeInSeconds": bad}
    record = _record(enable_managed_spot_training=True, stopping_condition=condition)
    assert _statuses(record)["spot-max-wait"] is not Status.PASS


@settings(settings.get_profile("props"))
@given(doc=documents("seed"), bad=non_numbers)
def test_a_wrong_type_never_passes_whatever_else_the_record_holds(doc: dict[str, Any], bad: Any) -> None:
    doc = {**doc, "training_job_arn": ARN + "w", "stopping_condition": {"MaxRuntimeInSeconds": bad}}
    doc.pop("_key", None)
    try:
        record = normalize(doc, ORIGIN)
    except RecordError:
        return
    assert _statuses(record)["max-runtime-limit"] is Status.ERROR


# --- values known only at run time, on records of any shape: one status per policy, the
# baseline's (bench/baseline_kleene.py), and never a crash whatever the types around them
RUN_TIME_PLACES = st.sampled_from([
    "", "/environment", "/environment/DB_PASSWORD", "/environment/STAGE", "/tags", "/tags/owner",
    "/vpc_config/Subnets", "/vpc_config/Subnets/0", "/output_data_config/S3OutputPath",
    "/stopping_condition/MaxRuntimeInSeconds", "/stopping_condition/MaxWaitTimeInSeconds",
    "/enable_managed_spot_training", "/resource_config/InstanceType", "/resource_config/InstanceGroups/0",
    "/algorithm_specification/TrainingImage", "/input_data_config/0/DataSource", "/hyper_parameters",
])  # fmt: skip


@functools.lru_cache(maxsize=1)
def baseline() -> Any:
    from bench.baseline_engine import BaselineEngine

    return BaselineEngine(load_policies())


@settings(settings.get_profile("props"))
@given(documents("seed"), st.lists(RUN_TIME_PLACES, min_size=1, max_size=3, unique=True))
def test_run_time_values_on_any_record_give_the_baselines_statuses(doc: dict[str, Any], places: list[str]) -> None:
    try:
        data = normalize(doc, ORIGIN).data
    except RecordError:
        return
    for pointer in places:  # as the request cleaner leaves them: map entries out, list items None
        *parents, last = pointer.split("/")[1:] or [""]
        parent: Any = data
        for token in parents:
            parent = parent.get(token) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(last, None)
        elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
            parent[int(last)] = None
    unknown = {p: "set at run time (test) at prop.json:1" for p in places}
    statuses = _statuses(Record(data=data, origin=ORIGIN, unknown=unknown))
    assert statuses == dict(baseline().evaluate(data, unknown))
    assert Status.PASS not in statuses.values() or "" not in unknown  # the whole job unknown: no PASS
