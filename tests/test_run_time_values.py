"""Values known only at run time are UNKNOWN, never PASS (three-valued, Kleene evaluation).

The request files in fixtures/requests/runtime/ are the issue's reproductions (their README
cites the public shapes they follow); the pack-wide test covers every built-in policy from
its own examples, so a new policy is covered without a line here.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from smscan.engine import Engine, Verdict
from smscan.models import Origin, Problem, Record, Status
from smscan.policy.conditions import Condition
from smscan.policy.kleene import Loc, UnknownIndex, locate, pointer_text
from smscan.policy.loader import load_policies
from smscan.policy.model import Policy
from smscan.sources.requests.extract import JobSite, clean
from smscan.sources.requests.job import job_items
from smscan.sources.requests.jsonpos import parse_json
from smscan.sources.requests.runtime import RunTime
from smscan.sources.requests.source import RequestFileSource, RequestOptions
from tests.policy_helpers import load_one

RUNTIME = Path(__file__).parent / "fixtures" / "requests" / "runtime"
STATE_MACHINE = RUNTIME / "train-dynamic.asl.json"
PIPELINE = RUNTIME / "pipeline-dynamic.json"


def records_of(path: Path) -> list[Record]:
    return [item for item in RequestFileSource(RequestOptions((str(path),))).items() if isinstance(item, Record)]


def line_of(path: Path, needle: str, after: int = 0) -> int:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if number > after and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def judge(record: Record, policy_id: str, **params: Any) -> Verdict:
    [policy] = [p for p in load_policies((), {policy_id: params} if params else None) if p.id == policy_id]
    return next(Engine([policy]).evaluate(record))


def assert_unknown_at(verdict: Verdict, path: Path, line: int, reason: str) -> None:
    assert verdict.status is Status.UNKNOWN
    finding = verdict.finding
    assert finding is not None and finding.status is Status.UNKNOWN
    assert f"{reason} at {path}:{line}" in finding.message
    assert finding.location is not None and (finding.location.path, finding.location.line) == (str(path), line)


# --- the reproductions -----------------------------------------------------------------


def test_step_functions_output_path_from_states_format_is_unknown_with_any_allowlist() -> None:
    train, warehouse, _ = records_of(STATE_MACHINE)
    line = line_of(STATE_MACHINE, '"S3OutputPath.$"')
    reason = "OutputDataConfig.S3OutputPath is set at run time (Step Functions JSONPath)"
    for allowlist in (["s3://"], ["s3://ml-artifacts/"], ["s3://nowhere/"]):
        verdict = judge(train, "output-locations-allowed", allowed_s3_prefixes=allowlist)
        assert_unknown_at(verdict, STATE_MACHINE, line, reason)
    # A literal path in the same file is judged as always.
    assert judge(warehouse, "output-locations-allowed", allowed_s3_prefixes=["s3://ml-artifacts/"]).status is Status.PASS
    assert judge(warehouse, "output-locations-allowed", allowed_s3_prefixes=["s3://nowhere/"]).status is Status.FAIL


def test_a_known_violation_still_fails_next_to_a_run_time_value() -> None:
    train = records_of(STATE_MACHINE)[0]
    verdict = judge(train, "vpc-configured")  # Subnets.$ is dynamic, SecurityGroupIds is []
    assert verdict.status is Status.FAIL
    assert verdict.finding is not None and verdict.finding.location is not None
    assert verdict.finding.location.line == line_of(STATE_MACHINE, '"SecurityGroupIds": []')
    assert judge(train, "network-isolation").status is Status.PASS  # the known rest is kept


def test_run_time_environment_values_by_key_and_whole() -> None:
    train, warehouse, from_input = records_of(STATE_MACHINE)
    # STAGE.$: a run-time value under an ordinary key is not judged a secret.
    assert judge(train, "no-secrets-in-environment").status is Status.PASS
    # DB_PASSWORD.$: a secret would reach the job in plain text through its definition.
    line = line_of(STATE_MACHINE, '"DB_PASSWORD.$"')
    reason = "Environment.DB_PASSWORD is set at run time (Step Functions JSONPath)"
    assert_unknown_at(judge(warehouse, "no-secrets-in-environment"), STATE_MACHINE, line, reason)
    # Environment.$ / HyperParameters.$: any key may come in.
    line = line_of(STATE_MACHINE, '"Environment.$"')
    reason = "Environment is set at run time (Step Functions JSONPath)"
    assert_unknown_at(judge(from_input, "no-secrets-in-environment"), STATE_MACHINE, line, reason)
    line = line_of(STATE_MACHINE, '"HyperParameters.$"')
    reason = "HyperParameters is set at run time (Step Functions JSONPath)"
    assert_unknown_at(judge(from_input, "no-secrets-in-hyperparameters"), STATE_MACHINE, line, reason)


def test_a_tag_value_set_at_run_time_leaves_required_tags_unknown() -> None:
    train = records_of(STATE_MACHINE)[0]
    assert train.data["tags"] == {"owner": "churn-ml", "cost-center": None}
    line = line_of(STATE_MACHINE, '"Value.$"')
    reason = "Tags.cost-center is set at run time (Step Functions JSONPath)"
    assert_unknown_at(judge(train, "required-tags"), STATE_MACHINE, line, reason)
    # ... but a tag the job does not have at all is a known violation.
    assert judge(train, "required-tags", required_tags=["owner", "project"]).status is Status.FAIL
    assert judge(train, "no-secrets-in-tags").status is Status.PASS  # cost-center is no secret name


def test_pipeline_expressions_get_join_and_json_get() -> None:
    (train,) = records_of(PIPELINE)
    join = line_of(PIPELINE, '"Std:Join"')
    verdict = judge(train, "output-locations-allowed", allowed_s3_prefixes=["s3://ml-artifacts/"])
    assert_unknown_at(verdict, PIPELINE, join, "OutputDataConfig.S3OutputPath is set at run time (pipeline expression Std:Join)")
    json_get = line_of(PIPELINE, '"Std:JsonGet"')
    reason = "ResourceConfig.InstanceType is set at run time (pipeline expression Std:JsonGet)"
    assert_unknown_at(judge(train, "volume-kms-encryption"), PIPELINE, json_get, reason)  # its when: is UNKNOWN
    isolate = line_of(PIPELINE, '"Parameters.Isolate"}')
    reason = "EnableNetworkIsolation is set at run time (pipeline expression Get)"
    assert_unknown_at(judge(train, "network-isolation"), PIPELINE, isolate, reason)


def test_a_list_with_one_run_time_item_keeps_its_other_items() -> None:
    (train,) = records_of(PIPELINE)
    assert train.data["vpc_config"]["Subnets"] == ["subnet-0a1b2c3d4e5f60718", None]
    assert "/vpc_config/Subnets/1" in train.unknown
    assert judge(train, "vpc-configured").status is Status.PASS  # one known subnet is a subnet
    extra = line_of(PIPELINE, '"Parameters.ExtraSubnet"}')
    verdict = judge(train, "vpc-allowed-subnets", allowed_subnets=["subnet-0a1b2c3d4e5f60718"])
    assert_unknown_at(verdict, PIPELINE, extra, "VpcConfig.Subnets[1] is set at run time (pipeline expression Get)")
    verdict = judge(train, "vpc-allowed-subnets", allowed_subnets=["subnet-0ffffffffffffffff"])
    assert verdict.status is Status.FAIL  # the known subnet is not allowed, whatever the other


def test_a_task_without_parameters_is_unknown_for_every_policy_that_reads_the_job(tmp_path: Path) -> None:
    machine = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync", "End": True}}}
    path = tmp_path / "input.asl.json"
    path.write_text(json.dumps(machine, indent=1))
    (record,) = records_of(path)
    verdicts = list(Engine(load_policies()).evaluate(record))
    # Only a param can rule a policy out here: an allowlist policy while its list is empty.
    by_param = {"vpc-allowed-subnets", "output-locations-allowed"}
    assert {v.policy.id for v in verdicts if v.status is not Status.UNKNOWN} == by_param
    assert all(v.status is Status.NOT_APPLICABLE for v in verdicts if v.policy.id in by_param)
    message = verdicts[0].finding.message if verdicts[0].finding else ""
    assert f"the whole request is set at run time (the state input) at {path}:" in message


# --- Kleene logic, operator by operator ----------------------------------------------------------


def run_time(data: dict[str, Any], *pointers: str) -> Record:
    unknown = {p: f"set at run time (test) at job.json:{i + 1}" for i, p in enumerate(pointers)}
    return Record(data=data, origin=Origin("job.json", 1, ""), unknown=unknown)


def status(policy: Policy, record: Record) -> Status:
    return next(Engine([policy]).evaluate(record)).status


def test_all_any_not_are_kleene(tmp_path: Path) -> None:
    known_false = {"path": "$.enable_network_isolation", "equals": True}
    known_true = {"path": "$.role_arn", "exists": True}
    dynamic = {"path": "$.output_data_config.S3OutputPath", "starts_with": "s3://ok/"}
    record = run_time({"enable_network_isolation": False, "role_arn": "r", "output_data_config": {}},
                      "/output_data_config/S3OutputPath")
    cases: list[tuple[dict[str, Any], Status]] = [
        ({"all": [dynamic, known_false]}, Status.FAIL),
        ({"all": [dynamic, known_true]}, Status.UNKNOWN),
        ({"any": [dynamic, known_true]}, Status.PASS),
        ({"any": [dynamic, known_false]}, Status.UNKNOWN),
        ({"not": dynamic}, Status.UNKNOWN),
        ({"not": {"all": [dynamic, known_false]}}, Status.PASS),
        ({"path": "$.output_data_config.S3OutputPath", "absent": True}, Status.UNKNOWN),
    ]
    for check, expected in cases:
        policy = load_one(tmp_path, f"check: {json.dumps(check)}\n")
        assert status(policy, record) is expected, check
    # when: UNKNOWN makes the result UNKNOWN, whatever the check says.
    policy = load_one(tmp_path, f"when: {json.dumps(dynamic)}\ncheck: {json.dumps(known_true)}\n")
    assert status(policy, record) is Status.UNKNOWN


def test_wildcards_mixing_known_and_run_time_values_with_match_all_and_any(tmp_path: Path) -> None:
    allowed = "[subnet-a, subnet-b]"
    match_all = load_one(tmp_path, f"check: {{path: '$.vpc_config.Subnets[*]', in: {allowed}}}\n")
    match_any = load_one(tmp_path, f"check: {{path: '$.vpc_config.Subnets[*]', in: {allowed}, match: any}}\n")
    good = run_time({"vpc_config": {"Subnets": ["subnet-a", None]}}, "/vpc_config/Subnets/1")
    bad = run_time({"vpc_config": {"Subnets": ["subnet-x", None]}}, "/vpc_config/Subnets/1")
    whole = run_time({"vpc_config": {}}, "/vpc_config/Subnets")
    assert [status(match_all, r) for r in (good, bad, whole)] == [Status.UNKNOWN, Status.FAIL, Status.UNKNOWN]
    assert [status(match_any, r) for r in (good, bad, whole)] == [Status.PASS, Status.UNKNOWN, Status.UNKNOWN]
    # `.*` over a map meets an entry that the file sets at run time (and so left out of the data).
    values = load_one(tmp_path, "check: {path: '$.environment.*', not_empty: true}\n")
    assert status(values, run_time({"environment": {"A": "x"}}, "/environment/B")) is Status.UNKNOWN
    assert status(values, run_time({"environment": {"A": ""}}, "/environment/B")) is Status.FAIL


def test_no_secrets_judges_a_run_time_value_by_its_key(tmp_path: Path) -> None:
    policy = load_one(tmp_path, "check: {path: $.environment, no_secrets: true}\n")
    env = {"STAGE": None, "LOG_LEVEL": "INFO"}
    assert status(policy, run_time({"environment": dict(env)}, "/environment/STAGE")) is Status.PASS
    for key in ("DB_PASSWORD", "API_TOKEN", "HF_TOKEN"):
        assert status(policy, run_time({"environment": dict(env)}, f"/environment/{key}")) is Status.UNKNOWN, key
    # A key that names a reference holds a reference (the right practice).
    assert status(policy, run_time({"environment": {}}, "/environment/DB_PASSWORD_SECRET_ARN")) is Status.PASS
    # A secret the file shows is a FAIL, whatever else is left to run time.
    leaked = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"}
    assert status(policy, run_time({"environment": leaked}, "/environment/DB_PASSWORD")) is Status.FAIL
    # In a list, the `--flag` before a run-time item is its key.
    args = load_one(tmp_path, "check: {path: $.algorithm_specification.ContainerArguments, no_secrets: true}\n")
    argv = {"algorithm_specification": {"ContainerArguments": ["--epochs", "3", "--api-key", None]}}
    assert status(args, run_time(copy.deepcopy(argv), "/algorithm_specification/ContainerArguments/3")) is Status.UNKNOWN
    assert status(args, run_time(copy.deepcopy(argv), "/algorithm_specification/ContainerArguments/1")) is Status.PASS


def test_path_references_and_filters_meeting_run_time_values(tmp_path: Path) -> None:
    ref = load_one(tmp_path, "check: {path: $.stopping_condition.MaxWaitTimeInSeconds, ge: {path: $.stopping_condition.MaxRuntimeInSeconds}}\n")
    record = run_time({"stopping_condition": {"MaxWaitTimeInSeconds": 10}}, "/stopping_condition/MaxRuntimeInSeconds")
    assert status(ref, record) is Status.UNKNOWN
    record = run_time({"stopping_condition": {}}, "/stopping_condition/MaxRuntimeInSeconds")
    assert status(ref, record) is Status.FAIL  # nothing to compare: missing, as without run-time values
    channel = load_one(tmp_path, "check: {path: \"$.input_data_config[?(@.ChannelName == 'train')].InputMode\", equals: File}\n")
    data = {"input_data_config": [{"ChannelName": "train", "InputMode": "File"}, {"InputMode": "Pipe"}]}
    assert status(channel, run_time(copy.deepcopy(data), "/input_data_config/1/ChannelName")) is Status.UNKNOWN
    assert status(channel, run_time(copy.deepcopy(data))) is Status.PASS


def test_records_without_run_time_values_never_leave_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.fleet import fleet
    from smscan.policy import conditions

    def refuse(*args: Any) -> None:
        raise AssertionError("three-valued evaluation for a record whose values are all known")

    monkeypatch.setattr(conditions, "judge_leaf", refuse)
    engine = Engine(load_policies())
    statuses = [s for i, d in enumerate(fleet(50, seed=2)) for _, s, _ in engine.judge(Record(d, Origin("f", i)))]
    assert Status.FAIL in statuses and Status.UNKNOWN not in statuses


# --- another reader's tree: the RunTime marker -------------------------------------------------


def test_a_reader_marks_run_time_values_with_the_runtime_marker() -> None:
    text = json.dumps({
        "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
        "RoleArn": "arn:aws:iam::111122223333:role/x",
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "VpcConfig": {"Subnets": ["subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-1"]},
    }, indent=1)
    tree, _ = parse_json(text)
    # What a Terraform reader would do for `var.output_path` and `var.extra_subnet`:
    tree["OutputDataConfig"]["S3OutputPath"] = RunTime("Terraform variable var.output_path", "var.output_path")
    tree["VpcConfig"]["Subnets"][1] = RunTime("Terraform variable var.extra_subnet")
    site = JobSite("request", "", 1, tree, "literal")
    cleaned = clean(site)
    assert [(u.path, u.pointer, u.how) for u in cleaned.unknown] == [
        ("OutputDataConfig.S3OutputPath", "/output_data_config/S3OutputPath", "Terraform variable var.output_path"),
        ("VpcConfig.Subnets[1]", "/vpc_config/Subnets/1", "Terraform variable var.extra_subnet"),
    ]
    assert cleaned.doc["VpcConfig"]["Subnets"] == ["subnet-a", None]
    # job_items makes the Record and its notes, as for any request file.
    record, *notes = job_items("main.tf", site)
    assert isinstance(record, Record) and all(n.kind == "note" for n in notes if isinstance(n, Problem))
    line = line_of_text(text, '"S3OutputPath"')
    assert record.unknown["/output_data_config/S3OutputPath"] == f"set at run time (Terraform variable var.output_path) at main.tf:{line}"
    verdict = judge(record, "output-locations-allowed", allowed_s3_prefixes=["s3://bucket/"])
    reason = f"OutputDataConfig.S3OutputPath is set at run time (Terraform variable var.output_path) at main.tf:{line}"
    assert verdict.status is Status.UNKNOWN and verdict.finding is not None
    assert reason in verdict.finding.message
    assert judge(record, "vpc-configured").status is Status.PASS  # subnet-a is known


def line_of_text(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# --- every built-in policy ----------------------------------------------------------------------


def _places_read(condition: Condition | None, data: dict[str, Any]) -> list[Loc]:
    """Where the condition's paths read in `data`: each value they reach, or where they leave it."""
    places: list[Loc] = []
    for leaf in condition.leaves() if condition is not None else ():
        for path in (leaf.subject, leaf.arg_path):
            if path is None:
                continue
            found = [item.loc for item in locate(path, data, UnknownIndex.of({}))]
            if not found:  # the path leaves the data: its first missing step is what the file would set
                loc: Loc = ()
                doc: Any = data
                for step in path.steps or ():
                    if not isinstance(step, str) or not isinstance(doc, dict):
                        break
                    loc = (*loc, step)
                    if doc.get(step) is None:
                        break
                    doc = doc[step]
                found = [loc] if loc else []
            places += [p for p in found if p not in places]
    return places


