"""Gzipped record inputs: CloudTrail's S3 delivery format, read as the plain file is, or refused in one line.

CloudTrail delivers its log files to S3 gzipped, named
`AccountID_CloudTrail_RegionName_YYYYMMDDTHHmmZ_UniqueString.json.gz` (AWS CloudTrail user
guide, "CloudTrail log file examples": "FileNameFormat is the encoding of the file.
Currently, this is json.gz"; the example name below is the guide's own). The log file's
content is tests/fixtures/records/cloudtrail_log.json (its README cites the record shapes),
compressed here as CloudTrail writes it; `events.jsonl` (the SageMaker developer guide's
EventBridge samples) is the JSON Lines case.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from smscan.chunks import plan
from smscan.models import Problem, Record
from smscan.sources.compressed import gunzip
from smscan.sources.files import FileOptions, FileSource
from tests.cli_helpers import run_cli

RECORDS = Path(__file__).parent / "fixtures" / "records"
CLOUDTRAIL_LOG = RECORDS / "cloudtrail_log.json"
EVENTS = RECORDS / "events.jsonl"
DELIVERED_NAME = "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz"


def gz(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data, mtime=0))
    return path


def read(*paths: Path | str, stdin: io.BufferedReader | None = None, **options: int) -> list[Record | Problem]:
    return list(FileSource(FileOptions(tuple(str(p) for p in paths), **options), stdin=stdin).items())


def seen(items: list[Record | Problem]) -> list[tuple[str, object, object]]:
    """What a reader makes of a file, without the file's name (plain and gzipped differ there)."""
    out: list[tuple[str, object, object]] = []
    for item in items:
        if isinstance(item, Record):
            out.append(("record", item.key, (item.origin.line, item.origin.pointer, dict(item.unknown))))
        else:
            out.append((item.kind, item.line, item.message))
    return out


def test_a_delivered_cloudtrail_log_file_reads_as_its_plain_json(tmp_path: Path) -> None:
    delivered = gz(tmp_path / DELIVERED_NAME, CLOUDTRAIL_LOG.read_bytes())
    plain, zipped = read(CLOUDTRAIL_LOG), read(delivered)
    assert seen(zipped) == seen(plain)
    (record,) = [i for i in zipped if isinstance(i, Record)]
    assert record.origin.source == str(delivered)
    assert record.origin.pointer == "/Records/1/requestParameters"
    assert record.key.endswith("training-job/churn-2024-03-05")


def test_gzipped_json_lines_keep_their_line_numbers(tmp_path: Path) -> None:
    zipped = read(gz(tmp_path / "events.jsonl.gz", EVENTS.read_bytes()))
    assert seen(zipped) == seen(read(EVENTS))
    assert [(type(i).__name__, i.origin.line if isinstance(i, Record) else i.line) for i in zipped] == [
        ("Record", 1),
        ("Problem", 2),  # the endpoint event, skipped with a note
    ]


def test_any_gz_named_on_the_command_line_is_decompressed_and_sniffed(tmp_path: Path) -> None:
    export = gz(tmp_path / "training-jobs-export.gz", EVENTS.read_bytes())  # no inner extension
    assert seen(read(export)) == seen(read(EVENTS))  # sniffed as JSON Lines, as a plain file is


def test_a_directory_walk_reads_gzipped_files_in_path_order(tmp_path: Path) -> None:
    logs = tmp_path / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-2" / "2015" / "08" / "01"
    logs.mkdir(parents=True)
    gz(logs / DELIVERED_NAME, CLOUDTRAIL_LOG.read_bytes())
    gz(tmp_path / "events.jsonl.gz", EVENTS.read_bytes())
    (tmp_path / "notes.txt.gz").write_bytes(gzip.compress(b"not a record file"))  # not walked
    records = [i for i in read(tmp_path) if isinstance(i, Record)]
    assert [Path(r.origin.source).name for r in records] == [DELIVERED_NAME, "events.jsonl.gz"]


