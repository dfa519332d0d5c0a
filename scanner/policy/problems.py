"""Collects every problem in a set of policy (or waiver) files before anything is raised.

A problem is a value (file, line, column, subject, field, message) until it is printed;
its one-line form is always the same shape, so an editor or CI annotation can jump
to it: `FILE:LINE:COL: policy ID: FIELD: problem (expected ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smscan.yamlpos import Pos


@dataclass(frozen=True)
class PolicyProblem:
    file: str
    line: int
    column: int
    subject: str  # "policy network-isolation", "waiver 3", "waivers"
    field: str  # "check.all[1].path"; "" for the document as a whole
    message: str

    @property
    def position(self) -> tuple[int, int]:
        return (self.line, self.column)

    def __str__(self) -> str:
        parts = [f"{self.file}:{self.line}:{self.column}", self.subject, self.field, self.message]
        return ": ".join(p for p in parts if p)


@dataclass
class Problems:
    items: list[PolicyProblem] = field(default_factory=list)

    def add(self, file: str, pos: Pos | None, subject: str, fld: str, message: str) -> None:
        line, column = (pos.line, pos.col) if pos else (1, 1)
        self.items.append(PolicyProblem(file, line, column, subject, fld, message))

    def sort_from(self, start: int) -> None:
        """Put the problems added since `start` (one file's, one entry's) in line order."""
        self.items[start:] = sorted(self.items[start:], key=lambda p: p.position)

    def __bool__(self) -> bool:
        return bool(self.items)


@dataclass
class Scope:
    """Where problems of one document go: its file, its subject ("policy x") and its params.

    `name` is the bare id of what the document defines (a policy id), for labels such as
    "network-isolation.allowed_kms_keys"; `subject` is how problems name it.
    """

    file: str
    subject: str
    problems: Problems
    name: str = ""

    def add(self, pos: Pos | None, fld: str, message: str) -> None:
        self.problems.add(self.file, pos, self.subject, fld, message)
