"""The fast path is exact: smscan's engine and the straightforward jsonpath-ng baseline
(bench/baseline_engine.py) give the same status for every (policy, record) of a generated
fleet, and the engine's three ways to a verdict (statuses, judge, holds) agree. Records
with values known only at run time are judged three-valued by both, alike, and a status
decided despite them is sound: filling the values in never changes it. No timings."""

from __future__ import annotations

import copy
import random
import re
from collections import Counter
from typing import Any

import pytest

from bench.baseline_engine import BaselineEngine
from bench.fleet import fleet
from smscan.cli.config import load_config
from smscan.cli.scan import DEMO_CONFIG
from smscan.engine import Engine, closure_judge
from smscan.errors import RecordError
from smscan.models import Origin, Record, Status
from smscan.policy.conditions import EvalContext
from smscan.policy.loader import load_policies
from smscan.policy.operators import TypeMismatch


def _odd_records() -> list[dict[str, Any]]:
    """Shapes a generated fleet rarely has: wrong types, empty values, missing maps."""
    base = next(fleet(1, seed=3))
    odd: list[dict[str, Any]] = [{}, {"training_job_name": "bare"}]
    for field, value in (
        ("enable_network_isolation", 1),
        ("enable_network_isolation", "true"),
        ("stopping_condition", {"MaxRuntimeInSeconds": True}),
        ("stopping_condition", {"MaxRuntimeInSeconds": 10, "MaxWaitTimeInSeconds": "x"}),
        ("stopping_condition", "3600"),
        ("enable_managed_spot_training", True),
        ("tags", {"owner": "", "cost-center": None}),
        ("tags", ["owner"]),
        ("environment", {"API_TOKEN": "changeme", "nested": {"PASSWORD": "hunter2"}}),
        ("environment", "AKIAABCDEFGHIJKLMNOP"),
        ("hyper_parameters", {}),
        ("vpc_config", {"Subnets": [], "SecurityGroupIds": ["sg-1"]}),
        ("vpc_config", {"Subnets": ["subnet-x", None], "SecurityGroupIds": "sg-1"}),
        ("resource_config", {"InstanceGroups": [{"InstanceCount": "2", "InstanceType": 5}]}),
        ("resource_config", {"InstanceGroups": "g", "InstanceCount": 2.5}),
        ("algorithm_specification", {"TrainingImage": 7}),
        ("algorithm_specification", {"TrainingImage": "img", "AlgorithmName": "x"}),
        ("input_data_config", [{"DataSource": {"FileSystemDataSource": {"FileSystemAccessMode": None}}}]),
        ("input_data_config", {"DataSource": 1}),
        ("retry_strategy", {"MaximumRetryAttempts": None}),
        ("remote_debug_config", {"EnableRemoteDebug": "true"}),
        ("output_data_config", {"KmsKeyId": "", "S3OutputPath": 3}),
    ):
        record = copy.deepcopy(base)
        record[field] = value
        odd.append(record)
    return odd


def _records() -> list[dict[str, Any]]:
    return list(fleet(3000, seed=11)) + list(fleet(500, seed=12, remediated=0.9)) + _odd_records()


@pytest.mark.parametrize("params", ["defaults", "demo-allowlists"])
def test_engine_and_baseline_agree_on_every_policy_and_record(params: str) -> None:
    settings = load_config(str(DEMO_CONFIG)).params if params == "demo-allowlists" else {}
    policies = load_policies((), settings)
    engine, baseline = Engine(policies), BaselineEngine(policies)
    seen: Counter[Status] = Counter()
    for i, data in enumerate(_records()):
        fast = engine.statuses(data)
        slow = [status for _, status in baseline.evaluate(data)]
        assert fast == slow, {p.id: (a, b) for p, a, b in zip(policies, fast, slow, strict=True) if a != b} | {"record": i}
        seen.update(fast)
    # Not vacuous: the fleet reaches every status.
    assert set(seen) == {Status.PASS, Status.FAIL, Status.NOT_APPLICABLE, Status.ERROR}


