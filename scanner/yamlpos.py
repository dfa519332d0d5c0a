"""Load YAML keeping the line and column of every key, and refuse what a policy never needs.

Policies and waivers are trusted, but they are still files a person edits: every
error must point at FILE:LINE:COL. PyYAML's safe_load loses positions and silently
keeps the last of two duplicate keys, so we compose the node tree ourselves.
Anchors and aliases are refused outright: no policy needs them, and they are how
a "billion laughs" file explodes in memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

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


def _pos(mark: Any) -> Pos:
    return Pos(mark.line + 1, mark.column + 1)


def _literal_start(node: yaml.Node) -> int | None:
    """The 1-based file line of the first line of a literal block scalar's text, else None.

    The text starts on the line after the `|` header. The node starts at its tag when it has
    one (`!Sub |`), which may stand on an earlier line than the `|`, so the header is found
    in the text when PyYAML kept it (it does for text it was given as a string)."""
    if not isinstance(node, yaml.ScalarNode) or node.style != "|":
        return None
    mark = node.start_mark
    header = mark.line + 1
    buffer = getattr(mark, "buffer", None)
    if isinstance(buffer, str):
        bar = buffer.find("|", mark.pointer)
        if bar >= 0:
            header += buffer.count("\n", mark.pointer, bar)
    return header + 1


_scalar_constructor = yaml.SafeLoader(stream="")


_PYTHON_TAG = "tag:yaml.org,2002:python/"
_FAST_COMPOSER = getattr(yaml, "CSafeLoader", None) if yaml.__with_libyaml__ else None
_INT_DIGITS = re.compile(r"Exceeds the limit \((\d+) digits\)")


# (tag, value, position) -> value, for application tags such as CloudFormation's `!Ref`.
LocalTags = Callable[[str, Any, Pos], Any]


def _convert(
    node: yaml.Node, depth: int, tags: LocalTags | None = None, keep_bad: bool = False
) -> Any:
    if tags is not None and node.tag.startswith("!"):
        # An application tag: its value is built untagged (a scalar stays text), then the
        # caller says what it means. Nothing is ever constructed from the tag itself.
        if isinstance(node, yaml.ScalarNode):
            return tags(node.tag, node.value, _pos(node.start_mark))
        plain = "map" if isinstance(node, yaml.MappingNode) else "seq"
        untagged = type(node)(f"tag:yaml.org,2002:{plain}", node.value, node.start_mark, node.end_mark)
        return tags(node.tag, _convert(untagged, depth, tags, keep_bad), _pos(node.start_mark))
    if depth > MAX_DEPTH:
        raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels", _pos(node.start_mark))
    if node.tag.startswith(_PYTHON_TAG):
        # Safe loading never builds these, but a collection's tag would otherwise be ignored
        # silently; say plainly that the file asks for something smscan never does.
        raise YamlProblem(f"tag !!{node.tag[len('tag:yaml.org,2002:'):]} is not supported", _pos(node.start_mark))
    if isinstance(node, yaml.MappingNode):
        result = YMap()
        result.pos = _pos(node.start_mark)
        result.key_pos = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, depth + 1, tags)  # a bad key is never kept: it has no field
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise YamlProblem("mapping keys must be plain scalars", _pos(key_node.start_mark))
            key = str(key) if not isinstance(key, str) else key
            if key == "<<":
                raise YamlProblem("merge keys (<<) are not supported", _pos(key_node.start_mark))
            if key in result:
                first = result.key_pos[key]
                raise YamlProblem(
                    f"duplicate key {key!r} (first defined at line {first.line})",
                    _pos(key_node.start_mark),
                )
            result.key_pos[key] = _pos(key_node.start_mark)
            result[key] = _convert(value_node, depth + 1, tags, keep_bad)
            start = _literal_start(value_node)
            if start is not None:
                result.blocks = {**result.blocks, key: start}
        return result
    if isinstance(node, yaml.SequenceNode):
        items = YList(_convert(item, depth + 1, tags, keep_bad) for item in node.value)
        items.pos = _pos(node.start_mark)
        items.item_pos = [_pos(item.start_mark) for item in node.value]
        starts = {index: _literal_start(item) for index, item in enumerate(node.value)}
        if any(start is not None for start in starts.values()):
            items.blocks = {index: start for index, start in starts.items() if start is not None}
        return items
    try:
        return _scalar_constructor.construct_object(node, deep=True)
    except (ValueError, yaml.constructor.ConstructorError) as exc:
        # An impossible date such as 2027-02-30 makes PyYAML raise a bare ValueError; so does
        # an integer longer than Python's int_max_str_digits, in words meant for programmers.
        problem = str(exc).splitlines()[0]
        digits = _INT_DIGITS.search(problem)
        if digits:
            problem = f"integer longer than {digits[1]} digits"
        if keep_bad:
            return BadScalar(str(node.value), problem, _pos(node.start_mark))
        raise YamlProblem(f"invalid value: {problem}", _pos(node.start_mark)) from None


class _NoAliasComposer(yaml.SafeLoader):
    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        # PyYAML composes recursively: bound the depth here, before Python's own stack
        # (about 1,000 frames) turns `[[[[...` into a RecursionError.
        if self._depth >= MAX_DEPTH:
            raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels", _pos(self.peek_event().start_mark))
        self._depth += 1
        try:
            return self._compose_checked(parent, index)
        finally:
            self._depth -= 1

    def _compose_checked(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlProblem("aliases (*name) are not supported", _pos(event.start_mark))
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise YamlProblem("anchors (&name) are not supported", _pos(event.start_mark))
        return super().compose_node(parent, index)


def parse_text(
    text: str, tags: LocalTags | None = None, keep_bad: bool = False, *, trusted: bool = False
) -> Any:
    """Parse one YAML document into YMap/YList/scalars. Raises YamlProblem.

    `tags` gives application tags (`!Ref`) their meaning; without it they are refused.
    With `keep_bad`, a scalar that cannot be built becomes a BadScalar instead of raising,
    so a validator can report it together with the document's other problems.
    `trusted` text (the built-in pack, shipped with smscan and tested to compose the same
    either way) is composed by libyaml when PyYAML has it: the pure-Python composer was
    most of a start-up. Anything libyaml refuses takes the checked path for its message.
    """
    if trusted and _FAST_COMPOSER is not None:
        try:
            fast = yaml.compose(text, Loader=_FAST_COMPOSER)
        except yaml.YAMLError:
            pass  # the checked composer below words the problem
        else:
            return None if fast is None else _convert(fast, 0, tags, keep_bad)
    try:
        # The reader checks every character when it is built: NUL and other control
        # characters raise there, before any parsing.
        loader = _NoAliasComposer(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise YamlProblem(f"control character {exc.character:#04x} is not allowed", Pos(line, col), syntax=True) from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "\t" in problem or "'\\t'" in problem:
            problem = "tab characters are not allowed for indentation"
        raise YamlProblem(problem, _pos(mark) if mark else None, syntax=True) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(str(exc), syntax=True) from None
    finally:
        loader.dispose()
    if node is None:
        return None
    return _convert(node, 0, tags, keep_bad)


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a YAML file as UTF-8 (a BOM is accepted), within a size limit. Raises YamlProblem."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise YamlProblem(f"file is {size} bytes, larger than the {max_bytes}-byte limit")
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlProblem(f"cannot read file: {exc.strerror or exc}") from None
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
