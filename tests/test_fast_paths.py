"""The per-record fast paths give what the plain ways give, for any input.

Each fast path is held to the straightforward way it replaces:

- a JSON line read by orjson (after the one-pass bracket and digit test) and the exact
  path through the standard decoder yield the same records and problems;
- a line read by the compiled reader of its key order (record/direct.py) gives what
  normalize gives, problems and counts included;
- `shapes.plain_job` says yes only to documents that `unwrap` takes as that one job;
- the layout-driven conversion (record/plan.py) equals a walk over the document's keys;
- the one-pattern ARN test equals the part-by-part one;
- the type-dispatched JSON walk and hstore coercion equal their generic versions;
- verdict leaves judged in place equal `Condition.holds`.

Messages bound once per evidence are checked in tests/test_messages.py, shared evidence in
tests/test_engine_exactness.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from collections import Counter, OrderedDict
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscan.engine import _FAIL, _NOT_APPLICABLE, _PASS
from smscan.errors import RecordError
from smscan.models import Origin, Status
from smscan.policy.conditions import EvalContext
from smscan.policy.fast import compile_fast
from smscan.policy.fast_source import compile_judge
from smscan.policy.loader import load_policies
from smscan.policy.model import Policy
from smscan.policy.operators import TypeMismatch
from smscan.record import coerce, direct
from smscan.record.normalize import NormalizeStats, normalize, parse_arn
from smscan.record.plan import _COMPILE_AFTER, DESCRIBE_PLAN, SEED_PLAN, Plan, as_given, lazy_plans
from smscan.record.shapes import Job, plain_job, unwrap
from smscan.record.timestamps import to_iso_utc
from smscan.sources import json_records
from smscan.sources.json_records import JsonRecords, read_lines
from tests.policy_helpers import write_policy
from tests.test_properties import documents, json_values

settings.register_profile("fast-paths", max_examples=150)
FIELDS = frozenset({"resource_config", "vpc_config", "stopping_condition", "enable_network_isolation"})


# --- reading a JSON line ----------------------------------------------------------------

big_ints = st.integers(2**63 - 5, 2**70) | st.integers(-(2**70), -(2**63) + 5)
line_values = st.recursive(
    json_values | big_ints,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)


def _nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


class _ExactRecords(JsonRecords):
    """Every line through the standard decoder."""

    def _fast(self, raw: bytes) -> Any:
        return json_records._MISS


def _read(lines: list[bytes], reader: JsonRecords) -> list[str]:
    items = reader.read_lines("f.jsonl", read_lines(io.BytesIO(b"".join(lines)), 1 << 20))
    return [repr(item) for item in items] + [repr(sorted(reader.stats.unknown_keys.items()))]


@settings(max_examples=150)
@given(
    docs=st.lists(documents("describe") | documents("seed") | line_values, min_size=1, max_size=4),
    extra=st.dictionaries(st.sampled_from(["Big", "Deep", "ResourceConfig", "Odd"]), line_values, max_size=2),
    depth=st.integers(0, 9),
    spaced=st.booleans(),
)
def test_a_line_read_by_orjson_gives_what_the_exact_path_gives(
    docs: list[Any], extra: dict[str, Any], depth: int, spaced: bool
) -> None:
    lines = []
    for doc in docs:
        if isinstance(doc, dict):
            doc = {**doc, **extra, "Deep": _nested(depth)}
        try:
            text = json.dumps(doc, separators=(", ", ": ") if spaced else (",", ":"), default=str)
        except (TypeError, ValueError):
            continue
        lines.append(text.encode() + b"\n")
    lines.append(b'{"TrainingJobName": "x", "N": 123456789012345678901}\n')  # a run of digits: exact path
    fast, exact = (cls(1 << 20, 8, NormalizeStats(), FIELDS) for cls in (JsonRecords, _ExactRecords))
    assert _read(lines, fast) == _read(lines, exact)


class _NormalizedRecords(JsonRecords):
    """Every plain job through normalize, never a compiled reader."""

    direct = False


_arns = st.sampled_from([
    "arn:aws:sagemaker:us-east-1:123456789012:training-job/a", "arn:aws-cn:sagemaker:cn-north-1:123456789012:training-job/b:c",
    "arn:aws:sagemaker:us-east-1:123456789012:training-job/", "arn:aws:sagemaker:us-east-1:12345678901:training-job/x",
    "arn:aws:s3:::bucket", "",
]) | st.none() | st.integers() | st.text(max_size=8)  # fmt: skip


@settings(max_examples=150)
@given(
    doc=documents("describe") | documents("seed"),
    arn=_arns,
    extra=st.dictionaries(st.sampled_from(["Odd", "ResponseMetadata", "TrainingJob", "_key", "Tags"]), json_values, max_size=2),
    lazy=st.booleans(),
    shuffled=st.randoms(use_true_random=False),
)
def test_a_line_read_by_the_reader_of_its_key_order_gives_what_normalize_gives(
    doc: dict[str, Any], arn: Any, extra: dict[str, Any], lazy: bool, shuffled: Any
) -> None:
    doc = {**doc, ("TrainingJobArn" if "TrainingJobName" in doc else "training_job_arn"): arn, **extra}
    try:
        line = json.dumps(doc, default=str).encode() + b"\n"
    except (TypeError, ValueError):
        return
    keys = list(doc)
    shuffled.shuffle(keys)
    other = json.dumps({k: doc[k] for k in keys}, default=str).encode() + b"\n"  # the same keys, another order
    # Seen often enough for its key order to get a reader, then read by it.
    lines = [line] * (direct.DIRECT_AFTER + 2) + [other] * (direct.DIRECT_AFTER + 2) + [line]
    read = FIELDS if lazy else None
    fast, plain = (cls(1 << 20, 200, NormalizeStats(), read) for cls in (JsonRecords, _NormalizedRecords))
    assert _read(lines, fast) == _read(lines, plain)
    assert fast.stats.records == plain.stats.records


def test_the_fleet_lines_are_read_by_their_compiled_readers() -> None:
    """The case the readers are for, taken by them (and so held to normalize by the test above)."""
    doc = {"TrainingJobName": "a", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/a",
           "ResourceConfig": {"InstanceCount": 2}, "EnableNetworkIsolation": True, "Odd": 1}  # fmt: skip
    line = json.dumps(doc).encode() + b"\n"
    reader = JsonRecords(1 << 20, 200, NormalizeStats(), FIELDS)
    count = direct.DIRECT_AFTER + 3
    items = list(reader.read_lines("f.jsonl", read_lines(io.BytesIO(line * count), 1 << 20)))
    assert tuple(doc) in direct.table(FIELDS).by_keys
    assert len({repr(item.data) for item in items}) == 1 and [item.origin.line for item in items] == list(range(1, count + 1))
    assert reader.stats.records == count and reader.stats.unknown_keys == Counter(Odd=count)


def test_the_bracket_and_digit_test_sends_the_lines_orjson_would_misread_to_the_exact_path() -> None:
    reader = JsonRecords(1 << 20, 3, NormalizeStats())
    assert reader._fast(b'{"a": [[1]]}') == {"a": [[1]]}  # three brackets: within max_depth
    assert reader._fast(b'{"a": [[[1]]]}') is json_records._MISS  # four
    assert reader._fast(b'{"a": 1234567890123456789}') is json_records._MISS  # 19 digits
    assert reader._fast(b'{"a": "12-3456789012345678"}') == {"a": "12-3456789012345678"}
    assert reader._fast(b'{"a": 1[2345678901234567890}') is json_records._MISS  # brackets dropped: a run


# --- unwrapping --------------------------------------------------------------------------

shape_keys = st.sampled_from(
    ["TrainingJobName", "TrainingJobArn", "training_job_name", "_key", "detail-type", "source", "detail",
     "Records", "Events", "eventSource", "eventName", "status_code", "data", "TrainingJobSummaries", "Tags"]
)  # fmt: skip


@given(st.dictionaries(shape_keys, st.just("x") | st.lists(st.just({}), max_size=1) | st.just({}), max_size=5))
def test_a_plain_job_is_what_unwrap_takes_as_that_one_job(doc: dict[str, Any]) -> None:
    if plain_job(doc):
        found = unwrap(doc)
        assert found.jobs == [Job(doc, "")] and not found.refused and not found.notes and not found.skipped


# --- converting the fields ---------------------------------------------------------------


def _walk_keys(doc: Mapping[str, Any], plan: Plan, stats: Counter[str]) -> dict[str, Any]:
    """The conversion as a plain walk over the document's keys."""
    data = dict.fromkeys(plan_fields())
    unmapped = False
    for key, value in doc.items():
        entry = plan.by_key.get(key)
        if entry is None:
            unmapped = True
            continue
        if value is None:
            continue
        name, convert = entry
        if convert is None:
            if not isinstance(value, str):
                raise coerce.wrong(name, "a string", value)
            data[name] = value
        else:
            data[name] = convert(value, name)
    if unmapped:
        stats.update(k for k in doc if k not in plan.known)
    return data


