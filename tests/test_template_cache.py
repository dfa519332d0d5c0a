"""The cache of message-template checks: Jinja2 is spared only for the exact text that passed.

The fixtures are the built-in pack's own files (policies/), copied to a temporary
directory that stands in for the installed pack, as in test_pack_cache.py: their
templates are what the cache is for. The records are bench/fleet.py's generated
DescribeTrainingJob-shaped jobs (that generator follows the example response of
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeTrainingJob.html).
"""

from __future__ import annotations

import json
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import smscan.policy.loader as loader
import smscan.policy.messages
from bench.fleet import fleet
from smscan.engine import Engine
from smscan.errors import PolicyError
from smscan.models import Origin, Record
from smscan.policy import pack_cache, template_cache
from smscan.policy.message_field import REFUSED, PolicyMessage
from smscan.policy.model import Policy
from smscan.policy.template_cache import CACHE_NAME, TemplateChecks, checker_key, template_digest

PACK = sorted(loader.builtin_pack_dir().glob("*.yaml"))
Checked = list[str]


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> Checked:
    """The template texts Jinja2 checks from now on, in order."""
    seen: Checked = []
    real = smscan.policy.messages.MessageTemplate

    def counting(source: str) -> smscan.policy.messages.MessageTemplate:
        seen.append(source)
        return real(source)

    monkeypatch.setattr(smscan.policy.messages, "MessageTemplate", counting)
    return seen


def _cache(pack: Path) -> Path:
    return pack / "__pycache__" / CACHE_NAME


def _problems(paths: list[str] | None = None) -> list[str]:
    with pytest.raises(PolicyError) as info:
        loader.load_policies(paths or [])
    return [str(p) for p in info.value.problems]


def _messages(policies: list[Policy]) -> list[tuple[str, str]]:
    """(policy id, message) of every finding over a generated fleet."""
    engine = Engine(policies)
    found = []
    for i, data in enumerate(fleet(40, seed=5)):
        for verdict in engine.evaluate(Record(data=data, origin=Origin("fleet.jsonl", i + 1))):
            if verdict.finding is not None:
                found.append((verdict.finding.policy_id, verdict.finding.message))
    return found


def test_a_second_load_checks_no_template_with_jinja2(pack: Path, checked: Checked) -> None:
    cold = loader.load_policies([])
    assert len(checked) == len(PACK)  # every built-in policy has a message
    assert len(json.loads(_cache(pack).read_text())["passed"]) == len(PACK)
    checked.clear()
    warm = loader.load_policies([])
    assert checked == []
    assert [p.info for p in warm] == [p.info for p in cold]
    assert [p.message.source for p in warm if p.message] == [p.message.source for p in cold if p.message]


def test_a_scan_renders_the_same_messages_from_a_warm_cache(pack: Path, checked: Checked) -> None:
    cold = _messages(loader.load_policies([]))
    warm_policies = loader.load_policies([])
    checked.clear()
    warm = _messages(warm_policies)
    assert warm == cold and len(cold) > 40  # the fleet fails several policies a job
    # Each template rendered was checked by Jinja2 once, before its first render: none on the cache's word.
    rendered = {policy_id for policy_id, _ in warm}
    assert sorted(checked) == sorted(p.message.source for p in warm_policies if p.message and p.id in rendered)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("'{{ job_name }} {{ x.__class__ }}'", "message: template reaches for a private attribute"),
        ("'{{ job_name '", "message: invalid template: "),
    ],
    ids=["private-attribute", "syntax"],
)
def test_an_invalid_template_is_refused_alike_with_or_without_the_cache(
    pack: Path, checked: Checked, template: str, expected: str
) -> None:
    loader.load_policies([])  # every built-in template is now known to pass
    target = pack / "vpc-configured.yaml"
    lines = target.read_text().splitlines()
    at = next(i for i, text in enumerate(lines) if text.startswith("message:"))
    end = next(i for i in range(at + 1, len(lines)) if lines[i] and not lines[i].startswith(" "))
    target.write_text("\n".join([*lines[:at], f"message: {template}", *lines[end:]]) + "\n")
    checked.clear()
    with_cache, again = _problems(), _problems()
    _cache(pack).unlink()
    without = _problems()
    assert with_cache == again == without
    assert with_cache[0].startswith(f"{target}:{at + 1}:1: policy vpc-configured: {expected}")
    assert checked.count(template.strip("'")) == 3  # checked by Jinja2 on each of the three loads: never cached
    assert template_digest(template.strip("'")) not in json.loads(_cache(pack).read_text())["passed"]


