"""One exception tree for everything smscan reports as a user-facing error.

Only the CLI turns these into exit codes; every message is one line that names
the file, line and field where it can, and never contains a record's values.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    """One or more policies are invalid; carries every problem found, not just the first."""

    def __init__(self, problems: Sequence[str], kind: str = "policy") -> None:
        self.problems = list(problems)
        self.kind = kind  # what the problems are in: policy, waiver, config
        super().__init__("\n".join(self.problems))


class SourceError(ScannerError):
    """An input could not be read at all (file missing, region not listable ...)."""


class RecordError(ScannerError):
    """One record could not be normalized; the scan goes on without it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class EvaluationError(ScannerError):
    """A policy could not be evaluated on one record: the finding is ERROR, never PASS."""


class RenderError(ScannerError):
    """A report could not be produced or written."""
