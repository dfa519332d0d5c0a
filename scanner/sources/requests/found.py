"""What a reader of code (Terraform, SDK scripts, notebooks) hands back to the request source.

Such a reader finds jobs in files that are not request documents: each job is a
JobSite whose value is a CreateTrainingJob-shaped YMap tree (RunTime leaves where
the code decides at run time), plus the file its lines belong to (a definition read
by `templatefile()` lives in another file) and notes to show at their lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smscan.sources.requests.extract import JobSite


@dataclass(frozen=True)
class Note:
    line: int | None
    message: str
    file: str = ""  # when not the file being read (a template that file names)


@dataclass(frozen=True)
class FoundJob:
    file: str
    site: JobSite
    notes: tuple[Note, ...] = ()


@dataclass
class ReadResult:
    jobs: list[FoundJob] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)  # about the file, not one job
    problems: list[Note] = field(default_factory=list)  # the file could not be read in full
    undecided: list[str] = field(default_factory=list)  # Task states with a deploy-time Resource (noted)