def _holds_status(policy: Any, data: dict[str, Any]) -> Status:
    ctx = EvalContext(data)
    try:
        if policy.when is not None and not policy.when.holds(ctx):
            return Status.NOT_APPLICABLE
        return Status.PASS if policy.check.holds(ctx) else Status.FAIL
    except (TypeMismatch, RecursionError):
        return Status.ERROR


@pytest.mark.parametrize("params", ["defaults", "demo-allowlists"])
def test_generated_verdicts_equal_the_closures_with_their_errors(params: str) -> None:
    """Each policy's generated verdict (policy/fast_source.py) gives the closures' status and
    error message, and holds' status, on every record."""
    settings = load_config(str(DEMO_CONFIG)).params if params == "demo-allowlists" else {}
    policies = load_policies((), settings)
    engine = Engine(policies)
    closures = [closure_judge(policy) for policy in policies]
    errors = 0
    for data in _records():
        cache: dict[str, list[Any]] = {}
        for (policy, judge, _), closure in zip(engine.compiled, closures, strict=True):
            verdict = judge(data, cache)
            assert verdict == closure(data, {}), (policy.id, data)
            assert verdict[0] is _holds_status(policy, data), (policy.id, data)
            errors += verdict[0] is Status.ERROR
    assert errors  # not vacuous: some records are ERRORs, with their messages compared


def test_compiled_verdicts_match_the_evidence_path_and_findings() -> None:
    policies = load_policies((), load_config(str(DEMO_CONFIG)).params)
    engine = Engine(policies)
    for i, data in enumerate(list(fleet(400, seed=5)) + _odd_records()):
        record = Record(data, Origin("fleet", i + 1))
        judged = engine.judge(record)
        assert [s for _, s, _ in judged] == engine.statuses(data)
        assert [s for _, s, _ in judged] == [_holds_status(p, data) for p in policies]
        for _, status, finding in judged:
            assert (finding is not None) == (status in (Status.FAIL, Status.ERROR))
            assert finding is None or finding.status is status


# --- values known only at run time ------------------------------------------------------------
# Request files leave values to run time (a Step Functions `.$` key, a Pipelines `{"Get": ...}`).
# The generator below marks places of fleet records as run-time the way the request cleaner
# does (scanner/sources/requests/extract.py): a map entry left out, a list item None, a whole
# field None, or the known part kept (a tag map whose one Key is dynamic).

PolicyPlace = tuple[str, ...]
# Places the built-in policies read, so that most generated records meet them.
POLICY_PLACES: tuple[PolicyPlace, ...] = (
    ("output_data_config", "S3OutputPath"), ("output_data_config", "KmsKeyId"), ("vpc_config", "Subnets"),
    ("vpc_config", "Subnets", "0"), ("vpc_config", "Subnets", "1"), ("vpc_config", "SecurityGroupIds"),
    ("enable_network_isolation",), ("environment",), ("environment", "DB_PASSWORD"), ("environment", "STAGE"),
    ("tags",), ("tags", "owner"), ("tags", "cost-center"), ("stopping_condition", "MaxRuntimeInSeconds"),
    ("stopping_condition", "MaxWaitTimeInSeconds"), ("enable_managed_spot_training",),
    ("resource_config", "InstanceType"), ("resource_config", "InstanceCount"), ("resource_config", "VolumeKmsKeyId"),
    ("resource_config", "InstanceGroups", "0", "InstanceCount"), ("resource_config", "InstanceGroups", "1"),
    ("algorithm_specification", "TrainingImage"), ("algorithm_specification", "AlgorithmName"),
    ("checkpoint_config", "S3Uri"), ("input_data_config", "1", "DataSource", "FileSystemDataSource", "FileSystemAccessMode"),
    ("input_data_config", "0"), ("retry_strategy", "MaximumRetryAttempts"), ("retry_strategy",),
    ("hyper_parameters", "epochs"), ("hyper_parameters", "api_token"), ("remote_debug_config", "EnableRemoteDebug"),
    ("enable_inter_container_traffic_encryption",), ("debug_hook_config", "S3OutputPath"),
)  # fmt: skip


