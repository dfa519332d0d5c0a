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

Files are recognised by content. Directories are walked by sources/walk.py (regular
files only, sorted order, symlinks never followed out of the tree) for .json, .yaml
and .yml files, skipping hidden directories, node_modules and __pycache__; a file
named explicitly is read whatever its extension. A file that mentions neither
`AlgorithmSpecification` nor `sagemaker:createTrainingJob` is skipped unread, and a
file that parses but holds no job is skipped silently; one that mentions them but
cannot be parsed is a Problem at FILE:LINE.

A value only known at run time (a `.$` key, a pipeline `Get` / `Std:*` expression, a
JSONata `{% %}` string) is never guessed: the Record lists it in `unknown` (pointer ->
"set at run time (HOW) at FILE:LINE"), so a policy that reads it is UNKNOWN, and it is
reported as a note at its line. docs/REQUEST_FILES.md is the user guide.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from smscan.models import Problem, Record
from smscan.sources.interface import Source, SourceItem
from smscan.sources.requests.extract import JobSite, find_jobs
from smscan.sources.requests.job import job_items
from smscan.sources.requests.jsonpos import JsonProblem, parse_json
from smscan.sources.walk import WalkOptions, open_regular, walk
from smscan.yamlpos import YamlProblem, parse_text

MiB = 1024 * 1024
SUFFIXES = (".json", ".yaml", ".yml")
MARKERS = (b"AlgorithmSpecification", b"sagemaker:createTrainingJob")
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__"})
REQUEST_WALK = WalkOptions(suffixes=SUFFIXES, skip_dirs=SKIPPED_DIRS, skip_hidden=True)


@dataclass(frozen=True)
class RequestOptions:
    paths: tuple[str, ...]  # repository files and directories
    max_file_bytes: int = 8 * MiB
    max_depth: int = 100  # JSON / YAML nesting


class RequestFileSource(Source):
    def __init__(self, options: RequestOptions) -> None:
        self.options = options
        self.paths = list(options.paths)
        self.max_file_bytes = options.max_file_bytes
        self.max_depth = options.max_depth
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
            expanded = walk(path, REQUEST_WALK)
            if not expanded.files and not expanded.is_dir:
                yield from expanded.problems
                continue
            for entry in expanded.entries:
                if isinstance(entry, Problem):
                    problems += entry.kind != "note"
                    yield entry
                    continue
                for item in self._file(entry):
                    problems += isinstance(item, Problem) and item.kind != "note"
                    yield item
            if self.jobs == before and not problems:
                message = f"no training-job request found in {len(expanded.files)} JSON/YAML file(s)"
                yield Problem(path, message, kind="note")

    def _file(self, file: str) -> Iterator[SourceItem]:
        try:
            with open_regular(file) as stream:
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
            problem = err.detail
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
        for item in job_items(file, site):
            self.jobs += isinstance(item, Record)
            yield item


def _is_json(file: str, text: str) -> bool:
    lower = file.lower()
    if lower.endswith(".json"):
        return True
    if lower.endswith((".yaml", ".yml")):
        return False
    return text.lstrip()[:1] in ("{", "[")

