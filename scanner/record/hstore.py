"""PostgreSQL hstore text: `"key"=>"value", "other"=>NULL`.

Inventory exports carry `environment`, `hyper_parameters` and `tags` in this form.
Values can be secrets, so errors say where parsing stopped (a character offset)
and what was expected, never what was found. The parser is a single forward scan
using `str.find` for quoted runs: linear time, no regular expressions.

Decisions, matching PostgreSQL's hstore_in:
- an unquoted NULL (any case) as a value is SQL NULL and becomes None; "NULL" quoted
  is the four-letter string. A key is never NULL.
- inside quotes a backslash escapes the next character (`\\"` and `\\\\`); unquoted
  tokens are runs of characters other than whitespace and `" , = > \\`.
- a key given twice keeps its first value.
"""

from __future__ import annotations

from collections.abc import Mapping

_WHITESPACE = frozenset(" \t\n\r\f\v")
_UNQUOTED_STOP = _WHITESPACE | frozenset('",=>\\')


def parse_hstore(text: str) -> dict[str, str | None]:
    """Parse hstore text output into a dict; raise ValueError naming the offset on bad input."""
    result: dict[str, str | None] = {}
    end = len(text)
    pos = _skip_space(text, 0)
    while pos < end:
        key, pos, _ = _token(text, pos, "key")
        pos = _skip_space(text, pos)
        if not text.startswith("=>", pos):
            raise _error(text, pos, "'=>'")
        pos = _skip_space(text, pos + 2)
        value, pos, quoted = _token(text, pos, "value")
        if key not in result:
            result[key] = None if not quoted and value.upper() == "NULL" else value
        pos = _skip_space(text, pos)
        if pos < end:
            if text[pos] != ",":
                raise _error(text, pos, "',' or the end of the text")
            pos = _skip_space(text, pos + 1)
            if pos == end:
                raise _error(text, pos, "a key after ','")
    return result


def format_hstore(pairs: Mapping[str, str | None]) -> str:
    """The inverse of parse_hstore: every key and value quoted, None written as NULL."""
    parts = []
    for key, value in pairs.items():
        if not isinstance(key, str) or not (value is None or isinstance(value, str)):
            raise TypeError("hstore keys must be str and values str or None")
        shown = "NULL" if value is None else _quote(value)
        parts.append(f"{_quote(key)}=>{shown}")
    return ", ".join(parts)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _skip_space(text: str, pos: int) -> int:
    end = len(text)
    while pos < end and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def _token(text: str, pos: int, what: str) -> tuple[str, int, bool]:
    """Read a quoted or unquoted token at `pos`: (token, position after it, was quoted)."""
    end = len(text)
    if pos >= end:
        raise _error(text, pos, f"a {what}")
    if text[pos] == '"':
        return _quoted(text, pos + 1, what) + (True,)
    start = pos
    while pos < end and text[pos] not in _UNQUOTED_STOP:
        pos += 1
    if pos == start:
        raise _error(text, pos, f'a {what} (a "quoted" or unquoted token)')
    return text[start:pos], pos, False


def _quoted(text: str, pos: int, what: str) -> tuple[str, int]:
    """Read the body of a quoted token starting just after its opening quote."""
    chunks: list[str] = []
    quote = -1  # position of the next '"' at or after pos, found once per stretch of text
    while True:
        if quote < pos:
            quote = text.find('"', pos)
            if quote < 0:
                raise _error(text, len(text), f"a closing '\"' for the {what}")
        backslash = text.find("\\", pos, quote)
        if backslash < 0:
            chunks.append(text[pos:quote])
            return "".join(chunks), quote + 1
        if backslash + 1 >= len(text):
            raise _error(text, len(text), "a character after '\\'")
        chunks.append(text[pos:backslash])
        chunks.append(text[backslash + 1])
        pos = backslash + 2


def _error(text: str, pos: int, expected: str) -> ValueError:
    where = "end of text" if pos >= len(text) else f"character offset {pos}"
    return ValueError(f"invalid hstore at {where} (of {len(text)}): expected {expected}")
