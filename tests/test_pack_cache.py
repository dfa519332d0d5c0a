"""The built-in pack's parse cache: used only when it is provably the parse of the same bytes.

The fixtures are the built-in pack's own files (policies/), copied to a temporary
directory that stands in for the installed pack: they are what the cache is for. The
dated example in test_dates_and_times_round_trip is written like the timestamps of a
DescribeTrainingJob answer (CreationTime, TrainingStartTime: ISO 8601 with an offset,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeTrainingJob.html).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import smscan.policy.loader as loader
import smscan.yamlparse
from smscan.errors import PolicyError
from smscan.policy import pack_cache
from smscan.policy.pack_cache import PackTrees, cache_path, decode, encode, same
from smscan.yamlpos import YMap, parse_text, read_text

PACK = sorted(loader.builtin_pack_dir().glob("*.yaml"))


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed although the cache holds this file")

    monkeypatch.setattr(smscan.yamlparse, "parse_document", refuse)


def _problems(paths: list[str] | None = None) -> list[str]:
    with pytest.raises(PolicyError) as info:
        loader.load_policies(paths or [])
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("path", PACK, ids=[p.stem for p in PACK])
def test_every_built_in_file_is_cached_and_reads_back_the_same(path: Path) -> None:
    tree = parse_text(read_text(path), trusted=True)
    encoded = encode(tree)
    assert encoded is not None, "a value JSON cannot hold: this file would be parsed on every run"
    assert same(decode(json.loads(json.dumps(encoded))), tree)


def test_a_second_load_reads_the_trees_from_the_cache(pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = loader.load_policies([])
    assert cache_path(pack).is_file()
    parsed = {file: parse_text(read_text(file), trusted=True) for file in pack.glob("*.yaml")}
    _no_parsing(monkeypatch)
    warm = loader.load_policies([])
    assert [p.id for p in warm] == [p.id for p in cold] and len(warm) == len(PACK)
    assert [p.info for p in warm] == [p.info for p in cold]  # positions, params, digests, texts
    trees = PackTrees(pack)
    for file, tree in parsed.items():
        assert same(trees.load(file), tree)


def test_an_edited_file_is_parsed_again_and_its_problems_keep_their_positions(pack: Path) -> None:
    loader.load_policies([])  # the cache now holds every file
    target = pack / "max-runtime-limit.yaml"
    target.write_text(target.read_text().replace("severity: medium", "severity: urgent\ncolour: blue"))
    with_cache = _problems()
    cache_path(pack).unlink()
    without = _problems()
    assert with_cache == without
    assert with_cache[0].startswith(f"{target}:3:1: policy max-runtime-limit: severity: unknown severity 'urgent'")
    assert any(line.startswith(f"{target}:4:1: policy max-runtime-limit: colour: unknown key") for line in with_cache)


def test_a_file_with_problems_reports_the_same_from_a_warm_cache(pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = pack / "vpc-configured.yaml"
    target.write_text(target.read_text().replace("id: vpc-configured", "id: vpc-configured\nseverity2: high"))
    cold = _problems()
    _no_parsing(monkeypatch)
    assert _problems() == cold and any("severity2: unknown key" in line for line in cold)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda text: text + "id: again\n", "duplicate key 'id' (first defined at line 1)"),
        (lambda text: text + "check:\n\tpath: $.x\n", "invalid YAML: "),
    ],
    ids=["duplicate-key", "tab"],
)
def test_yaml_smscan_refuses_is_never_cached(pack: Path, edit: Callable[[str], str], expected: str) -> None:
    target = pack / "vpc-configured.yaml"
    target.write_text(edit(target.read_text()))
    first, second = _problems(), _problems()
    assert first == second
    assert first[0].startswith(f"{target}:") and expected in first[0]
    assert "vpc-configured.yaml" not in json.loads(cache_path(pack).read_text())["files"]


@pytest.mark.parametrize(
    "cache_text",
    [
        b"\x00not json",
        b"[1, 2, 3]",
        b'{"key": "another parser", "files": {}}',
        b'{"key": null}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["garbage", "a-list", "another-parser", "no-files", "nested-too-deep"],
)
def test_a_cache_it_cannot_read_is_a_miss_and_is_written_afresh(pack: Path, cache_text: bytes) -> None:
    expected = [p.info for p in loader.load_policies([])]
    cache_path(pack).write_bytes(cache_text)
    assert [p.info for p in loader.load_policies([])] == expected
    assert json.loads(cache_path(pack).read_text())["key"] == pack_cache.parser_key()


def test_a_malformed_entry_for_the_right_bytes_is_parsed_instead(pack: Path) -> None:
    expected = [p.info for p in loader.load_policies([])]
    doc = json.loads(cache_path(pack).read_text())
    sha = doc["files"]["network-isolation.yaml"][0]
    for bad in ({"m": [1]}, {"m": [1, 1], "k": [[7, 1, 1, "a key YAML gives as text"]]}, {"m": ["1", 1], "k": []}, {"x": 1}):
        doc["files"]["network-isolation.yaml"] = [sha, bad]
        cache_path(pack).write_text(json.dumps(doc))
        assert [p.info for p in loader.load_policies([])] == expected


def test_an_entry_from_another_parser_is_not_used(pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loader.load_policies([])
    monkeypatch.setattr(pack_cache, "parser_key", lambda: "a newer yamlpos.py")
    assert PackTrees(pack).entries == {}


def test_without_its_parser_sources_nothing_is_cached(pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pack_cache, "parser_key", lambda: None)
    assert len(loader.load_policies([])) == len(PACK)
    assert not cache_path(pack).exists()


def test_the_key_follows_pyyaml_s_version_not_its_files_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache built into a deployment bundle must still match once the bundle is unzipped."""
    package = tmp_path / "yaml"
    package.mkdir()
    (package / "__init__.py").write_text("__version__ = '6.0.2'\n")
    (package / "composer.py").write_text("class Composer: ...\n")
    spec = type("Spec", (), {"submodule_search_locations": [str(package)]})()
    monkeypatch.setattr(pack_cache, "find_spec", lambda name: spec)
    before = pack_cache.parser_key()
    for file in package.iterdir():
        os.utime(file, (0, 0))
    assert pack_cache.parser_key() == before
    (package / "__init__.py").write_text("__version__ = '6.0.3'\n")
    assert pack_cache.parser_key() not in (before, None)