def _pointer(place: PolicyPlace) -> str:
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in place)


def _parent(data: dict[str, Any], place: PolicyPlace) -> Any:
    doc: Any = data
    for token in place[:-1]:
        if isinstance(doc, dict):
            doc = doc.get(token)
        elif isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
            doc = doc[int(token)]
        else:
            return None
    return doc


def _mark_run_time(data: dict[str, Any], place: PolicyPlace, mode: str) -> bool:
    """Leave `place` to run time as the cleaner would; False when the record has no such place."""
    if len(place) == 2 and data.get(place[0]) is None:
        data[place[0]] = {}  # {"VpcConfig": {"Subnets.$": ...}}: the map exists, its entry does not
    parent = _parent(data, place)
    if isinstance(parent, dict):
        if mode == "drop" or (mode == "none" and len(place) > 1 and place[0] != "tags"):
            parent.pop(place[-1], None)
        elif mode == "none":
            parent[place[-1]] = None
        return True
    if isinstance(parent, list) and place[-1].isdigit() and int(place[-1]) < len(parent):
        if mode != "keep":
            parent[int(place[-1])] = None
        return True
    return False


def _run_time_records(n: int, seed: int) -> list[tuple[dict[str, Any], dict[str, str]]]:
    rng = random.Random(seed)
    out = []
    for data in fleet(n, seed=seed, remediated=0.5):
        unknown: dict[str, str] = {}
        if rng.random() < 0.01:
            unknown[""] = "set at run time (the state input) at gen.json:1"
        for _ in range(rng.randint(1, 3)):
            place = rng.choice(POLICY_PLACES) if rng.random() < 0.8 else _any_place(data, rng)
            if place and _mark_run_time(data, place, rng.choice(("drop", "none", "keep"))):
                unknown[_pointer(place)] = f"set at run time (generated) at gen.json:{len(out) + 1}"
        out.append((data, unknown))
    return out


def _any_place(data: dict[str, Any], rng: random.Random) -> PolicyPlace:
    place: PolicyPlace = ()
    doc: Any = data
    while isinstance(doc, (dict, list)) and doc and (not place or rng.random() < 0.6):
        token = rng.choice(list(doc)) if isinstance(doc, dict) else str(rng.randrange(len(doc)))
        doc = doc[token] if isinstance(doc, dict) else doc[int(token)]
        place = (*place, token)
    return place


@pytest.mark.parametrize("params", ["defaults", "demo-allowlists"])
def test_engine_and_baseline_agree_on_records_with_run_time_values(params: str) -> None:
    settings = load_config(str(DEMO_CONFIG)).params if params == "demo-allowlists" else {}
    policies = load_policies((), settings)
    engine, baseline = Engine(policies), BaselineEngine(policies)
    seen: Counter[Status] = Counter()
    for i, (data, unknown) in enumerate(_run_time_records(1500, seed=21)):
        record = Record(data, Origin("gen.json", i + 1), unknown=unknown)
        judged = [status for _, status, _ in engine.judge(record)]
        slow = [status for _, status in baseline.evaluate(data, unknown)]
        assert judged == slow, {p.id: (a, b) for p, a, b in zip(policies, judged, slow, strict=True) if a != b} | {
            "record": i, "unknown": sorted(unknown)}
        seen.update(judged)
    # Not vacuous: run-time values leave checks UNKNOWN, and known violations still FAIL.
    assert set(seen) == {Status.PASS, Status.FAIL, Status.NOT_APPLICABLE, Status.ERROR, Status.UNKNOWN}


FILLINGS: tuple[Any, ...] = (
    None, True, False, 0, 2, 100_000, "", "s3://acme-fraud-us-east-1/x", "ro", "rw", "ml.p4d.24xlarge",
    "ml.m5.xlarge", "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0", "img:latest",
    "subnet-0a1b2c3d4e5f60718", [], {}, ["subnet-0a1b2c3d4e5f60718"], {"FileSystemAccessMode": "ro"},
)  # fmt: skip


