"""SARIF's text: two-space indents, keys sorted, ASCII only, and its results encoded one at a time.

A run keeps up to MAX_RESULTS results. As dicts they would cost kilobytes each, and the log
as one string (then its UTF-8 copy for the size check) several times the file's size; so each
result is encoded to text once, as soon as it is made, the rest of the log is encoded around
a placeholder, and the gzipped size is counted over the pieces. The text is the one a single
`orjson.dumps(log, OPT_INDENT_2 | OPT_SORT_KEYS)` (or json.dumps, for what orjson refuses)
with non-ASCII escaped would give.
"""

from __future__ import annotations

import json
import re
import secrets
import zlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson

RESULTS_DEPTH = 4  # log -> "runs" -> the run -> "results" -> one result
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def dump(value: Any) -> str:
    """`value` indented, keys sorted, ASCII only (non-ASCII as \\u escapes, as json.dumps writes it)."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONEncodeError:  # integers past 64 bits, non-string keys: the standard library
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=True, allow_nan=False)
    return _ascii(text)


def _ascii(text: str) -> str:
    """`text` with non-ASCII characters as JSON escapes. A log is megabytes of ASCII with a
    few ellipses: pieces that are all ASCII (a C check) are kept, the rest substituted.
    A cut between two characters of a run is harmless: each is escaped on its own."""
    if text.isascii():
        return text
    step = 1 << 14
    pieces = (text[i : i + step] for i in range(0, len(text), step))
    return "".join(p if p.isascii() else _NON_ASCII.sub(_escape, p) for p in pieces)


def _escape(match: re.Match[str]) -> str:
    return json.dumps(match.group(0))[1:-1]  # \\uXXXX (surrogate pairs past U+FFFF), as json does


def result_text(result: Mapping[str, Any]) -> str:
    """One result as it stands inside the log's results array."""
    return dump(result).replace("\n", "\n" + "  " * RESULTS_DEPTH)


class Placeholder:
    """A string to put where the results go, that no scanned value can spell."""

    def __init__(self) -> None:
        self.text = f"smscan-results-{secrets.token_hex(16)}"


def pieces(log: Mapping[str, Any], placeholder: Placeholder, results: Sequence[str]) -> Iterator[str]:
    """The log's text, its results array spliced in where `placeholder.text` is its value."""
    head, mark, tail = dump(log).partition(json.dumps(placeholder.text))
    assert mark and placeholder.text not in tail, "the results placeholder must appear once"
    yield head
    if not results:
        yield "[]"
    else:
        inner = "\n" + "  " * RESULTS_DEPTH
        yield "[" + inner
        for i, text in enumerate(results):
            yield text if i == 0 else "," + inner + text
        yield "\n" + "  " * (RESULTS_DEPTH - 1) + "]"
    yield tail + "\n"


def gzip_size(parts: Iterator[str]) -> int:
    """The size of the text gzipped at level 9 with no timestamp (what gzip.compress(..., mtime=0) gives)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    size = sum(len(packer.compress(part.encode("utf-8"))) for part in parts)
    return size + len(packer.flush())
