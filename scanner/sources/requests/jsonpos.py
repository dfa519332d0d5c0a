"""A JSON parser that remembers where every key and list item stands.

Python's json module gives values but no positions, and request-file findings must
point at the offending key. This parser builds the same YMap / YList tree as
scanner.yamlpos (so JSON and YAML requests share one code path) and accepts exactly
what json.loads accepts, except NaN / Infinity (not JSON): strings are decoded by
json's own scanstring, so escapes such as "\\/" and surrogate pairs behave the same.
Duplicate keys keep the last value, as json.loads and the AWS CLI do; each one is
reported in `duplicates` so the caller can say so.

One pass, linear time: line numbers are counted incrementally, never by rescanning
from the start. Nesting is limited to `max_depth`.
"""

from __future__ import annotations

import json.decoder
import math
import re
from typing import Any

from smscan.yamlpos import Pos, YList, YMap

# json's own string scanner (C when available); typeshed does not declare it.
_scanstring: Any = json.decoder.scanstring  # type: ignore[attr-defined]

MAX_DEPTH = 100
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_LITERALS = (("true", True), ("false", False), ("null", None))


class JsonProblem(Exception):
    def __init__(self, message: str, pos: Pos) -> None:
        self.pos = pos
        super().__init__(message)


class _Parser:
    def __init__(self, text: str, max_depth: int) -> None:
        self.text = text
        self.max_depth = max_depth
        self.duplicates: list[tuple[str, Pos, Pos]] = []  # key, first, last
        self._counted = 0  # position up to which newlines are counted
        self._line = 1
        self._line_start = 0

    def pos(self, at: int) -> Pos:
        """1-based line and column of offset `at`; offsets must not go backwards."""
        text = self.text
        newlines = text.count("\n", self._counted, at)
        if newlines:
            self._line += newlines
            self._line_start = text.rfind("\n", self._counted, at) + 1
        self._counted = at
        return Pos(self._line, at - self._line_start + 1)

    def fail(self, message: str, at: int) -> JsonProblem:
        if at >= len(self.text):
            message = f"unexpected end of file ({message})"
        return JsonProblem(message, self.pos(max(at, self._counted)))

    def skip(self, at: int) -> int:
        return _WS.match(self.text, at).end()  # type: ignore[union-attr]  # always matches

    def value(self, at: int, depth: int) -> tuple[Any, int]:
        text = self.text
        if at >= len(text):
            raise self.fail("expecting a value", at)
        char = text[at]
        if char == "{":
            return self.mapping(at, depth + 1)
        if char == "[":
            return self.sequence(at, depth + 1)
        if char == '"':
            return self.string(at)
        match = _NUMBER.match(text, at)
        if match:
            return self.number(match.group(), at), match.end()
        for word, literal in _LITERALS:
            if text.startswith(word, at):
                return literal, at + len(word)
        raise self.fail("expecting a value", at)

    def number(self, number: str, at: int) -> int | float:
        # Python refuses ints over 4,300 digits and makes 1e999 infinite; neither is a value
        # a request can mean, and both must be a problem line, not a crash or a NaN in a report.
        if "." in number or "e" in number or "E" in number:
            value = float(number)
            if math.isinf(value):
                raise self.fail("a number out of range", at)
            return value
        try:
            return int(number)
        except ValueError:
            raise self.fail("an integer with too many digits", at) from None

    def string(self, at: int) -> tuple[str, int]:
        try:
            return _scanstring(self.text, at + 1, True)
        except ValueError as err:  # json.JSONDecodeError carries the offending offset
            reason = str(getattr(err, "msg", err)).removesuffix(" at").removesuffix(" starting")
            raise self.fail(f"invalid string: {reason}", getattr(err, "pos", at)) from None

    def mapping(self, at: int, depth: int) -> tuple[YMap, int]:
        if depth > self.max_depth:
            raise self.fail(f"nesting deeper than {self.max_depth} levels", at)
        result = YMap()
        result.pos = self.pos(at)
        result.key_pos = {}
        at = self.skip(at + 1)
        if self.text.startswith("}", at):
            return result, at + 1
        while True:
            if not self.text.startswith('"', at):
                raise self.fail("expecting a property name in double quotes", at)
            key_pos = self.pos(at)
            key, at = self.string(at)
            at = self.skip(at)
            if not self.text.startswith(":", at):
                raise self.fail("expecting ':' after a property name", at)
            value, at = self.value(self.skip(at + 1), depth)
            if key in result.key_pos:
                self.duplicates.append((key, result.key_pos[key], key_pos))
                del result[key]  # keep insertion order of the winning (last) key
            result[key] = value
            result.key_pos[key] = key_pos
            at = self.skip(at)
            if self.text.startswith(",", at):
                at = self.skip(at + 1)
            elif self.text.startswith("}", at):
                return result, at + 1
            else:
                raise self.fail("expecting ',' or '}'", at)

    def sequence(self, at: int, depth: int) -> tuple[YList, int]:
        if depth > self.max_depth:
            raise self.fail(f"nesting deeper than {self.max_depth} levels", at)
        result = YList()
        result.pos = self.pos(at)
        result.item_pos = []
        at = self.skip(at + 1)
        if self.text.startswith("]", at):
            return result, at + 1
        while True:
            result.item_pos.append(self.pos(at))
            value, at = self.value(at, depth)
            result.append(value)
            at = self.skip(at)
            if self.text.startswith(",", at):
                at = self.skip(at + 1)
            elif self.text.startswith("]", at):
                return result, at + 1
            else:
                raise self.fail("expecting ',' or ']'", at)


def parse_json(text: str, max_depth: int = MAX_DEPTH) -> tuple[Any, list[tuple[str, Pos, Pos]]]:
    """(tree, duplicate keys) of one JSON document. Raises JsonProblem with its position."""
    parser = _Parser(text, max_depth)
    value, end = parser.value(parser.skip(0), 0)
    end = parser.skip(end)
    if end < len(text):
        raise parser.fail("extra data after the JSON value", end)
    return value, parser.duplicates