def plan_fields() -> tuple[str, ...]:
    from smscan.record.plan import ORDER

    return ORDER


def _outcome(convert: Any, *args: Any) -> Any:
    try:
        return repr(convert(*args))
    except RecordError as err:
        return ("error", err.detail, err.field)


@settings(max_examples=200)
@given(doc=documents("describe") | documents("seed"), lazy=st.booleans())
def test_the_layout_conversion_equals_a_walk_over_the_keys(doc: dict[str, Any], lazy: bool) -> None:
    describe, seed = lazy_plans(FIELDS) if lazy else (DESCRIBE_PLAN, SEED_PLAN)
    for plan in (describe, seed):
        ours, theirs = Counter[str](), Counter[str]()
        for _ in range(_COMPILE_AFTER + 1):  # from the cached layout, then from its compiled walk
            assert _outcome(plan.convert, doc, ours) == _outcome(_walk_keys, doc, plan, theirs)
        assert ours == theirs
    assert any(entry[1] is as_given for entry in lazy_plans(FIELDS)[0].by_key.values())


def _arn_parts(arn: str) -> tuple[str, str, str] | None:
    parts = arn.split(":", 5)
    if (
        len(parts) == 6
        and parts[0] == "arn"
        and re.fullmatch(r"aws(?:-[a-z]+)*", parts[1])
        and parts[2] == "sagemaker"
        and re.fullmatch(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}", parts[3], re.ASCII)
        and re.fullmatch(r"\d{12}", parts[4], re.ASCII)
        and parts[5].startswith("training-job/")
        and len(parts[5]) > len("training-job/")
    ):
        return parts[4], parts[3], parts[5][len("training-job/") :]
    return None


