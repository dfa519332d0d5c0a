"""FileSource: JSON, JSON Lines, directories and stdin in; Records and Problems out, never a crash."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from smscan.models import Problem, Record
from smscan.sources.files import FileOptions, FileSource

INPUTS = Path(__file__).parent / "fixtures" / "inputs"
ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/{}"


def scan(*paths: str | Path, **options: Any) -> tuple[list[Record], list[Problem]]:
    return split(FileSource(FileOptions(tuple(str(p) for p in paths), **options)))


def split(source: FileSource) -> tuple[list[Record], list[Problem]]:
    items = list(source.items())
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Problem)]


def job(name: str, **fields: Any) -> str:
    return json.dumps({"TrainingJobName": name, "TrainingJobArn": ARN.format(name), **fields})


# --- JSON Lines ---


def test_jsonl_one_bad_line_does_not_stop_the_rest() -> None:
    path = str(INPUTS / "fleet.jsonl")
    records, problems = scan(path)
    assert [r.data["training_job_name"] for r in records] == ["fleet-a", "fleet-b", "fleet-d"]
    assert [r.origin.line for r in records] == [1, 3, 6]
    assert records[0].data["vpc_config"]["Subnets"] == ["subnet-a"]
    assert records[2].data["region"] == "us-west-2"
    invalid, wrong_type = problems
    assert (invalid.source, invalid.line, invalid.kind) == (path, 4, "input")
    assert "invalid JSON at line 4 column" in invalid.message
    assert (wrong_type.line, wrong_type.kind) == (5, "record")
    assert wrong_type.field == "enable_network_isolation"
    assert wrong_type.resource == ARN.format("fleet-c")
    assert "boolean" in wrong_type.message
    assert "planted" not in str(wrong_type)
    assert str(wrong_type).startswith(f"{path}:5: field enable_network_isolation: expected")


def test_jsonl_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "x.ndjson"
    path.write_text(job("a") + "\n" + '["planted-secret"]\n' + job("b") + "\n")
    records, problems = scan(path)
    assert len(records) == 2
    [problem] = problems
    assert (problem.line, problem.kind) == (2, "record")
    assert "expected a JSON object" in problem.message and "planted" not in problem.message


def test_jsonl_nul_and_non_utf8_bytes_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bytes.jsonl"
    nul_line = job("b").encode().replace(b'"b"', b'"b\x00"')  # a raw NUL, not \u0000
    data = b"\n".join(
        [job("a").encode(), nul_line, job("c").encode(), b'{"TrainingJobName": "d\xff"}']
    )
    path.write_bytes(data)
    records, problems = scan(path)
    assert [r.data["training_job_name"] for r in records] == ["a", "c"]
    nul, bad = problems
    assert (nul.line, bad.line) == (2, 4)
    assert "NUL byte at line 2" in nul.message and nul.source == str(path)
    assert "not UTF-8 at line 4" in bad.message


def test_jsonl_is_streamed_past_max_file_bytes_but_long_lines_are_problems(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text(
        job("a") + "\n" + job("b", Environment={"PAD": "x" * 500}) + "\n" + job("c") + "\n"
    )
    records, problems = scan(path, max_file_bytes=200)
    assert [r.data["training_job_name"] for r in records] == ["a", "c"]
    [problem] = problems
    assert problem.line == 2 and "line longer than 200 bytes" in problem.message
    assert "xxx" not in problem.message


# --- JSON ---


def test_json_array_items_get_pointer_and_line() -> None:
    path = str(INPUTS / "fleet_array.json")
    records, problems = scan(path)
    assert [(r.origin.pointer, r.origin.line) for r in records] == [("/0", 2), ("/3", 13)]
    assert records[1].data["training_job_name"] == "array-d"
    vpc, not_object = problems
    assert (vpc.line, vpc.field, vpc.kind) == (7, "vpc_config", "record")
    assert vpc.resource == "arn:aws:sagemaker:ap-southeast-2:123456789012:training-job/array-b"
    assert "(item /1)" in vpc.message and "JSON object" in vpc.message
    assert (not_object.line, not_object.kind) == (12, "record")
    assert "got a string" in not_object.message and "not a record" not in not_object.message


def test_search_results_wrapper() -> None:
    records, problems = scan(INPUTS / "search_results.json")
    assert problems == []
    assert [r.origin.pointer for r in records] == ["/Results/0", "/Results/1"]
    assert records[0].data["tags"] == {"team": "fraud", "env": "prod"}
    assert records[0].data["creation_time"] == "2024-03-04T05:06:07Z"
    assert records[1].data["training_job_status"] == "Stopped"


@pytest.mark.parametrize("wrapper", ["TrainingJobs", "records"])
def test_other_list_wrappers(tmp_path: Path, wrapper: str) -> None:
    path = tmp_path / "w.json"
    items = [json.loads(job("a")), {"training_job_arn": ARN.format("b")}]
    path.write_text(json.dumps({wrapper: items, "exported_at": "2026-01-01"}))
    records, problems = scan(path)
    assert problems == []
    assert [r.key for r in records] == [ARN.format("a"), ARN.format("b")]
    assert records[1].origin.pointer == f"/{wrapper}/1"


def test_request_file_is_keyed_by_path() -> None:
    path = str(INPUTS / "create_request.json")
    [record], problems = scan(path)
    assert problems == []
    assert record.key == f"{path}#"
    assert (record.data["account_id"], record.data["region"]) == ("", "")
    assert record.data["tags"] == {"team": "ml"}
    assert record.origin.line == 1


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        '{\n  "TrainingJobName": "x",\n  "Environment": {"K": "planted-secret" oops}\n}\n'
    )
    records, [problem] = scan(path)
    assert records == []
    assert (problem.source, problem.line, problem.column, problem.kind) == (str(path), 3, 41, "input")
    assert "invalid JSON at line 3 column 41" in problem.message
    assert "planted" not in problem.message


def test_json_array_with_a_syntax_error_keeps_the_items_before_it(tmp_path: Path) -> None:
    path = tmp_path / "arr.json"
    path.write_text("[\n" + job("a") + ",\n" + job("b") + "\n" + job("c") + "\n]")
    records, [problem] = scan(path)
    assert [r.data["training_job_name"] for r in records] == ["a", "b"]
    assert (problem.line, problem.column) == (4, 1) and "Expecting ',' delimiter" in problem.message


@pytest.mark.parametrize("text", ["42", '"planted-secret"', "null", "[] []", '{"a": 1} x'])
def test_json_top_level_that_is_no_record(tmp_path: Path, text: str) -> None:
    path = tmp_path / "odd.json"
    path.write_text(text)
    records, [problem] = scan(path)
    assert records == [] and problem.source == str(path)
    assert "planted" not in problem.message


def test_empty_array_is_no_records(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text(" [ ] ")
    records, [problem] = scan(path)
    # An export that came out empty is not a clean fleet: it is an input problem.
    assert records == [] and problem.kind == "input"
    assert problem.message == "no training job record in the inputs (an empty export?)"


def test_json_larger_than_max_file_bytes(tmp_path: Path) -> None:
    path = tmp_path / "large.json"
    path.write_text("[" + ",".join([job("a")] * 50) + "]")
    records, [problem] = scan(path, max_file_bytes=1000)
    assert records == [] and problem.kind == "input"
    assert "larger than 1000 bytes" in problem.message


def test_json_non_utf8_names_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{\n"TrainingJobName": "x",\n"FailureReason": "caf\xe9"\n}')
    _, [problem] = scan(path)
    assert problem.line == 3 and "not UTF-8 at line 3" in problem.message


def test_json_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + job("a").encode())
    [record], problems = scan(path)
    assert problems == [] and record.data["training_job_name"] == "a"


# --- nesting ---


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_ten_thousand_levels_is_a_problem_not_a_crash(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"deep{suffix}"
    deep = '{"a":' * 10_000 + "1" + "}" * 10_000
    path.write_text(job("ok") + "\n" + deep + "\n" if suffix == ".jsonl" else deep)
    records, [problem] = scan(path)
    assert "nested deeper than 200 levels" in problem.message
    assert len(records) == (1 if suffix == ".jsonl" else 0)


def test_nesting_past_max_depth_but_parseable(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    deep: dict = {}
    for _ in range(60):
        deep = {"x": deep}
    path.write_text(json.dumps([json.loads(job("a")), json.loads(job("b", VpcConfig=deep))]))
    records, [problem] = scan(path, max_depth=50)
    assert [r.data["training_job_name"] for r in records] == ["a"]
    assert "deeper than 50" in problem.message


# --- directories, stdin, sniffing ---


def test_directory_walk_is_recursive_sorted_and_filtered(tmp_path: Path) -> None:
    root = tmp_path / "jobs"
    (root / "b").mkdir(parents=True)
    (root / "a").mkdir()
    (root / "b" / "z.jsonl").write_text(job("bz") + "\n")
    (root / "a" / "y.json").write_text(job("ay"))
    (root / "top.NDJSON").write_text(job("top") + "\n")
    (root / "notes.txt").write_text("not scanned")
    outside = tmp_path / "outside.json"
    outside.write_text(job("outside"))
    (root / "link-out.json").symlink_to(outside)
    (root / "link-in.json").symlink_to(root / "a" / "y.json")
    (root / "dirlink").symlink_to(tmp_path, target_is_directory=True)
    records, problems = scan(root)
    # The symlink out of the tree is skipped with a note; the symlinked directory is not entered.
    assert [(p.source, p.kind) for p in problems] == [(str(root / "link-out.json"), "note")]
    assert "outside the scanned directory" in problems[0].message
    assert [r.data["training_job_name"] for r in records] == ["ay", "bz", "ay", "top"]
    assert records[0].origin.source == str(root / "a" / "y.json")


def test_empty_directory_is_a_note_and_no_records_a_problem(tmp_path: Path) -> None:
    _, [note, problem] = scan(tmp_path)
    assert note.kind == "note" and "no .json" in note.message
    assert problem.kind == "input" and "no training job record" in problem.message


def test_missing_file_is_an_input_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    records, [problem] = scan(missing, INPUTS / "create_request.json")
    assert len(records) == 1
    assert (problem.source, problem.kind) == (str(missing), "input")
    assert "no such file" in problem.message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_is_an_input_problem(tmp_path: Path) -> None:
    path = tmp_path / "secret.json"
    path.write_text(job("a"))
    path.chmod(0)
    _, [problem] = scan(path)
    assert problem.kind == "input" and "cannot read file" in problem.message


def test_dangling_symlink_inside_a_directory_is_an_input_problem(tmp_path: Path) -> None:
    (tmp_path / "ok.json").write_text(job("a"))
    (tmp_path / "gone.json").symlink_to(tmp_path / "deleted.json")
    records, [problem] = scan(tmp_path)
    assert len(records) == 1
    assert problem.source == str(tmp_path / "gone.json") and problem.kind == "input"
    assert "cannot read file: No such file or directory" in problem.message


def test_stdin_jsonl_detected_by_content() -> None:
    stdin = io.BytesIO(("\n" + job("a") + "\n" + job("b") + "\n\n" + job("c")).encode())
    source = FileSource(FileOptions(("-",)), stdin=stdin)
    records, problems = split(source)
    assert problems == []
    assert [r.origin.line for r in records] == [2, 3, 5]
    assert records[0].origin.source == "<stdin>"
    assert source.describe() == "1 file (<stdin>)"


def test_stdin_pretty_json_detected_by_content() -> None:
    doc = {
        "Results": [{"TrainingJob": json.loads(job("a"))}, {"TrainingJob": json.loads(job("b"))}]
    }
    stdin = io.BytesIO(json.dumps(doc, indent=2).encode())
    records, problems = split(FileSource(FileOptions(("-",)), stdin=stdin))
    assert problems == [] and [r.origin.pointer for r in records] == ["/Results/0", "/Results/1"]


def test_unknown_extension_sniffed_as_jsonl_with_a_bad_first_line(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text('{"TrainingJobName": }\n' + job("b") + "\n")
    records, [problem] = scan(path)
    assert [r.data["training_job_name"] for r in records] == ["b"]
    assert problem.line == 1


def test_unknown_extension_single_object(tmp_path: Path) -> None:
    path = tmp_path / "one"
    path.write_text(job("solo"))
    [record], problems = scan(path)
    assert problems == [] and record.key == ARN.format("solo")


def test_describe_lists_files(tmp_path: Path) -> None:
    for name in ("a.json", "b.jsonl", "c.json"):
        (tmp_path / name).write_text(job(name) + "\n")
    assert FileSource(FileOptions((str(tmp_path),))).describe() == "3 files (a.json, b.jsonl, ...)"


def test_unknown_keys_are_counted_in_a_note(tmp_path: Path) -> None:
    path = tmp_path / "k.jsonl"
    path.write_text(job("a", Novel=1) + "\n" + job("b", Novel=2, Other=3) + "\n")
    source = FileSource(FileOptions((str(path),)))
    items = list(source.items())
    assert sum(isinstance(i, Record) for i in items) == 2
    note = items[-1]
    assert isinstance(note, Problem) and note.kind == "note"
    assert "2 unknown top-level key(s): Novel, Other" in note.message
    assert source.stats.unknown_keys["Novel"] == 2