def test_no_cache_is_written_where_python_writes_no_bytecode(pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert len(loader.load_policies([])) == len(PACK)
    assert not cache_path(pack).exists()


def test_a_cache_written_before_is_read_even_where_no_bytecode_is_written(
    pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader.load_policies([])
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # as Python still reads existing .pyc files
    _no_parsing(monkeypatch)
    assert len(loader.load_policies([])) == len(PACK)


def test_an_unwritable_cache_directory_is_no_error(pack: Path) -> None:
    (pack / "__pycache__").write_text("a file where the directory would go")
    assert len(loader.load_policies([])) == len(PACK)
    assert len(loader.load_policies([])) == len(PACK)


def test_a_deleted_policy_leaves_the_cache(pack: Path) -> None:
    loader.load_policies([])
    (pack / "spot-max-wait.yaml").unlink()
    loader.load_policies([])
    assert "spot-max-wait.yaml" not in json.loads(cache_path(pack).read_text())["files"]


def test_loading_one_built_in_file_keeps_the_others_entries(pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loader.load_policies([])
    [policy] = loader.load_policies([str(pack / "vpc-configured.yaml")], {})  # as `smscan policy test` does
    assert policy.id == "vpc-configured"
    assert sorted(json.loads(cache_path(pack).read_text())["files"]) == sorted(p.name for p in PACK)
    _no_parsing(monkeypatch)
    assert len(loader.load_policies([])) == len(PACK)


def test_user_packs_are_never_cached(tmp_path: Path, pack: Path) -> None:
    user = tmp_path / "mine"
    user.mkdir()
    shutil.copyfile(pack / "vpc-configured.yaml", user / "vpc-configured.yaml")
    assert [p.id for p in loader.load_policies([str(user)])] == ["vpc-configured"]
    assert not cache_path(user).exists() and not cache_path(pack).exists()


def test_dates_and_times_round_trip() -> None:
    tree = parse_text("created: 2026-03-01T09:15:42.318+02:00\nday: 2026-03-01\nnaive: 2026-03-01 09:15:42\n")
    assert isinstance(tree, YMap)
    assert same(decode(json.loads(json.dumps(encode(tree)))), tree)


def test_values_json_cannot_hold_are_not_cached() -> None:
    assert encode(parse_text("blob: !!binary aGVsbG8=\n")) is None
    assert not same(parse_text("a: 1\n"), parse_text("a: true\n"))  # 1 == True in Python, not here