arn_pieces = st.lists(
    st.sampled_from(["arn", "aws", "aws-cn", "aws-us-gov", "sagemaker", "us-east-1", "eu-west-12", "x-1",
                     "123456789012", "12345678901", "training-job/", "job", ":", "/", "\n", "١", "A", "-"]),
    max_size=12,
)  # fmt: skip


@settings(max_examples=300)
@given(arn_pieces.map("".join) | arn_pieces.map(":".join))
def test_the_arn_pattern_equals_the_part_by_part_test(arn: str) -> None:
    expected = _arn_parts(arn)
    if expected is None:
        with pytest.raises(RecordError):
            parse_arn(arn)
    else:
        assert parse_arn(arn) == expected
    good = "arn:aws:sagemaker:us-east-1:123456789012:training-job/a:b\nc"
    assert parse_arn(good) == _arn_parts(good) == ("123456789012", "us-east-1", "a:b\nc")


@settings(max_examples=300)
@given(arn_pieces.map("".join), arn_pieces.map("".join))
def test_an_arn_after_one_of_the_same_prefix_is_parsed_as_the_pattern_parses_it(head: str, tail: str) -> None:
    """parse_arn remembers the prefixes it took: an ARN sharing one is judged as by the pattern."""
    for seen in (head + ":training-job/x", "arn:aws:sagemaker:us-east-1:123456789012:training-job/x"):
        with contextlib.suppress(RecordError):
            parse_arn(seen)  # remembered when taken
        prefix = seen[: seen.find(":training-job/")]
        for arn in (prefix + tail, prefix + ":training-job/" + tail, prefix + ":training-job/:training-job/" + tail):
            expected = _arn_parts(arn)
            for _ in range(2):
                if expected is None:
                    with pytest.raises(RecordError):
                        parse_arn(arn)
                else:
                    assert parse_arn(arn) == expected


