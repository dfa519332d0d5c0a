"""Compose YAML with PyYAML into smscan.yamlpos values, keeping every position.

The half of smscan.yamlpos that needs PyYAML, imported on the first parse (see there
for what is refused and why).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from smscan.yamlpos import MAX_DEPTH, BadScalar, LocalTags, Pos, YamlProblem, YList, YMap


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
_INT_DIGITS = r"Exceeds the limit \((\d+) digits\)"  # compiled on the error path only


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
        digits = re.search(_INT_DIGITS, problem)
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


def parse_document(text: str, tags: LocalTags | None, keep_bad: bool, *, trusted: bool) -> Any:
    """smscan.yamlpos.parse_text's work (documented there).

    `trusted` text is composed by libyaml when PyYAML has it: the pure-Python composer was
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
