"""Reading request files in tests: the source's records and problems, and where a text stands.

Shared by the request-file, template, Terraform and SDK-code tests, so that each reads the
fixtures through RequestFileSource the same way and finds expected lines in the fixture
itself rather than hard-coding them.
"""

from __future__ import annotations

from pathlib import Path

from smscan.models import Problem, Record
from smscan.sources.requests.source import RequestFileSource, RequestOptions

# The engine's wording after "set at run time (HOW)" is its own (and changes with it).
_RUN_TIME_ENDINGS = ("; treated as unknown (missing)", ": policies that read it are UNKNOWN")


def scan(*paths: Path | str, sdk_config: str | None = None) -> tuple[list[Record], list[Problem]]:
    options = RequestOptions(tuple(str(p) for p in paths), sdk_config=sdk_config)
    items = list(RequestFileSource(options).items())
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Problem)]


def line_of(path: Path, needle: str, after: int = 0) -> int:
    """The 1-based line of the first occurrence of `needle` after line `after`."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if number > after and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def plain(message: str) -> str:
    """A run-time note without the engine's ending."""
    for ending in _RUN_TIME_ENDINGS:
        message = message.removesuffix(ending)
    return message


def by_pointer(records: list[Record]) -> dict[str, Record]:
    return {str(r.origin.pointer): r for r in records}