def _plain_reference(value: Any, name: str, depth: int) -> Any:
    """The JSON walk with generic type tests."""
    if depth > coerce.MAX_NESTING:
        raise RecordError(f"expected at most {coerce.MAX_NESTING} levels of nesting", field=name)
    leaves = {str, int, float, bool, type(None)}
    if isinstance(value, Mapping):
        out = None if type(value) is dict else dict(value)
        for key, item in value.items():
            if type(item) in leaves:
                if type(item) is float and not math.isfinite(item):
                    raise RecordError("expected finite numbers, got NaN or infinity", field=name)
                if key not in coerce._NESTED_TIME_KEYS or item is None:
                    continue
                new = coerce._nested_time(item)
            else:
                new = _plain_reference(item, name, depth + 1)
            if new is not item:
                out = dict(value) if out is None else out
                out[key] = new
        return value if out is None else out
    if isinstance(value, (list, tuple)):
        items = None if type(value) is list else list(value)
        for index, item in enumerate(value):
            if type(item) in leaves:
                if type(item) is float and not math.isfinite(item):
                    raise RecordError("expected finite numbers, got NaN or infinity", field=name)
                continue
            new = _plain_reference(item, name, depth + 1)
            if new is not item:
                items = list(value) if items is None else items
                items[index] = new
        return value if items is None else items
    return to_iso_utc(value) if isinstance(value, date) else value


class _Text(str):
    pass


class _Items(list):  # type: ignore[type-arg]
    pass


odd_leaves = (
    st.just(float("nan")) | st.just(math.inf) | st.builds(_Text, st.text(max_size=3))
    | st.just(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) | st.just(date(2026, 1, 2))
    | st.sampled_from([1700000000, 1700000000.5, "2026-01-02T03:04:05Z", "2026-01-02 03:04:05"])
)  # fmt: skip
time_keys = st.sampled_from(["StartTime", "EndTime", "Timestamp", "Value", "Subnets"])
walk_values = st.recursive(
    json_values | odd_leaves,
    lambda inner: st.lists(inner, max_size=3)
    | st.lists(inner, max_size=3).map(tuple)
    | st.lists(inner, max_size=3).map(_Items)
    | st.dictionaries(time_keys, inner, max_size=3)
    | st.dictionaries(time_keys, inner, max_size=3).map(OrderedDict),
    max_leaves=10,
)


@settings(max_examples=300)
@given(walk_values, st.sampled_from(["resource_config", "secondary_status_transitions"]))
def test_the_typed_json_walk_equals_the_generic_one(value: Any, name: str) -> None:
    assert _outcome(coerce._plain, value, name, 1) == _outcome(_plain_reference, value, name, 1)
    if isinstance(value, (list, tuple) if name in coerce._LIST_FIELDS else Mapping):
        assert _outcome(coerce._json_describe, value, name) == _outcome(_plain_reference, value, name, 1)


def _hstore_reference(value: Any, name: str) -> dict[str, str | None]:
    if isinstance(value, Mapping):
        return {coerce._hstore_key(k, name): coerce._hstore_value(v, name) for k, v in value.items()}
    out: dict[str, str | None] = {}
    for item in value:
        if not isinstance(item, Mapping) or "Key" not in item:
            raise coerce.wrong(name, 'a map or a list of {"Key", "Value"} objects', item)
        out[coerce._hstore_key(item["Key"], name)] = coerce._hstore_value(item.get("Value"), name)
    return out


hstore_leaves = st.none() | st.text(max_size=3) | st.booleans() | st.integers() | st.lists(st.none(), max_size=1)
hstore_keys = st.text(max_size=3) | st.integers(0, 3)


@settings(max_examples=300)
@given(
    st.dictionaries(hstore_keys, hstore_leaves, max_size=4)
    | st.lists(st.fixed_dictionaries({"Key": hstore_keys}, optional={"Value": hstore_leaves}) | st.just({}), max_size=4)
)
def test_the_hstore_fast_paths_equal_the_generic_coercion(value: Any) -> None:
    assert _outcome(coerce.hstore, value, "tags") == _outcome(_hstore_reference, value, "tags")