def test_an_edited_template_is_checked_again(pack: Path, checked: Checked) -> None:
    loader.load_policies([])
    target = pack / "network-isolation.yaml"
    target.write_text(target.read_text().replace("message: >-\n", "message: >-\n  Edited:\n", 1))
    checked.clear()
    [edited] = [p for p in loader.load_policies([]) if p.id == "network-isolation"]
    assert edited.message is not None and checked == [edited.message.source]
    assert edited.message.source.startswith("Edited:")


def test_unchanged_templates_of_a_user_pack_are_known_too(tmp_path: Path, pack: Path, checked: Checked) -> None:
    user = tmp_path / "mine"
    user.mkdir()
    text = (pack / "vpc-configured.yaml").read_text().replace("message: >-\n", "message: >-\n  Ours:\n", 1)
    (user / "vpc-configured.yaml").write_text(text)
    [first] = loader.load_policies([str(user)])
    checked.clear()
    [second] = loader.load_policies([str(user)])
    assert checked == [] and first.message is not None and second.message is not None
    assert second.message.source == first.message.source and first.message.source.startswith("Ours:")
    assert not (user / "__pycache__").exists()  # stored with the built-in pack's caches only


@pytest.mark.parametrize(
    "cache_text",
    [
        b"\x00not json",
        b"[1, 2, 3]",
        b'{"key": "another checker", "passed": []}',
        b'{"key": null}',
        b"[" * 100_000 + b"]" * 100_000,
        "another-entry-shape",
        "not-hex",
    ],
    ids=["garbage", "a-list", "another-checker", "no-entries", "nested-too-deep", "another-entry-shape", "not-hex"],
)
def test_a_cache_it_cannot_trust_is_a_miss_and_is_written_afresh(
    pack: Path, checked: Checked, cache_text: bytes | str
) -> None:
    expected = [p.info for p in loader.load_policies([])]
    if isinstance(cache_text, str):  # the right key, but entries save never writes
        doc = json.loads(_cache(pack).read_text())
        first = doc["passed"][0]
        doc["passed"][0] = {"sha": first} if cache_text == "another-entry-shape" else first.upper()
        cache_text = json.dumps(doc).encode()
    _cache(pack).write_bytes(cache_text)
    checked.clear()
    assert [p.info for p in loader.load_policies([])] == expected
    assert len(checked) == len(PACK)  # none of it trusted
    doc = json.loads(_cache(pack).read_text())
    assert doc["key"] == checker_key() and len(doc["passed"]) == len(PACK)


