"""One exception tree for everything smscan reports as a user-facing error.

Only the CLI turns these into exit codes; every message is one line that names
the file, line and field where it can, and never contains a record's values.
Errors that describe a place in a file carry it as values (file, line, column,
field), and only the CLI formats them: nothing downstream parses a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smscan.policy.problems import PolicyProblem

# The exit codes, documented in the README. Only the CLI returns them.
EXIT_OK, EXIT_FAIL, EXIT_ERROR, EXIT_INCOMPLETE = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # the shell's 128 + SIGINT / SIGTERM


class ScannerError(Exception):
    """Base of every error smscan raises on purpose."""

    exit_code = EXIT_ERROR


class UsageError(ScannerError):
    """Bad command-line arguments or configuration."""


class ConfigError(ScannerError):
    """smscan.yaml, --param or another setting is invalid."""


class PolicyError(ScannerError):
    """One or more policies are invalid; carries every problem found, not just the first.

    `kind` names the kind of document for the CLI's count line ("3 policy problem(s)").
    """

    kind = "policy"

    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class WaiverError(PolicyError):
    """The waivers file is invalid (same shape as a policy file's problems)."""

    kind = "waiver"


class SourceError(ScannerError):
    """An input could not be read at all (file missing, region not listable ...)."""


class RecordError(ScannerError):
    """One record could not be normalized; the scan goes on without it.

    `detail` is the message without the field, so a Problem can carry the field as a
    value; `str()` names the field for those who print the error as it is.
    """

    def __init__(self, detail: str, field: str | None = None) -> None:
        self.detail = detail
        self.field = field
        super().__init__(f"field {field}: {detail}" if field else detail)


class EvaluationError(ScannerError):
    """A policy could not be evaluated on one record: the finding is ERROR, never PASS."""


class RenderError(ScannerError):
    """A report could not be produced or written."""