# --- judging -------------------------------------------------------------------------------

LEAVES = [
    {"path": "$.enable_network_isolation", "equals": True},
    {"path": "$.enable_network_isolation", "equals": False},
    {"path": "$.stopping_condition.MaxRuntimeInSeconds", "le": 86400},
    {"path": "$.stopping_condition.MaxRuntimeInSeconds", "gt": 1},
    {"path": "$.stopping_condition.MaxRuntimeInSeconds", "ge": 2.5},
    {"path": "$.stopping_condition.MaxRuntimeInSeconds", "lt": -1},
    {"path": "$.resource_config.InstanceType", "matches": "^ml\\.p"},
    {"path": "$.resource_config.InstanceType", "equals": "ml.p4d"},
    {"path": "$.resource_config.InstanceGroups[*].InstanceCount", "gt": 1, "match": "any"},
    {"path": "$.resource_config.InstanceGroups[*].InstanceType", "matches": "^ml\\.g"},
    {"path": "$.resource_config.InstanceGroups", "length_ge": 2},
    {"path": "$.vpc_config.Subnets", "not_empty": True},
    {"path": "$.vpc_config.Subnets", "empty": True},
    {"path": "$.vpc_config", "exists": True},
    {"path": "$.vpc_config.SecurityGroupIds", "absent": True},
]
odd_values = json_values | st.sampled_from([True, False, 1, 0, 1.0, 2**64, -2.5, "", "ml.p4d.24xlarge", [], {}])
records = st.fixed_dictionaries(
    {},
    optional={
        "enable_network_isolation": odd_values,
        "stopping_condition": st.dictionaries(st.just("MaxRuntimeInSeconds"), odd_values) | odd_values,
        "resource_config": st.dictionaries(
            st.sampled_from(["InstanceType", "InstanceGroups", "InstanceCount"]),
            odd_values | st.lists(st.dictionaries(st.sampled_from(["InstanceType", "InstanceCount"]), odd_values)),
        )
        | odd_values,
        "vpc_config": st.dictionaries(st.sampled_from(["Subnets", "SecurityGroupIds"]), odd_values) | odd_values,
    },
)


def _verdict(judge: Any, *args: Any) -> Any:
    try:
        return bool(judge(*args))
    except TypeMismatch as exc:
        return ("mismatch", str(exc))


@pytest.fixture(scope="module")
def leaf_policies(tmp_path_factory: pytest.TempPathFactory) -> list[Policy]:
    folder = tmp_path_factory.mktemp("leaves")
    paths = [write_policy(folder, "check: " + json.dumps(leaf) + "\n", f"leaf-{i}") for i, leaf in enumerate(LEAVES)]
    return load_policies(paths)


@settings(max_examples=300)
@given(data=records)
def test_leaves_judged_in_place_equal_holds(leaf_policies: list[Policy], data: dict[str, Any]) -> None:
    for policy in leaf_policies:
        fast = compile_fast(policy.check)
        assert _verdict(fast, data, {}) == _verdict(policy.check.holds, EvalContext(data)), policy.id
        # the policy's generated verdict (policy/fast_source.py), its error message included
        generated = compile_judge(policy, _PASS, _FAIL, _NOT_APPLICABLE)
        assert generated is not None
        status, error = generated(data, {})
        expected = _verdict(fast, data, {})
        assert (("mismatch", error) if status is Status.ERROR else status is Status.PASS) == expected, policy.id


def test_normalize_reads_the_fleet_line_the_same_with_and_without_the_cached_layout() -> None:
    doc = {"TrainingJobName": "a", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/a",
           "ResourceConfig": {"InstanceCount": 2}, "Tags": [{"Key": "k", "Value": "v"}], "ResponseMetadata": {}}  # fmt: skip
    stats = NormalizeStats()
    first = normalize(doc, Origin("f", 1), stats=stats, read=FIELDS)
    again = normalize(dict(doc), Origin("f", 1), stats=stats, read=FIELDS)
    assert first == again and first.data["tags"] == {"k": "v"} and first.data["account_id"] == "123456789012"
    assert stats.records == 2 and not stats.unknown_keys  # ResponseMetadata is known, not counted
