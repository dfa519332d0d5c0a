"""The engine's cheap ways to a finding give exactly what the plain ways give.

- A memo key (explain_memo) shared by two jobs means values that show alike: a job served
  from the memo gets the finding explaining it alone gives, compared by repr (which tells
  apart 1, 1.0 and True, a list and a tuple, a map's key order, -0.0 and 0.0), on values
  chosen to be equal without showing alike.
- `new_finding` and `Resource.of` make values indistinguishable from the dataclass
  constructors' (fields and their order, equality, hash, repr, pickle, frozenness).

Message finishing (policy/bound.py) is held to rendering in tests/test_messages.py.
"""

from __future__ import annotations

import dataclasses
import math
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscan.engine import Engine, explain
from smscan.explain_memo import EvidenceMemo
from smscan.memo_walk import ABSENT
from smscan.models import (
    Finding,
    Origin,
    Record,
    Resource,
    Severity,
    Status,
    new_finding,
    new_origin,
    new_record,
)
from smscan.policy.loader import load_policies
from tests.factories import make_record

# Values that equality merges but evidence shows apart, the markers' own reprs as strings,
# secrets, and shapes a key must fall back to repr for.
ODD = [
    1, 1.0, True, 0, 0.0, -0.0, False, "1", "<absent>", "<true>", "<repr>", None,
    [], [1], [1.0], [True], [0], [False], (1,), [[1]], [(1,)], {"a": 1, "b": 2}, {"b": 2, "a": 1},
    math.nan, 2**70, "AKIAABCDEFGHIJKLMNOP", "ml.p4d.24xlarge", "job name", "\x00",
]  # fmt: skip
# Mostly from the few odd values, so that two jobs of a handful often meet on one.
odd = st.sampled_from(ODD) | st.sampled_from(ODD) | st.sampled_from(ODD) | st.integers(-2, 2) | st.text(max_size=2)
MISSING = object()  # the field is left out of the record
maybe = st.just(MISSING) | odd | odd | st.lists(odd, max_size=2)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    data = make_record("job").data
    for field, inner in (
        ("enable_network_isolation", None),
        ("enable_inter_container_traffic_encryption", None),
        ("stopping_condition", ("MaxRuntimeInSeconds",)),
        ("vpc_config", ("Subnets", "SecurityGroupIds")),
        ("resource_config", ("InstanceCount", "InstanceType", "VolumeKmsKeyId", "InstanceGroups")),
        ("tags", ("owner", "smscan:waive:network-isolation")),
    ):
        if inner is None or draw(st.booleans()):
            value = draw(maybe)
        else:
            value = {}
            for key in inner:
                item = draw(maybe | st.lists(st.fixed_dictionaries({"InstanceCount": odd, "InstanceType": odd}), max_size=2))
                if item is not MISSING:
                    value[key] = item
        if value is MISSING:
            data.pop(field, None)
        else:
            data[field] = value
    data["training_job_name"] = draw(st.sampled_from(["job", "a b", "", "x\x00y", "tab\there", "\u3000"]))
    return data


@pytest.fixture(scope="module")
def pack() -> list[Any]:
    return load_policies((), {})


@settings(max_examples=200, deadline=None)
@given(docs=st.lists(records(), min_size=2, max_size=6))
def test_a_memoized_finding_is_the_one_explained_alone(pack: list[Any], docs: list[dict[str, Any]]) -> None:
    engine = Engine(pack, explain_passed=True)
    plain = {p.id: j for p, j, _ in engine._judges}
    for i, data in enumerate(docs * 2):  # the second round is served from the memo
        record = Record(data=data, origin=Origin("f.jsonl", i + 1))
        for policy, status, finding in engine.judge(record):
            error = plain[policy.id](data, {})[1]
            assert repr(finding) == repr(explain(policy, record, status, error)), policy.id


def test_every_odd_value_at_every_read_place_is_explained_as_alone(pack: list[Any]) -> None:
    """Each odd value in turn at each place the five checks read, all through one engine."""
    engine = Engine(pack, explain_passed=True)
    plain = {p.id: j for p, j, _ in engine._judges}
    docs = []
    for field, key in (
        ("enable_network_isolation", None), ("enable_inter_container_traffic_encryption", None),
        ("stopping_condition", "MaxRuntimeInSeconds"), ("vpc_config", "Subnets"),
        ("resource_config", "InstanceCount"), ("resource_config", "InstanceType"),
        ("resource_config", "VolumeKmsKeyId"), ("resource_config", "InstanceGroups"),
    ):  # fmt: skip
        for value in [*ODD, MISSING]:
            data = make_record("job").data
            if key is None:
                data[field] = value
            else:
                data[field] = {**data[field], key: value}
                if field == "resource_config" and key == "InstanceGroups":
                    data[field][key] = [{"InstanceCount": value, "InstanceType": value}]
            if value is MISSING:
                (data if key is None else data[field]).pop(key or field)
            docs.append(data)
    for i, data in enumerate(docs):
        record = Record(data=data, origin=Origin("f.jsonl", i + 1))
        for policy, status, finding in engine.judge(record):
            error = plain[policy.id](data, {})[1]
            assert repr(finding) == repr(explain(policy, record, status, error)), (policy.id, data)


