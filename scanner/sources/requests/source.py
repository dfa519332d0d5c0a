"""Training-job requests in a repository: scan a job before it ever runs.

`RequestFileSource(paths)` walks files and directories and yields one Record per
training job found in:

- CreateTrainingJob requests, JSON or YAML (`aws sagemaker create-training-job
  --cli-input-json` / `--cli-input-yaml`);
- SageMaker Pipeline definitions: every step of Type "Training" (also inside
  Condition steps), its Arguments;
- Step Functions state machines: every Task state whose Resource is
  `arn:aws:states:::sagemaker:createTrainingJob[.sync]`, its Parameters (Arguments
  in JSONata), also inside Parallel and Map states.

Files are recognised by content. Directories are walked in sorted order for .json,
.yaml and .yml files, skipping hidden directories, node_modules, __pycache__ and
virtualenvs (a directory with a pyvenv.cfg, or site-packages),
never entering symlinked directories and reading a symlinked file only when it
resolves to a regular file inside the tree. A file that mentions neither
`AlgorithmSpecification` nor `sagemaker:createTrainingJob` is skipped unread, and a
file that parses but holds no job is skipped silently; one that mentions them but
cannot be parsed is a Problem at FILE:LINE.

A value only known at run time (a `.$` key, a pipeline `Get` / `Std:*` expression, a
JSONata `{% %}` string) is left out of the record, so policies see it as missing,
and is reported as a note at its line. docs/REQUEST_FILES.md is the user guide.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from typing import Any

import yaml

from smscan.errors import RecordError
from smscan.models import Origin, Problem, Record
from smscan.record.normalize import from_describe
from smscan.sources.interface import SourceItem
from smscan.sources.requests.extract import JobSite, clean, find_jobs
from smscan.sources.requests.jsonpos import JsonProblem, parse_json
from smscan.yamlpos import YamlProblem, parse_text

MiB = 1024 * 1024
SUFFIXES = (".json", ".yaml", ".yml")
MARKERS = (b"AlgorithmSpecification", b"sagemaker:createTrainingJob")
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "dist-packages"})


class RequestFileSource:
    def __init__(
        self, paths: Sequence[str], *, max_file_bytes: int = 8 * MiB, max_depth: int = 100
    ) -> None:
        self.paths = list(paths)
        self.max_file_bytes = max_file_bytes
        self.max_depth = max_depth
        self.files_read = 0
        self.request_files = 0
        self.jobs = 0

    def describe(self) -> str:
        where = ", ".join(self.paths)
        if not self.files_read:
            return f"request files in {where}"
        return (
            f"{self.jobs} training job(s) in {self.request_files} request file(s) "
            f"({self.files_read} JSON/YAML files read) in {where}"
        )

    def items(self) -> Iterator[SourceItem]:
        for path in self.paths:
            before, problems = self.jobs, 0
            files = _walk(path)
            if isinstance(files, Problem):
                yield files
                continue
            for file in files:
                for item in self._file(file):
                    problems += isinstance(item, Problem) and item.kind != "note"
                    yield item
            if self.jobs == before and not problems:
                message = f"no training-job request found in {len(files)} JSON/YAML file(s)"
                yield Problem(path, message, kind="note")

    def _file(self, file: str) -> Iterator[SourceItem]:
        try:
            with open(file, "rb") as stream:
                size = os.fstat(stream.fileno()).st_size
                raw = stream.read(min(size, self.max_file_bytes) + 1)
        except OSError as err:
            yield Problem(file, f"cannot read file: {err.strerror or 'I/O error'}")
            return
        self.files_read += 1
        if not any(marker in raw for marker in MARKERS):
            return
        if len(raw) > self.max_file_bytes:
            yield Problem(file, f"file larger than {self.max_file_bytes} bytes: not scanned")
            return
        parsed = self._parse(file, raw)
        if isinstance(parsed, Problem):
            yield parsed
            return
        doc, notes = parsed
        sites = find_jobs(doc)
        if not sites:
            return
        self.request_files += 1
        yield from notes
        for site in sites:
            yield from self._job(file, site)

    def _parse(self, file: str, raw: bytes) -> tuple[Any, list[Problem]] | Problem:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = raw.count(b"\n", 0, err.start) + 1
            return Problem(file, f"bytes that are not UTF-8 at line {line}", line=line)
        if _is_json(file, text):
            try:
                doc, duplicates = parse_json(text, self.max_depth)
            except JsonProblem as err:
                where = f"line {err.pos.line} column {err.pos.col}"
                return Problem(file, f"invalid JSON at {where}: {err}", line=err.pos.line)
            notes = [
                Problem(
                    file,
                    f"duplicate key {key!r} (first at line {first.line}): the last one is used, "
                    "as by the AWS CLI",
                    line=last.line,
                    kind="note",
                )
                for key, first, last in duplicates
            ]
            return doc, notes
        try:
            return parse_text(text), []
        except YamlProblem as err:
            problem = str(err).removeprefix("invalid YAML: ")
            if err.pos is None:
                return Problem(file, f"invalid YAML: {problem}")
            where = f"line {err.pos.line} column {err.pos.col}"
            return Problem(file, f"invalid YAML at {where}: {problem}", line=err.pos.line)
        except yaml.YAMLError as err:  # a tag such as !Ref that safe YAML cannot build
            mark = getattr(err, "problem_mark", None)
            problem = getattr(err, "problem", None) or "cannot be read"
            if mark is None:
                return Problem(file, f"invalid YAML: {problem}")
            return Problem(file, f"invalid YAML at line {mark.line + 1}: {problem}", line=mark.line + 1)

    def _job(self, file: str, site: JobSite) -> Iterator[SourceItem]:
        origin = Origin(file, line=site.line, pointer=site.pointer)
        try:
            cleaned = clean(site)
        except ValueError as err:
            yield Problem(file, f"{err} (at {site.pointer or '/'})", line=site.line, kind="record")
            return
        try:
            # A job without a name (pipelines name theirs at run time) is file#pointer.
            record = from_describe(cleaned.doc, origin)
        except RecordError as err:
            message = str(err)
            if err.field:  # Problem names the field itself
                message = message.removeprefix(f"field {err.field}: ")
            at = f" (at {site.pointer or '/'})"
            yield Problem(file, message + at, line=site.line, field=err.field, kind="record")
            return
        self.jobs += 1
        yield Record(data=record.data, origin=origin, key_lines=cleaned.key_lines)
        for path, line, how in cleaned.unknown:
            yield Problem(
                file,
                f"{path} is set at run time ({how}); treated as unknown (missing)",
                line=line,
                resource=record.key,
                kind="note",
            )


def _is_json(file: str, text: str) -> bool:
    lower = file.lower()
    if lower.endswith(".json"):
        return True
    if lower.endswith((".yaml", ".yml")):
        return False
    return text.lstrip()[:1] in ("{", "[")


def _walk(path: str) -> list[str] | Problem:
    if os.path.isfile(path):
        return [path]  # named explicitly: read whatever its extension
    if not os.path.isdir(path):
        reason = "no such file or directory" if not os.path.lexists(path) else "not a file"
        return Problem(path, reason)
    root = os.path.realpath(path)
    found: list[tuple[tuple[str, ...], str]] = []
    for folder, dirs, names in os.walk(path, followlinks=False):
        dirs[:] = sorted(
            d for d in dirs
            if not d.startswith(".") and d not in SKIPPED_DIRS and not _is_virtualenv(os.path.join(folder, d))
        )
        for name in names:
            full = os.path.join(folder, name)
            if name.lower().endswith(SUFFIXES) and _regular_inside(full, root):
                found.append((tuple(os.path.relpath(full, path).split(os.sep)), full))
    return [full for _, full in sorted(found)]


def _is_virtualenv(directory: str) -> bool:
    """A virtualenv (`venv/`, `env/`) holds installed packages, not the repository's jobs."""
    return os.path.isfile(os.path.join(directory, "pyvenv.cfg"))


def _regular_inside(full: str, root: str) -> bool:
    """A regular file (never a FIFO or device), and a symlink only if it stays in the tree."""
    target = os.path.realpath(full) if os.path.islink(full) else full
    if target is not full and not (target == root or target.startswith(root.rstrip(os.sep) + os.sep)):
        return False
    try:
        return stat.S_ISREG(os.stat(target).st_mode)
    except OSError:
        return False
