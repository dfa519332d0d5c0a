"""Load YAML keeping the line and column of every key, and refuse what a policy never needs.

Policies and waivers are trusted, but they are still files a person edits: every
error must point at FILE:LINE:COL. PyYAML's safe_load loses positions and silently
keeps the last of two duplicate keys, so we compose the node tree ourselves.
Anchors and aliases are refused outright: no policy needs them, and they are how
a "billion laughs" file explodes in memory.

The values and their positions live here; composing them with PyYAML is
smscan.yamlparse's, imported on the first parse, so a command that reads no YAML (or
reads the built-in pack from its cache, smscan.policy.pack_cache) never imports PyYAML.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

DEFAULT_MAX_BYTES = 1024 * 1024  # a policy is a few KB; 1 MiB is generous
MAX_DEPTH = 64


@dataclass(frozen=True)
class Pos:
    line: int  # 1-based
    col: int  # 1-based


_NO_BLOCKS: Mapping[Any, int] = MappingProxyType({})


class YMap(dict):
    """A mapping that remembers where it and each of its keys stand.

    `blocks` maps a key whose value is a literal block scalar (`key: |`, `key: !Sub |`) to
    the file line of the value's first line: in a literal block each line of the string is
    one line of the file, so a reader of a document held in such a string (a state machine
    in a CloudFormation DefinitionString) can place what it finds on the file's own lines.
    Folded (`>`), quoted and plain scalars join or escape lines, so they are not listed.
    """

    pos: Pos
    key_pos: dict[str, Pos]
    blocks: Mapping[str, int] = _NO_BLOCKS


class YList(list):
    pos: Pos
    item_pos: list[Pos]
    blocks: Mapping[int, int] = _NO_BLOCKS  # item index -> first line, as YMap.blocks


@dataclass(frozen=True)
class BadScalar:
    """A scalar PyYAML cannot build (`2027-02-30`), kept in place so the file's other
    problems are still found; whoever expects a value there reports it at `pos`."""

    text: str
    problem: str
    pos: Pos

    def __str__(self) -> str:
        return self.text


class YamlProblem(Exception):
    """One problem with a YAML document, already positioned.

    `detail` is the problem alone; `syntax` is True when the text is not YAML at all
    (then `str()` starts with "invalid YAML: "), False when it is YAML smscan refuses
    (an alias, a Python tag). Callers that word their own message use the values.
    """

    def __init__(self, detail: str, pos: Pos | None = None, *, syntax: bool = False) -> None:
        self.detail = detail
        self.pos = pos
        self.syntax = syntax
        super().__init__(f"invalid YAML: {detail}" if syntax else detail)


# (tag, value, position) -> value, for application tags such as CloudFormation's `!Ref`.
LocalTags = Callable[[str, Any, Pos], Any]


def parse_text(
    text: str, tags: LocalTags | None = None, keep_bad: bool = False, *, trusted: bool = False
) -> Any:
    """Parse one YAML document into YMap/YList/scalars. Raises YamlProblem.

    `tags` gives application tags (`!Ref`) their meaning; without it they are refused.
    With `keep_bad`, a scalar that cannot be built becomes a BadScalar instead of raising,
    so a validator can report it together with the document's other problems.
    `trusted` text (the built-in pack, shipped with smscan and tested to compose the same
    either way) is composed by libyaml when PyYAML has it.
    """
    from smscan.yamlparse import parse_document

    return parse_document(text, tags, keep_bad, trusted=trusted)


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a YAML file as UTF-8 (a BOM is accepted), within a size limit. Raises YamlProblem."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise YamlProblem(f"file is {size} bytes, larger than the {max_bytes}-byte limit")
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlProblem(f"cannot read file: {exc.strerror or exc}") from None
    return decode_text(raw)


def decode_text(raw: bytes) -> str:
    """A YAML file's bytes as text: UTF-8, a BOM accepted. Raises YamlProblem."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlProblem("not valid UTF-8", Pos(line, col)) from None


def load_file(
    path: Path, max_bytes: int = DEFAULT_MAX_BYTES, keep_bad: bool = False, *, trusted: bool = False
) -> Any:
    return parse_text(read_text(path, max_bytes), keep_bad=keep_bad, trusted=trusted)


def to_plain(value: Any) -> Any:
    """YMap/YList -> dict/list (and YAML dates -> ISO strings) for use as record-like data."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, BadScalar):
        return value.text  # whoever reads it as a date will refuse it with its own message
    return value