def _shown(policy: Any, record: Record) -> str:
    """What the evidence of the record's FAIL shows, explained alone."""
    return repr(explain(policy, record, Status.FAIL).evidence)


def _read(policy: Any, record: Record) -> str:
    """The values at every path the policy reads, as they are."""
    paths = {p.text: p for c in (policy.when, policy.check) if c is not None for leaf in c.leaves()
             for p in (leaf.subject, leaf.arg_path) if p is not None}  # fmt: skip
    return repr([paths[t].find(record.data) for t in sorted(paths)])


@settings(max_examples=200, deadline=None)
@given(docs=st.lists(records(), min_size=2, max_size=8))
def test_equal_keys_mean_values_that_show_alike(pack: list[Any], docs: list[dict[str, Any]]) -> None:
    for policy in pack:
        memo = EvidenceMemo(policy)
        if memo.fields is None:
            continue
        rs = [Record(d, Origin("f")) for d in docs]
        keyed = [(memo.key(r, Status.FAIL, ""), _shown(policy, r), _read(policy, r)) for r in rs]
        for ka, sa, ra in keyed:
            for kb, sb, rb in keyed:
                if ka is not None and ka == kb:
                    assert sa == sb, policy.id
                if ka is not None and kb is not None and ra == rb:
                    assert ka == kb, policy.id  # and jobs share at least as much as by every value read


def test_keys_tell_apart_what_equality_merges() -> None:
    policy = next(p for p in load_policies((), {}) if p.id == "network-isolation")
    memo = EvidenceMemo(policy)
    values = [1, 1.0, True, "1", None, [1], [True], [1.0], (1,), -0.0, 0.0, 0, False, ABSENT]
    keys = set()
    for value in values:
        data = {} if value is ABSENT else {"enable_network_isolation": value}
        keys.add(memo.key(Record(data, Origin("x")), Status.FAIL, ""))
    assert len(keys) == len(values)


FINDING_ARGS = [
    ("p", Severity.HIGH, Status.FAIL, "m", ()),
    ("no-secrets-in-tags", Severity.CRITICAL, Status.ERROR, "", ()),
]


@pytest.mark.parametrize("args", FINDING_ARGS)
def test_new_finding_is_the_dataclass_value(args: tuple[Any, ...]) -> None:
    policy_id, severity, status, message, evidence = args
    resource = Resource.of(make_record("j"))
    fast = new_finding(policy_id, severity, status, resource, message, evidence)
    slow = Finding(policy_id, severity, status, resource, message, evidence)
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert list(vars(fast)) == [f.name for f in dataclasses.fields(Finding)]
    assert pickle.dumps(fast, protocol=5) == pickle.dumps(slow, protocol=5)
    assert pickle.loads(pickle.dumps(fast)) == slow
    assert dataclasses.replace(fast, status=Status.WAIVED) == dataclasses.replace(slow, status=Status.WAIVED)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.message = "x"  # type: ignore[misc]


def test_new_origin_and_new_record_are_the_dataclass_values() -> None:
    fast_origin, slow_origin = new_origin("f.jsonl", 7), Origin("f.jsonl", 7)
    data = {"training_job_name": "j"}
    fast, slow = new_record(data, fast_origin), Record(data, slow_origin)
    for a, b, cls in ((fast_origin, slow_origin, Origin), (fast, slow, Record)):
        assert a == b and repr(a) == repr(b) and str(a) == str(b)
        assert list(vars(a)) == [f.name for f in dataclasses.fields(cls)]
        assert pickle.dumps(a, protocol=5) == pickle.dumps(b, protocol=5)
        assert dataclasses.replace(a) == b
    assert hash(fast_origin) == hash(slow_origin)
    assert fast.key_lines == {} and fast.unknown == {} and fast.key_lines is not new_record(data, fast_origin).key_lines
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.data = {}  # type: ignore[misc]


identity_values = st.sampled_from([None, "", 0, 5, True, "x", "a b", "x\x00", ("t",), 1.5, -0.0])


@given(key=identity_values, name=identity_values, account=identity_values, region=identity_values, status=identity_values)
def test_resource_of_is_the_dataclass_value(key: Any, name: Any, account: Any, region: Any, status: Any) -> None:
    data = {"_key": key, "training_job_name": name, "account_id": account, "region": region, "training_job_status": status}
    data = {k: v for k, v in data.items() if v is not None or k == "region"}  # absent and null alike
    record = Record(data, Origin("f.jsonl", 3))
    fast = Resource.of(record)
    slow = Resource(
        str(data.get("_key") or ""),
        str(data.get("training_job_name") or ""),
        str(data.get("account_id") or ""),
        str(data.get("region") or ""),
        data.get("training_job_status"),
        record.origin,
    )
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert list(vars(fast)) == [f.name for f in dataclasses.fields(Resource)]
    assert pickle.dumps(fast, protocol=5) == pickle.dumps(slow, protocol=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.arn = "x"  # type: ignore[misc]
