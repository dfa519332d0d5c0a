"""Record sources: each yields seed-schema Records, or Problems for what it could not read.

A source knows nothing of policies. Everything it yields has already gone through
scanner.normalize, so the engine sees one record shape whatever the input.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from smscan.models import Problem, Record

SourceItem = Record | Problem


class Source(Protocol):
    def items(self) -> Iterator[SourceItem]:
        """Yield every record, and a Problem for every input (or job) that could not be read."""
        ...

    def describe(self) -> str:
        """One line for the summary and report header: what this source scanned."""
        ...
