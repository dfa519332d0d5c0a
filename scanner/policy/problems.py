"""Collects every problem in a set of policy (or waiver) files before anything is raised.

One problem per line, always in the same shape, so an editor or CI annotation can
jump to it: `FILE:LINE:COL: policy ID: FIELD: problem (expected ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smscan.yamlpos import Pos


@dataclass
class Problems:
    items: list[str] = field(default_factory=list)

    def add(self, file: str, pos: Pos | None, subject: str, fld: str, message: str) -> None:
        where = f"{file}:{pos.line}:{pos.col}" if pos else f"{file}:1:1"
        parts = [where, subject] + ([fld] if fld else []) + [message]
        self.items.append(": ".join(p for p in parts if p))

    def __bool__(self) -> bool:
        return bool(self.items)


@dataclass
class Scope:
    """Where problems of one document go: its file, its subject ("policy x") and its params."""

    file: str
    subject: str
    problems: Problems

    def add(self, pos: Pos | None, fld: str, message: str) -> None:
        self.problems.add(self.file, pos, self.subject, fld, message)