def test_a_decided_status_holds_whatever_the_run_time_values_turn_out_to_be() -> None:
    """Soundness: PASS, FAIL and NOT_APPLICABLE decided with run-time values never change when
    those values are filled in (at most the filled value is of a type the policy cannot judge:
    ERROR). Fillings hold no secret, as a run-time value under an ordinary key is not judged one."""
    policies = load_policies((), load_config(str(DEMO_CONFIG)).params)
    engine = Engine(policies)
    rng = random.Random(5)
    decided = 0
    for i, (data, unknown) in enumerate(_run_time_records(300, seed=33)):
        if "" in unknown:
            continue
        record = Record(copy.deepcopy(data), Origin("gen.json", i + 1), unknown=unknown)
        statuses = [status for _, status, _ in engine.judge(record)]
        for _ in range(4):
            filled = copy.deepcopy(data)
            for pointer in sorted(unknown, key=len):
                place = tuple(pointer[1:].split("/"))
                parent = _parent(filled, place)
                value = copy.deepcopy(rng.choice(FILLINGS))
                if isinstance(parent, dict):
                    parent[place[-1]] = value
                elif isinstance(parent, list) and place[-1].isdigit() and int(place[-1]) < len(parent):
                    parent[int(place[-1])] = value
            for policy, before, after in zip(policies, statuses, engine.statuses(filled), strict=True):
                if before in (Status.PASS, Status.FAIL, Status.NOT_APPLICABLE):
                    decided += 1
                    assert after in (before, Status.ERROR), (policy.id, i, sorted(unknown), before, after)
    assert decided > 1000


# Shapes the built-in pack does not use: wildcards over maps, indexes, filters, `match: any`,
# path references, `not`, and the operators no built-in policy reads.
SHAPES = {
    "env-values-set": "check: {path: '$.environment.*', not_empty: true}",
    "tag-values-clean": "check: {path: '$.tags.*', no_secrets: true}",
    "first-subnet": "check: {path: '$.vpc_config.Subnets[0]', in: [subnet-0a1b2c3d4e5f60718, subnet-00c3e5f7a9b1d00]}",
    "last-subnet": "check: {path: '$.vpc_config.Subnets[-1]', starts_with: subnet-0}",
    "train-channel-s3": (
        "check: {path: \"$.input_data_config[?(@.ChannelName == 'train')].DataSource.S3DataSource.S3Uri\", "
        "starts_with: 's3://'}"
    ),
    "any-big-group": "check: {path: '$.resource_config.InstanceGroups[*].InstanceCount', gt: 2, match: any}",
    "wait-covers-runtime": (
        "when: {path: $.stopping_condition.MaxWaitTimeInSeconds, exists: true}\n"
        "check: {path: $.stopping_condition.MaxWaitTimeInSeconds, ge: {path: $.stopping_condition.MaxRuntimeInSeconds}}"
    ),
    "not-isolated-or-tagged": (
        "check:\n  any:\n    - not: {path: $.enable_network_isolation, equals: false}\n"
        "    - {path: $.tags, has_keys: [owner, project]}\n    - {path: $.tags, contains: reviewed}"
    ),
    "short-subnet-list": "check: {path: $.vpc_config.Subnets, length_le: 2}",
    "no-rw-channel": "check: {not: {path: '$.input_data_config[*].DataSource.FileSystemDataSource.FileSystemAccessMode', equals: rw, match: any}}",
    "env-empty-or-absent": "check: {any: [{path: $.environment, empty: true}, {path: $.environment.DB_PASSWORD, absent: true}]}",
}