def test_an_entry_from_another_checker_is_not_used(pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loader.load_policies([])
    assert TemplateChecks(pack).known
    monkeypatch.setattr(template_cache, "checker_key", lambda: "a newer messages.py")
    assert TemplateChecks(pack).known == {}


def test_the_key_follows_jinja2_s_version_and_needs_its_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "jinja2"
    package.mkdir()
    (package / "__init__.py").write_text('__version__ = "3.1.4"\n')
    (package / "parser.py").write_text("class Parser: ...\n")
    spec = type("Spec", (), {"submodule_search_locations": [str(package)]})()
    monkeypatch.setattr(pack_cache, "find_spec", lambda name: spec if name == "jinja2" else None)
    before = checker_key()
    for file in package.iterdir():
        os.utime(file, (0, 0))
    assert checker_key() == before
    (package / "__init__.py").write_text('__version__ = "3.1.5"\n')
    assert checker_key() not in (before, None)
    monkeypatch.setattr(pack_cache, "find_spec", lambda name: None)
    assert checker_key() is None


def test_without_the_checker_s_sources_nothing_is_cached(
    pack: Path, checked: Checked, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(template_cache, "checker_key", lambda: None)
    loader.load_policies([])
    loader.load_policies([])
    assert len(checked) == 2 * len(PACK) and not _cache(pack).exists()


def test_no_cache_is_written_where_python_writes_no_bytecode(pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert len(loader.load_policies([])) == len(PACK)
    assert not _cache(pack).exists()


def test_a_cache_written_before_is_read_even_where_no_bytecode_is_written(
    pack: Path, checked: Checked, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader.load_policies([])
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # as Python still reads existing .pyc files
    checked.clear()
    assert len(loader.load_policies([])) == len(PACK) and checked == []


@pytest.mark.parametrize(
    "block",
    [
        lambda cache: cache.parent.parent.joinpath("__pycache__").write_text("a file where the directory goes"),
        lambda cache: cache.mkdir(parents=True),  # neither readable nor replaceable as a file
    ],
    ids=["unwritable-directory", "unreadable-cache"],
)
def test_a_cache_it_cannot_read_or_write_is_no_error(
    pack: Path, checked: Checked, block: Callable[[Path], object]
) -> None:
    block(_cache(pack))
    assert len(loader.load_policies([])) == len(PACK)
    assert len(loader.load_policies([])) == len(PACK)
    assert len(checked) == 2 * len(PACK)  # checked by Jinja2 each time, as without a cache


def test_the_cache_keeps_the_newest_entries(pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(template_cache, "MAX_ENTRIES", 5)
    loader.load_policies([])
    loader.load_policies([str(pack / "vpc-configured.yaml")])
    [policy] = loader.load_policies([str(pack / "vpc-configured.yaml")])
    passed = json.loads(_cache(pack).read_text())["passed"]
    assert len(passed) == 5 and policy.message is not None
    assert template_digest(policy.message.source) in passed


def test_a_text_utf8_cannot_encode_plainly_is_hashed_all_the_same() -> None:
    # A YAML escape such as "\ud800" gives a lone surrogate; hashing must not raise.
    assert template_digest("{{ job_name }} \ud800") != template_digest("{{ job_name }} ")


def test_a_template_that_fails_its_check_on_first_use_is_never_rendered() -> None:
    """Only a cache written by hand gets there: the check runs again before the first render."""
    forged = PolicyMessage("{{ job_name.__class__ }}")
    assert forged.render({"job_name": "train-1"}) == REFUSED
    assert forged.render({"job_name": "train-2"}) == REFUSED


def test_a_policy_message_renders_and_answers_as_its_template() -> None:
    source = "Job {{ job_name }} runs for {{ seconds }} s"
    lazy, built = PolicyMessage(source), smscan.policy.messages.MessageTemplate(source)
    context = {"job_name": "train-1", "seconds": 86400}
    assert lazy.render(context) == built.render(context) == "Job train-1 runs for 86400 s"
    assert lazy.template.source == source
    restored = pickle.loads(pickle.dumps(PolicyMessage(source)))
    assert restored.source == source and restored.render(context) == "Job train-1 runs for 86400 s"


def test_what_a_policy_message_does_not_define_comes_from_its_template() -> None:
    class Template:
        """Stands in for whatever else MessageTemplate offers the engine."""

        hits = 0

        def names(self) -> tuple[str, ...]:
            return ("job_name",)

    template = Template()
    message = PolicyMessage("{{ job_name }}", template)  # type: ignore[arg-type]
    assert message.names() == ("job_name",) and message.hits == 0
    template.hits = 1
    assert message.hits == 1  # data is read afresh; only bound methods are kept
    assert message.names.__self__ is template
