"""Hostile and broken input, through the real CLI: one exact line per problem, never a traceback.

The corpus is tests/fixtures/bad/ (one case per file); what is too big to commit (50 MB,
10,000 levels, 20 MB strings) is generated into tmp_path. Each table below maps a case to
the exact lines smscan must print; `{file}` stands for the path given on the command line.

Exit codes (README): 2 when a policy is bad (nothing is scanned, no report is written);
3 when some input could not be read (the rest is scanned and the report is written).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from smscan.models import Origin, Problem
from smscan.policy.messages import MessageTemplate
from smscan.record.normalize import IDENTITY
from smscan.record.schema import SEED_FIELDS, SeedField
from smscan.sources.files import FileOptions, FileSource
from smscan.sources.requests.source import RequestFileSource, RequestOptions
from smscan.yamlpos import DEFAULT_MAX_BYTES, YamlProblem, load_file
from tests.cli_helpers import run_cli
from tests.policy_helpers import write_policy

BAD = Path(__file__).parent / "fixtures" / "bad"
ROOT = Path(__file__).parent.parent
ACCOUNT_ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/"
PRIVATE = "template reaches for a private attribute (names starting with '_' are refused by the sandbox)"
DUNDER_STRING = "template holds a string with '__', the way to reach private attributes"
OPERATORS = (
    "exists, absent, empty, not_empty, no_secrets, equals, not_equals, in, not_in, matches, "
    "not_matches, contains, starts_with, has_keys, gt, ge, lt, le, length_ge, length_le"
)
NESTED_QUANTIFIER = (
    "nested unbounded quantifier (like (a+)+) can take exponential time; rewrite it without a "
    "repeat inside a repeat (expected a regular expression)"
)

# --- policies: case -> the exact problem lines; exit 2, nothing scanned, no report written
POLICY_CASES: dict[str, list[str]] = {
    "malformed-yaml": ["{file}:3:9: policy malformed-yaml: invalid YAML: expected ',' or ']', but got ':'"],
    "tab-indent": ["{file}:6:1: policy tab-indent: invalid YAML: tab characters are not allowed for indentation"],
    "duplicate-key": ["{file}:6:1: policy duplicate-key: duplicate key 'severity' (first defined at line 3)"],
    "wrong-types": [
        "{file}:2:1: policy wrong-types: title: expected a string",
        "{file}:3:1: policy wrong-types: severity: unknown severity '3' (expected info|low|medium|high|critical)",
        "{file}:5:1: policy wrong-types: references: expected a list of strings",
        "{file}:6:9: policy wrong-types: check.path: expected a JSONPath string such as $.vpc_config.Subnets",
        "{file}:7:8: policy wrong-types: when.all: expected a non-empty list of conditions",
    ],
    "unknown-operator": [
        f"{{file}}:5:43: policy unknown-operator: check.is_true: unknown operator 'is_true' (expected one of {OPERATORS})"
    ],
    "invalid-jsonpath": [
        "{file}:5:9: policy invalid-jsonpath: check.path: invalid JSONPath '$.vpc_config.Subnets[?(@ ==': "
        "Parse error near the end of string!"
    ],
    "unknown-field": [
        "{file}:5:9: policy unknown-field: check.path: unknown record field 'no_such_field' "
        "(expected a seed-schema field such as enable_network_isolation)"
    ],
    "invalid-regex": [
        "{file}:5:36: policy invalid-regex: check.matches: invalid regular expression: missing ), "
        "unterminated subpattern at position 0 (expected a regular expression)"
    ],
    # smscan rejects nested unbounded quantifiers at load (it does not time-bound `re`).
    "catastrophic-regex": [f"{{file}}:5:36: policy catastrophic-regex: check.matches: {NESTED_QUANTIFIER}"],
    "template-dunder": [f"{{file}}:6:1: policy template-dunder: message: {PRIVATE}"],
    "template-attr-filter": [f"{{file}}:6:1: policy template-attr-filter: message: {PRIVATE}"],
    "template-attr-computed": [
        "{file}:6:1: policy template-attr-computed: message: the attr filter takes only a literal attribute name"
    ],
    "template-format-string": [f"{{file}}:6:1: policy template-format-string: message: {DUNDER_STRING}"],
    "template-map-attribute": [f"{{file}}:6:1: policy template-map-attribute: message: {DUNDER_STRING}"],
    "template-syntax": [
        "{file}:6:1: policy template-syntax: message: invalid template: unexpected end of template, "
        "expected 'end of print statement'."
    ],
    "alias-bomb": ["{file}:7:6: policy alias-bomb: anchors (&name) are not supported"],
    "python-tag": ["{file}:6:12: policy python-tag: tag !!python/object/apply:os.system is not supported"],
    "integer-too-long": ["{file}:6:13: policy integer-too-long: invalid value: integer longer than 4300 digits"],
    "not-a-mapping": ["{file}:1:1: policy not-a-mapping: expected a mapping of policy fields"],
    "non-utf8": ["{file}:6:15: policy non-utf8: not valid UTF-8"],
    "nul-byte": ["{file}:6:13: policy nul-byte: invalid YAML: control character 0x00 is not allowed"],
}


def _good_input(tmp_path: Path) -> Path:
    path = tmp_path / "good.jsonl"
    path.write_text(json.dumps({"training_job_arn": ACCOUNT_ARN + "good-1", "enable_network_isolation": True}) + "\n", encoding="utf-8")
    return path


def _scan_with_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, policy: Path
) -> tuple[int, str, str, Path]:
    report = tmp_path / "out" / "report.json"
    code, out, err = run_cli(capsys, "scan", "--input", _good_input(tmp_path), "--policies", policy, "-o", report)
    return code, out, err, report


def _assert_policy_problems(code: int, out: str, err: str, report: Path, expected: list[str]) -> None:
    assert "Traceback" not in out + err
    assert code == 2
    assert out == ""
    assert err.splitlines() == expected + [f"smscan: {len(expected)} policy problem(s); nothing was scanned"]
    assert not report.exists()


def test_every_policy_case_has_a_fixture_and_every_fixture_a_case() -> None:
    files = {p.stem for p in (BAD / "policies").glob("*.yaml")}
    assert files == set(POLICY_CASES) | {"bom"}


@pytest.mark.parametrize("case", sorted(POLICY_CASES))
def test_bad_policy(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = BAD / "policies" / f"{case}.yaml"
    code, out, err, report = _scan_with_policy(capsys, tmp_path, policy)
    _assert_policy_problems(code, out, err, report, [line.format(file=policy) for line in POLICY_CASES[case]])


def test_policy_validate_reports_every_file_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "policy", "validate", BAD / "policies")
    assert code == 2 and "Traceback" not in out + err
    expected = sum(len(lines) for lines in POLICY_CASES.values())
    assert err.splitlines()[-1] == f"smscan: {expected} policy problem(s); nothing was scanned"


def test_a_bad_waivers_file_counts_waiver_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The shape of docs/GATE.md's waivers file, with two entries missing what a waiver must say.
    waivers = tmp_path / "smscan-waivers.yaml"
    waivers.write_text("waivers:\n  - policy: network-isolation\n  - reason: no policy named\n", encoding="utf-8")
    report = tmp_path / "report.json"
    code, out, err = run_cli(capsys, "scan", "--input", _good_input(tmp_path), "--waivers", waivers, "-o", report)
    assert code == 2 and "Traceback" not in out + err and not report.exists()
    lines = err.splitlines()
    assert lines[-1] == f"smscan: {len(lines) - 1} waiver problem(s); nothing was scanned"
    assert len(lines) >= 3 and all(line.startswith(f"{waivers}:") for line in lines[:-1])


def test_policy_with_a_bom_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err, report = _scan_with_policy(capsys, tmp_path, BAD / "policies" / "bom.yaml")
    assert code == 0 and "Traceback" not in out + err
    assert json.loads(report.read_text())["summary"]["by_status"]["PASS"] == 1


def test_policy_of_50_mb_is_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "huge.yaml"
    size = 50 * 1024 * 1024
    with policy.open("w", encoding="utf-8") as handle:
        handle.write("id: huge\n# " + "x" * (size - 12) + "\n")
    assert policy.stat().st_size == size > DEFAULT_MAX_BYTES
    code, out, err, report = _scan_with_policy(capsys, tmp_path, policy)
    expected = f"{policy}:1:1: policy huge: file is {size} bytes, larger than the {DEFAULT_MAX_BYTES}-byte limit"
    _assert_policy_problems(code, out, err, report, [expected])


def test_policy_size_limit_is_a_parameter(tmp_path: Path) -> None:
    policy = BAD / "policies" / "bom.yaml"
    assert load_file(policy)["id"] == "bom"
    with pytest.raises(YamlProblem, match="larger than the 10-byte limit"):
        load_file(policy, max_bytes=10)


# The first node deeper than 64 levels: the 63rd list, or the key of the 62nd mapping.
@pytest.mark.parametrize("opening,closing,col", [("[", "]", 12 + 62 + 1), ("{a: ", "}", 12 + 4 * 61 + 2)])
def test_policy_nested_10000_levels(
    opening: str, closing: str, col: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "deep.yaml"
    policy.write_text("id: deep\nparams: {x: " + opening * 10_000 + "1" + closing * 10_000 + "}\n", encoding="utf-8")
    code, out, err, report = _scan_with_policy(capsys, tmp_path, policy)
    _assert_policy_problems(code, out, err, report, [f"{policy}:2:{col}: policy deep: nesting deeper than 64 levels"])


def test_alias_bomb_is_refused_before_it_expands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Nine levels of nine aliases: 387 million nodes if expanded. Refused at the first anchor.
    code, out, err, report = _scan_with_policy(capsys, tmp_path, BAD / "policies" / "alias-bomb.yaml")
    assert code == 2 and "anchors (&name) are not supported" in err


def test_python_tag_runs_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _scan_with_policy(capsys, tmp_path, BAD / "policies" / "python-tag.yaml")
    run_cli(capsys, "scan", BAD / "requests" / "python-tag.yaml", "-o", tmp_path / "r.json")
    assert not (tmp_path / "pwned").exists()


# --- message templates: what gets past the load check meets the sandbox at render time
@pytest.mark.parametrize(
    "source",
    [
        "{{ job_name[('_', '_class_', '_')|join] }}",  # a computed key: no literal to refuse at load
        "{{ job_name[('_', '_class_', '_')|join][('_', '_mro_', '_')|join] }}",
        "{{ [1].append(2) }}",  # the immutable sandbox: no mutation
        "{{ 'ab' * 10**9 }}",  # repetition bounded
        "{{ 9 ** (9 ** 9) }}",  # exponent bounded (Jinja would fold it while compiling)
    ],
)
def test_sandbox_refuses_at_render_what_the_load_check_lets_through(source: str) -> None:
    template = MessageTemplate(source)  # passes the load-time check
    assert template.render({"job_name": "job-1"}) == "(message template refused by the sandbox)"


def test_sandbox_refusal_in_a_real_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "sneaky.yaml"
    policy.write_text(
        "id: sneaky\ntitle: T\nseverity: high\ndescription: D\n"
        "check: {path: $.enable_network_isolation, equals: false}\n"
        "message: \"{{ job_name[('_', '_class_', '_')|join] }} {{ range(10**9)|list }}\"\n",
        encoding="utf-8",
    )
    code, out, err, report = _scan_with_policy(capsys, tmp_path, policy)
    assert code == 1 and "Traceback" not in out + err
    finding = json.loads(report.read_text())["findings"][0]
    assert finding["message"] == "(message template refused by the sandbox)"
    assert "<class" not in report.read_text() + err


def test_harmless_templates_still_render() -> None:
    template = MessageTemplate("{{ job_name|attr('upper')() }} {{ 'ab' * 2 }} {{ 2 ** 10 }} {{ x|default('-') }}")
    assert template.render({"job_name": "job-1"}) == "JOB-1 abab 1024 -"


# --- records (--input): case -> (exit code, records scanned, exact problem lines)
# Only fields a policy reads are coerced: the corpus is scanned with a policy reading the
# timestamp and billing fields beside the built-in pack (which reads none of them).
READING = ("--policies", "builtin", "--policies", str(ROOT / "tests" / "fixtures" / "reading"))
TS = "expected a timestamp (ISO-8601 text, datetime or epoch seconds)"
RECORD_CASES: dict[str, tuple[int, int, list[str]]] = {
    "truncated.json": (3, 0, ["{file}:2: invalid JSON at line 2 column 1: Expecting ',' delimiter"]),
    "one-bad-line.jsonl": (
        3,
        4,
        ["{file}:3: invalid JSON at line 3 column 85: Expecting property name enclosed in double quotes"],
    ),
    "nul-byte.jsonl": (3, 2, ["{file}:2: NUL byte at line 2"]),
    "non-utf8.jsonl": (3, 1, ["{file}:2: bytes that are not UTF-8 at line 2"]),
    "bad-hstore.jsonl": (
        3,
        1,
        [
            "{file}:1: field environment: invalid hstore at end of text (of 15): expected a value",
            "{file}:2: field hyper_parameters: invalid hstore at character offset 9 (of 13): expected '=>'",
            "{file}:3: field tags: invalid hstore at end of text (of 11): expected a closing '\"' for the value",
        ],
    ),
    "odd-timestamps.jsonl": (
        3,
        5,  # PostgreSQL text, an offset with microseconds, epoch seconds, a bare date,
        # epoch seconds as digit text (EventBridge writes its epoch milliseconds that way)
        [
            f"{{file}}:5: field creation_time: {TS}, got string",
            f"{{file}}:6: field creation_time: {TS}, got string",
            f"{{file}}:7: field training_start_time: {TS}, got string",
            f"{{file}}:8: field training_end_time: {TS}, got string",
            f"{{file}}:10: field creation_time: {TS}, got number",
            f"{{file}}:11: field creation_time: {TS}, got boolean",
        ],
    ),
    "non-finite.jsonl": (
        3,
        1,
        [
            "{file}:1: invalid JSON at line 1: NaN is not a JSON number",
            "{file}:2: invalid JSON at line 2: -Infinity is not a JSON number",
            "{file}:3: invalid JSON at line 3: a number too large for a 64-bit float",
            "{file}:4: invalid JSON at line 4: an integer with too many digits",
            "{file}:5: field billable_time_in_seconds: expected a 64-bit integer, got number",
        ],
    ),
    "not-objects.json": (
        3,
        2,
        [
            "{file}:6: expected a JSON object (item /1), got a string",
            "{file}:7: expected a JSON object (item /2), got a number",
            "{file}:8: expected a JSON object (item /3), got null",
            "{file}:9: expected a JSON object (item /4), got an array",
        ],
    ),
    # Accepted: a BOM, and NUL written as the JSON escape \u0000 (valid JSON text).
    "bom.json": (1, 1, []),
    "escaped-nul.json": (1, 1, []),
}


def _scan_input(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    *inputs: Path,
    extra: tuple[str, ...] = (),
    reading: tuple[str, ...] = READING,
) -> tuple[int, str, str, dict[str, Any]]:
    out_dir = tmp_path / "out"
    argv: list[Any] = ["scan", *reading]
    for path in inputs:
        argv += ["--input", path]
    code, out, err = run_cli(capsys, *argv, "--output-dir", out_dir, "--format", "json,sarif", *extra)
    assert "Traceback" not in out + err
    return code, out, err, json.loads((out_dir / "report.json").read_text(encoding="utf-8"))


def _problem_lines(err: str) -> list[str]:
    lines = err.splitlines()
    start = next((i for i, line in enumerate(lines) if "problem(s)" in line), None)
    if start is None:
        return []
    block = itertools.takewhile(lambda line: line.startswith("    "), lines[start + 1 :])
    return [line.strip() for line in block]


def test_every_record_case_has_a_fixture() -> None:
    assert {p.name for p in (BAD / "records").iterdir()} == set(RECORD_CASES)


@pytest.mark.parametrize("case", sorted(RECORD_CASES))
def test_bad_record_file(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = BAD / "records" / case
    code, records, lines = RECORD_CASES[case]
    got_code, _out, err, doc = _scan_input(capsys, tmp_path, path)
    expected = [line.format(file=path) for line in lines]
    assert (got_code, doc["summary"]["records"], _problem_lines(err)) == (code, records, expected)
    assert [str(Problem(**e)) for e in doc["errors"]] == expected  # the JSON report says the same
    assert doc["scan"]["complete"] is (code != 3)


def test_whole_corpus_directory_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err, doc = _scan_input(capsys, tmp_path, BAD / "records")
    assert code == 3
    assert doc["summary"]["records"] == sum(records for _, records, _ in RECORD_CASES.values())
    assert doc["summary"]["errors"] == sum(len(lines) for _, _, lines in RECORD_CASES.values())


# Wrong-but-plausible values, per seed type, and how each is reported.
WRONG: dict[str, tuple[Any, str]] = {
    "string": (42, "expected a string, got number"),
    "bool": ("maybe", 'expected a boolean (true/false or "t"/"f"/"true"/"false"), got string'),
    "int64": ("12.5", "expected a 64-bit integer, got string"),
    "timestamp": (True, f"{TS}, got boolean"),
    "json": (42, "expected a JSON object, got number"),
    "hstore": (42, "expected a map of strings (an object or hstore text), got number"),
}
LIST_FIELDS = {
    "debug_rule_configurations", "debug_rule_evaluation_statuses", "final_metric_data_list",
    "input_data_config", "profiler_rule_configurations", "profiler_rule_evaluation_statuses",
    "secondary_status_transitions",
}  # fmt: skip


def _wrong(fld: SeedField) -> tuple[Any, str]:
    value, message = WRONG[fld.type]
    if fld.name in LIST_FIELDS:
        message = message.replace("a JSON object", "a JSON array")
    return value, message


@pytest.mark.parametrize("shape", ["seed", "describe"])
@pytest.mark.parametrize("fld", SEED_FIELDS, ids=[f.name for f in SEED_FIELDS])
def test_wrong_type_in_every_seed_field(
    fld: SeedField, shape: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shape == "describe" and fld.aws_key is None:
        pytest.skip(f"{fld.name} is derived from the ARN in a DescribeTrainingJob response")
    value, message = _wrong(fld)
    key = fld.name if shape == "seed" else fld.aws_key
    name_key = "training_job_name" if shape == "seed" else "TrainingJobName"
    good = {name_key: "wt", "training_job_status" if shape == "seed" else "TrainingJobStatus": "Completed"}
    path = tmp_path / f"{fld.name}.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, key: value}) + "\n", encoding="utf-8")
    # A policy reading the field: only fields some policy reads are coerced (and the identity).
    (tmp_path / "pack").mkdir()
    reader = write_policy(tmp_path / "pack", f"check:\n  path: $.{fld.name}\n  exists: true\n")
    code, _out, err, doc = _scan_input(capsys, tmp_path, path, extra=("--policies", str(reader)))
    assert (code, doc["summary"]["records"]) == (3, 1)
    assert _problem_lines(err) == [f"{path}:2: field {fld.name}: {message}"]
    assert doc["errors"][0]["field"] == fld.name and doc["errors"][0]["line"] == 2


@pytest.mark.parametrize("fld", [f for f in SEED_FIELDS if f.name not in IDENTITY], ids=lambda f: f.name)
def test_wrong_type_in_a_field_no_policy_reads_keeps_the_job(
    fld: SeedField, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    value, _message = _wrong(fld)
    good = {"training_job_arn": ACCOUNT_ARN + "kept", "training_job_status": "Completed"}
    path = tmp_path / "kept.jsonl"
    path.write_text(json.dumps({**good, fld.name: value}) + "\n", encoding="utf-8")
    (tmp_path / "pack").mkdir()
    reader = write_policy(tmp_path / "pack", "check:\n  path: $.enable_network_isolation\n  equals: true\n")
    if fld.name == "enable_network_isolation":
        reader = write_policy(tmp_path / "pack", "check:\n  path: $.role_arn\n  exists: true\n")
    code, _out, err, doc = _scan_input(capsys, tmp_path, path, extra=("--policies", str(reader)), reading=())
    # The job is judged (FAIL: the policy's field is absent), not dropped for a value nobody reads.
    assert (code, doc["summary"]["records"], _problem_lines(err)) == (1, 1, [])
    assert [f["status"] for f in doc["findings"]] == ["FAIL"]


def _deep_object(levels: int) -> str:
    return '{"a": ' * levels + "1" + "}" * levels


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("deep.json", '{"training_job_name": "d", "vpc_config": ' + _deep_object(10_000) + "}",
         "{file}:1: JSON nested deeper than 200 levels"),
        ("deep.jsonl", json.dumps({"training_job_name": "ok"}) + "\n[" * 1 + "[" * 9_999 + "]" * 10_000,
         "{file}:2: JSON nested deeper than 200 levels"),
        ("array.json", '[{"training_job_name": "ok"},\n' + "[" * 10_000 + "]" * 10_000 + "]",
         "{file}:2: JSON nested deeper than 200 levels"),
        ("text-column.jsonl", json.dumps({"training_job_name": "d", "vpc_config": _deep_object(10_000)}),
         "{file}:1: field vpc_config: expected at most 200 levels of nesting"),
        ("text-column-900.jsonl", json.dumps({"training_job_name": "d", "vpc_config": _deep_object(900)}),
         "{file}:1: field vpc_config: expected at most 200 levels of nesting"),
    ],
)  # fmt: skip
def test_records_nested_10000_levels(
    name: str, content: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    path.write_text(content + "\n", encoding="utf-8")
    code, _out, err, _doc = _scan_input(capsys, tmp_path, path)
    assert code == 3
    assert _problem_lines(err) == [expected.format(file=path)]


def test_huge_strings_are_scanned_and_stay_out_of_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.jsonl"
    secret = "AKIA" + "Q" * 16
    record = {
        "training_job_arn": ACCOUNT_ARN + "huge",
        "failure_reason": "x" * 20_000_000,
        "environment": {"BLOB": "y" * 5_000_000, "AWS_KEY": secret + " " + "z" * 5_000_000},
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    code, _out, err, doc = _scan_input(capsys, tmp_path, path, extra=("--include-passed",))
    assert code == 1 and doc["summary"]["records"] == 1
    written = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir())
    assert len(written) < 2_000_000 and secret not in written + err
    assert "[5000021 chars] (aws-access-key-id)" in written  # the flagged value, masked to its length


def test_file_limits_are_configurable(tmp_path: Path) -> None:
    lines = tmp_path / "limits.jsonl"
    lines.write_text(
        json.dumps({"training_job_name": "small"}) + "\n"
        + json.dumps({"training_job_name": "big", "failure_reason": "x" * 500}) + "\n"
        + json.dumps({"training_job_name": "deep", "vpc_config": json.loads(_deep_object(5))}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    items = list(FileSource(FileOptions((str(lines),), max_file_bytes=200, max_depth=4)).items())
    assert [str(i) if not hasattr(i, "data") else i.data["training_job_name"] for i in items] == [
        "small",
        f"{lines}:2: line longer than 200 bytes",
        f"{lines}:3: JSON nested deeper than 4 levels",
    ]
    whole = tmp_path / "whole.json"
    whole.write_text(json.dumps([{"training_job_name": "x" * 300}]), encoding="utf-8")
    assert [str(i) for i in FileSource(FileOptions((str(whole),), max_file_bytes=200)).items()] == [
        f"{whole}: file larger than 200 bytes (not JSON Lines)"
    ]


# --- request files (positional PATHs): case -> exact problem lines; exit 3
REQUEST_CASES: dict[str, list[str]] = {
    "truncated.json": ["{file}:7: invalid JSON at line 7 column 20: invalid string: Invalid control character"],
    "wrong-type.json": [
        '{file}:1: field enable_network_isolation: expected a boolean (true/false or "t"/"f"/"true"/"false"), '
        "got string (at /)"
    ],
    "nested-hyperparameters.json": ["{file}:1: field hyper_parameters: expected string values, got object (at /)"],
    "nul-byte.json": ["{file}:8: invalid JSON at line 8 column 22: invalid string: Invalid control character"],
    "non-finite.json": ["{file}:8: invalid JSON at line 8 column 48: a number out of range"],
    "tab-indent.yaml": ["{file}:3: invalid YAML at line 3 column 1: tab characters are not allowed for indentation"],
    "alias-bomb.yaml": ["{file}:4: invalid YAML at line 4 column 6: anchors (&name) are not supported"],
    "python-tag.yaml": [
        "{file}:3: invalid YAML at line 3 column 18: tag !!python/object/apply:os.system is not supported"
    ],
    "impossible-date.yaml": ["{file}:3: invalid YAML at line 3 column 15: invalid value: day is out of range for month"],
    "non-utf8.yaml": ["{file}:3: bytes that are not UTF-8 at line 3"],
    "control-char.yaml": ["{file}:3: invalid YAML at line 3 column 17: control character 0x07 is not allowed"],
    "integer-too-long.json": ["{file}:8: invalid JSON at line 8 column 48: an integer with too many digits"],
}


def _scan_requests(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, *paths: Path
) -> tuple[int, str, str, dict[str, Any]]:
    report = tmp_path / "report.json"
    code, out, err = run_cli(capsys, "scan", *paths, "-o", report)
    assert "Traceback" not in out + err
    return code, out, err, json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}


def test_every_request_case_has_a_fixture() -> None:
    assert {p.name for p in (BAD / "requests").iterdir()} == set(REQUEST_CASES)


@pytest.mark.parametrize("case", sorted(REQUEST_CASES))
def test_bad_request_file(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = BAD / "requests" / case
    code, _out, err, doc = _scan_requests(capsys, tmp_path, path)
    expected = [line.format(file=path) for line in REQUEST_CASES[case]]
    assert (code, _problem_lines(err)) == (3, expected)
    assert doc["scan"]["complete"] is False


def test_request_file_limits(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    base = {"TrainingJobName": "r", "AlgorithmSpecification": {"TrainingImage": "x"}, "RoleArn": "arn:aws:iam::1:role/r"}
    big.write_text(json.dumps({**base, "FailureReason": "x" * (9 * 1024 * 1024)}), encoding="utf-8")
    deep = tmp_path / "deep.json"
    deep.write_text(json.dumps(base)[:-1] + ', "VpcConfig": ' + "[" * 10_000 + "]" * 10_000 + "}", encoding="utf-8")
    assert [str(p) for p in RequestFileSource(RequestOptions((str(big),))).items()] == [
        f"{big}: file larger than 8388608 bytes: not scanned"
    ]
    column = len(json.dumps(base)) + len(', "VpcConfig": ') + 99
    assert [str(p) for p in RequestFileSource(RequestOptions((str(deep),))).items()] == [
        f"{deep}:1: invalid JSON at line 1 column {column}: nesting deeper than 100 levels"
    ]
    assert [str(p) for p in RequestFileSource(RequestOptions((str(deep),), max_depth=3)).items()][0].endswith(
        "nesting deeper than 3 levels"
    )


# --- a real process: nothing but one line per problem on stderr, whatever happens
@pytest.mark.parametrize(
    "argv,code,last_line",
    [
        (["scan", "--input", "{good}", "--policies", str(BAD / "policies"), "-o", "{out}"], 2,
         "smscan: {n} policy problem(s); nothing was scanned"),
        (["scan", *READING, "--input", str(BAD / "records"), "-o", "{out}"], 3,
         "  INCOMPLETE: 22 input problems: not everything could be scanned (--allow-partial to accept) (exit 3)"),
        (["scan", *READING, "--input", str(BAD / "records"), "-o", "{out}", "--allow-partial", "--fail-on", "never"], 0,
         "  PASSED: --fail-on never: findings are reported, they do not fail the run"
         " (22 input problems accepted with --allow-partial) (exit 0)"),
    ],
)  # fmt: skip
def test_subprocess_never_prints_a_traceback(argv: list[str], code: int, last_line: str, tmp_path: Path) -> None:
    good = _good_input(tmp_path)
    out = tmp_path / "report.json"
    args = [a.format(good=good, out=out) for a in argv]
    proc = subprocess.run(
        [sys.executable, "-m", "smscan", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == code, proc.stderr
    n = sum(len(lines) for lines in POLICY_CASES.values())
    assert proc.stderr.splitlines()[-1] == last_line.format(n=n)


def test_origin_of_a_record_line_is_its_line_number(tmp_path: Path) -> None:
    items = list(FileSource(FileOptions((str(BAD / "records" / "one-bad-line.jsonl"),))).items())
    assert [getattr(i, "origin", None) or i.line for i in items] == [
        Origin(str(BAD / "records" / "one-bad-line.jsonl"), line=n) if n != 3 else 3 for n in range(1, 6)
    ]