def test_engine_and_baseline_agree_on_other_path_shapes_with_run_time_values(tmp_path: Any) -> None:
    from tests.policy_helpers import write_policy

    paths = [write_policy(tmp_path, body + "\n", policy_id=name) for name, body in SHAPES.items()]
    policies = load_policies(paths, {})
    engine, baseline = Engine(policies), BaselineEngine(policies)
    seen: Counter[Status] = Counter()
    records = _run_time_records(1500, seed=44) + [(d, {}) for d in _odd_records()]
    for i, (data, unknown) in enumerate(records):
        record = Record(data, Origin("gen.json", i + 1), unknown=unknown)
        judged = [status for _, status, _ in engine.judge(record)]
        assert judged == [status for _, status in baseline.evaluate(data, unknown)], (i, sorted(unknown))
        if not unknown:
            assert judged == engine.statuses(data)
        seen.update(judged)
    assert Status.UNKNOWN in seen and Status.FAIL in seen and Status.PASS in seen


@pytest.mark.parametrize("select", ["whole-pack", "five-checks"])
def test_lazy_normalization_judges_exactly_as_full_normalization(select: str) -> None:
    """Coercing only the fields the policies read (plus the identity) changes no status and
    no finding, on DescribeTrainingJob answers (nested timestamps and all) and seed records."""
    from bench.custodian import CHECKS, describe_shaped
    from smscan.engine import fields_needed
    from smscan.record.normalize import IDENTITY, normalize

    policies = load_policies((), load_config(str(DEMO_CONFIG)).params)
    if select == "five-checks":
        policies = [p for p in policies if p.id in CHECKS]
    read = fields_needed(policies)
    assert read is not None and "secondary_status_transitions" not in read  # lazy for real
    engine, rng = Engine(policies), random.Random(5)
    docs = [describe_shaped(d, rng) for d in fleet(400, seed=21)] + _records()[:400] + _odd_records()
    judged = kept = 0
    for i, doc in enumerate(docs):
        origin = Origin("fleet.jsonl", i + 1)
        try:
            full = normalize(doc, origin)
        except RecordError as err:
            if err.field is None or err.field in read | IDENTITY:  # read (or no job at all): refused alike
                with pytest.raises(RecordError, match=re.escape(err.detail)):
                    normalize(doc, origin, read=read)
            else:  # a bad value nobody reads does not cost the job
                assert normalize(doc, origin, read=read).data[err.field] == doc[err.field]
                kept += 1
            continue
        lazy = normalize(doc, origin, read=read)
        assert [(p.id, s, f) for p, s, f in engine.judge(full)] == [(p.id, s, f) for p, s, f in engine.judge(lazy)]
        # What lazy skips is kept as given, never dropped: the fields are only unconverted.
        assert full.data.keys() == lazy.data.keys()
        judged += 1
    assert judged > 800
    # The odd records whose environment is no map of strings: the five checks do not read it.
    assert kept == (3 if select == "five-checks" else 0)


def test_shared_evidence_gives_the_findings_each_job_would_get_alone() -> None:
    """The engine shares evidence between jobs whose read fields are equal (explain_memo):
    every finding equals the one explained afresh for that job, and sharing did happen."""
    from smscan.engine import explain

    policies = load_policies((), load_config(str(DEMO_CONFIG)).params)
    engine = Engine(policies, explain_passed=True)
    verdicts = {policy.id: (judge, memo) for policy, judge, memo in engine._judges}
    docs = _records()[:600] + _odd_records()
    records = [Record(data=d, origin=Origin("fleet.jsonl", i + 1)) for i, d in enumerate(docs)]
    shared = 0
    for record in records:
        for policy, status, finding in engine.judge(record):
            judge, memo = verdicts[policy.id]
            error = judge(record.data, {})[1]
            assert finding == explain(policy, record, status, error), (policy.id, record.data.get("training_job_name"))
            key = memo.key(record, status, error)
            entry = memo.get(key) if key is not None else None
            shared += finding is not None and entry is not None and entry.evidence is finding.evidence
    assert shared > 10 * len(records)  # not vacuous: most findings reuse evidence
    # Secret policies mask evidence against the record's other secrets: never shared.
    assert all(memo.fields is None for p, _, memo in engine._judges if p.reads_values_without_keys)