def test_gzipped_stdin_is_recognised_by_its_magic_bytes() -> None:
    stdin = io.BufferedReader(io.BytesIO(gzip.compress(CLOUDTRAIL_LOG.read_bytes())))  # type: ignore[arg-type]
    assert seen(read("-", stdin=stdin)) == seen(read(CLOUDTRAIL_LOG))
    assert not stdin.closed  # stdin is the caller's: only the decompressor is closed


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[: len(data) // 2], "truncated gzip data (the file ends before its end-of-stream marker)"),
        (lambda data: b"{\"Records\": []}", "not valid gzip data (Not a gzipped file (b'{\"'))"),
        (lambda data: data[:-8] + bytes(8), "not valid gzip data (CRC check failed 0x0 != "),
        (lambda data: data[:12] + b"\xff" * 40 + data[52:], "corrupt gzip data (Error -3 while decompressing data: "),
    ],
    ids=["truncated", "not-gzip", "bad-crc", "bad-deflate"],
)
def test_damaged_gzip_is_one_problem_naming_the_file(tmp_path: Path, damage: object, message: str) -> None:
    data = gzip.compress(CLOUDTRAIL_LOG.read_bytes(), mtime=0)
    path = tmp_path / DELIVERED_NAME
    path.write_bytes(damage(data))  # type: ignore[operator]
    problems = [i for i in read(path) if isinstance(i, Problem)]
    assert len(problems) == 1
    assert (problems[0].source, problems[0].kind) == (str(path), "input")
    assert problems[0].message.startswith(f"cannot read file: {message}")


def test_a_truncated_jsonl_gz_keeps_the_lines_before_the_damage(tmp_path: Path) -> None:
    line = EVENTS.read_bytes().splitlines(keepends=True)[0]
    data = gzip.compress(line * 2000, mtime=0)
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(data[: len(data) - 200])
    items = read(path)
    records = [i for i in items if isinstance(i, Record)]
    assert 0 < len(records) < 2000
    assert [str(p) for p in items if isinstance(p, Problem)] == [
        f"{path}: cannot read file: truncated gzip data (the file ends before its end-of-stream marker)"
    ]


def test_a_gzip_bomb_stops_at_max_file_bytes_of_decompressed_data(tmp_path: Path) -> None:
    data = gzip.compress(b" " * (64 * 1024 * 1024), mtime=0)  # 64 MiB of blanks in about 64 KB
    raw = io.BytesIO(data)
    stream = gunzip(raw, 65536, close_stream=False)
    with pytest.raises(OSError, match="decompressed data larger than 65536 bytes"):
        stream.read()
    assert raw.tell() < len(data) // 4  # stopped decompressing long before the end (gzip reads 8 KiB at a time)
    json_bomb = tmp_path / "bomb.json.gz"
    json_bomb.write_bytes(data)
    assert [str(p) for p in read(json_bomb, max_file_bytes=65536)] == [
        f"{json_bomb}: file larger than 65536 bytes (not JSON Lines)"
    ]
    lines_bomb = gz(tmp_path / "bomb.jsonl.gz", EVENTS.read_bytes() * 2000)
    items = read(lines_bomb, max_file_bytes=65536)
    assert str(items[-1]) == f"{lines_bomb}: cannot read file: decompressed data larger than 65536 bytes: not read further"
    assert 0 < sum(isinstance(i, Record) for i in items) < 2000


def test_gzipped_json_lines_stay_on_the_one_process_path(tmp_path: Path) -> None:
    path = gz(tmp_path / "events.jsonl.gz", EVENTS.read_bytes())
    assert plan(FileSource(FileOptions((str(path),))), 4) is None  # chunks of compressed bytes mean nothing


def test_the_cli_reports_a_truncated_log_file_in_one_line_and_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / DELIVERED_NAME
    path.write_bytes(gzip.compress(CLOUDTRAIL_LOG.read_bytes(), mtime=0)[:300])
    code, out, err = run_cli(capsys, "scan", "--input", path, "-o", tmp_path / "report.json")
    assert code == 3
    assert "Traceback" not in out + err
    assert f"{path}: cannot read file: truncated gzip data (the file ends before its end-of-stream marker)" in err