def _set_at_run_time(data: dict[str, Any], places: list[Loc]) -> Record:
    data = copy.deepcopy(data)
    for place in places:
        parent: Any = data
        for token in place[:-1]:
            parent = parent[int(token)] if isinstance(parent, list) else parent[token]
        if isinstance(parent, list):
            parent[int(place[-1])] = None
        else:
            parent.pop(place[-1], None)
    unknown = {pointer_text(p): f"set at run time (test) at job.json:{i + 1}" for i, p in enumerate(places)}
    return Record(data=data, origin=Origin("job.json", 1, ""), unknown=unknown)


def _pack() -> list[Policy]:
    policies = []
    for policy in load_policies():
        if policy.example_params:  # examples may need params the defaults leave empty
            [policy] = load_policies([policy.info.source_path], {policy.id: dict(policy.example_params)})
        policies.append(policy)
    return policies


@pytest.mark.parametrize("policy", _pack(), ids=lambda p: p.id)
def test_every_builtin_policy_is_unknown_when_what_it_reads_is_set_at_run_time(policy: Policy) -> None:
    engine = Engine([policy])
    judged = 0
    for example in policy.examples:
        if example.expected is Status.NOT_APPLICABLE:
            continue
        # What the check reads, set at run time: neither PASS nor FAIL can be known.
        record = _set_at_run_time(example.data, _places_read(policy.check, example.data))
        assert next(engine.evaluate(record)).status is Status.UNKNOWN, (example.line, sorted(record.unknown))
        judged += 1
        # What the scope reads, set at run time: the job may or may not be in scope.
        when_places = _places_read(policy.when, example.data)
        if example.expected is Status.PASS and when_places:
            record = _set_at_run_time(example.data, when_places)
            assert next(engine.evaluate(record)).status is Status.UNKNOWN, (example.line, sorted(record.unknown))
    assert judged >= 2  # every policy has pass and fail examples


def test_the_message_names_only_the_values_the_answer_depended_on(tmp_path: Path) -> None:
    policy = load_one(tmp_path, "check: {path: $.environment, no_secrets: true}\n")
    record = run_time({"environment": {}}, "/environment/STAGE", "/environment/DB_PASSWORD")
    finding = next(Engine([policy]).evaluate(record)).finding
    assert finding is not None and finding.status is Status.UNKNOWN
    assert "Environment.DB_PASSWORD is set at run time (test) at job.json:2." in finding.message
    assert "STAGE" not in finding.message
    assert [(e.satisfied, e.note) for e in finding.evidence] == [(False, "known only at run time")]
