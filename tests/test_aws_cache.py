"""--cache: a warm rescan skips DescribeTrainingJob for unchanged finished jobs, gives the same
records, refreshes tags in bulk, and never trusts a file it did not write."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from smscan.models import Problem, Record
from smscan.sources.aws.cache import Cache
from smscan.sources.aws.source import AwsOptions, AwsSource
from tests.moto_server import ACCOUNT, aws_env, create_jobs, sagemaker

__all__ = ["aws_env"]


def _notes(source: AwsSource) -> list[str]:
    return [str(note) for note in source.report().notes]


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


def scan(
    cache: Path, fields: frozenset[str] | None = None, **options: Any
) -> tuple[dict[str, dict[str, Any]], AwsSource]:
    source = AwsSource(AwsOptions(regions=("us-east-1",), cache_path=cache, **options), fields)
    items = list(source.items())
    assert [i for i in items if isinstance(i, Problem)] == []
    return {i.key: i.data for i in items if isinstance(i, Record)}, source


def arn(name: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/{name}"


@pytest.mark.parametrize("fetch", ["describe", "auto"])
def test_warm_scan_skips_describe_for_unchanged_finished_jobs(
    moto: None, tmp_path: Path, fetch: str
) -> None:
    create_jobs(sagemaker(), 120)  # statuses cycle: 3 of every 5 are finished
    cold, cold_src = scan(tmp_path / "c.db", fetch=fetch)
    assert cold_src.report().api_calls["DescribeTrainingJob"] == 120
    warm, warm_src = scan(tmp_path / "c.db", fetch=fetch)
    assert warm == cold
    calls = warm_src.report().api_calls
    running = sum(
        1 for d in cold.values() if d["training_job_status"] in ("InProgress", "Stopping")
    )
    assert calls.get("DescribeTrainingJob", 0) == running == 48
    assert "ListTags" not in calls
    assert "cache saved 72 DescribeTrainingJob calls" in _notes(warm_src)
    assert warm_src.report().scope["cache_hits"] == 72


def test_a_fully_finished_fleet_rescans_with_zero_describes(moto: None, tmp_path: Path) -> None:
    client = sagemaker()
    names = create_jobs(client, 30)
    from tests.moto_server import set_status

    for name in names:
        set_status(name, "Completed")
    scan(tmp_path / "c.db", fetch="describe")
    _, warm = scan(tmp_path / "c.db", fetch="describe")
    assert set(warm.report().api_calls) == {"GetCallerIdentity", "ListTrainingJobs", "Search"}


def test_tags_and_modified_jobs_are_refreshed(moto: None, tmp_path: Path) -> None:
    client = sagemaker()
    create_jobs(client, 5)
    scan(tmp_path / "c.db", fetch="describe")
    client.add_tags(ResourceArn=arn("job-0000"), Tags=[{"Key": "owner", "Value": "new"}])
    from moto.sagemaker.models import sagemaker_backends

    job = sagemaker_backends[ACCOUNT]["us-east-1"].training_jobs["job-0001"]
    setattr(job, "failure_reason", "changed")  # noqa: B010  (moto does not declare it)
    job.last_modified_time = job.last_modified_time.replace(year=job.last_modified_time.year + 1)
    warm, source = scan(tmp_path / "c.db", fetch="describe")
    assert warm[arn("job-0000")]["tags"]["owner"] == "new"
    assert warm[arn("job-0001")]["failure_reason"] == "changed"
    assert source.report().api_calls["DescribeTrainingJob"] == 1 + 2  # job-0001 + the 2 still running


@pytest.mark.parametrize("content", [b"not a database at all" * 100, b""])
def test_corrupt_cache_is_moved_aside_and_rebuilt(
    moto: None, tmp_path: Path, content: bytes
) -> None:
    create_jobs(sagemaker(), 3)
    path = tmp_path / "c.db"
    path.write_bytes(content)
    records, source = scan(path, fetch="describe")
    assert len(records) == 3
    if content:
        assert any("moved to c.db.bad and rebuilt" in n for n in _notes(source))
        assert (tmp_path / "c.db.bad").read_bytes() == content
    _, warm = scan(path, fetch="describe")
    assert warm.report().scope["cache_hits"] == 3  # Completed, Failed, Stopped: all finished


def test_foreign_sqlite_file_is_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE describe (arn, last_modified, status, doc)")
        conn.execute("INSERT INTO describe VALUES ('a', 't', 'Completed', '{}')")
    cache = Cache(path)
    assert cache.get("a", "t") is None
    assert cache.notes and "is not an smscan cache" in cache.notes[0]
    cache.close()


def test_cache_round_trips_timestamps(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    when = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=timezone.utc)
    cache = Cache(tmp_path / "c.db")
    cache.put("a", when, "Completed", {"CreationTime": when, "Tags": [{"Key": "k", "Value": "v"}]})
    cache.close()
    cache = Cache(tmp_path / "c.db")
    assert cache.get("a", when) == {"CreationTime": when}  # tags are never cached
    assert cache.get("a", when.replace(second=6)) is None
    cache.close()


def test_search_plan_does_not_use_the_cache(moto: None, tmp_path: Path) -> None:
    create_jobs(sagemaker(), 2)
    _, source = scan(tmp_path / "c.db", frozenset({"tags"}))
    assert "cache unused: the search plan makes no DescribeTrainingJob calls" in _notes(source)
    assert not (tmp_path / "c.db").exists()


def test_the_cache_file_is_private_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    Cache(path).close()
    assert path.stat().st_mode & 0o777 == 0o600
