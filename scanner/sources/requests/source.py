"""Training-job requests in a repository: scan a job before it ever runs.

`RequestFileSource(paths)` walks files and directories and yields one Record per
training job found in:

- CreateTrainingJob requests, JSON or YAML (`aws sagemaker create-training-job
  --cli-input-json` / `--cli-input-yaml`);
- SageMaker Pipeline definitions: every step of Type "Training" (also inside
  Condition steps), its Arguments;
- Step Functions state machines: every Task state whose Resource is a createTrainingJob
  integration in any partition spelling (stepfunctions.py), its Parameters (Arguments
  in JSONata), also inside Parallel and Map states;
- CloudFormation, SAM and CDK templates (cloudformation.py), and fragments: a Task state
  or a Training step on its own (fragments.py).

Code that creates jobs (Terraform `.tf` and plan JSON, SageMaker SDK `.py` and `.ipynb`)
is handed to its reader by code.py; each gives the same JobSites (docs/SHIFT_LEFT.md).

Files are recognised by content. Directories are walked by sources/walk.py (regular
files only, sorted order, symlinks never followed out of the tree) for .json, .yaml,
.yml, .tf, .py and .ipynb files, skipping hidden directories, node_modules, __pycache__
and virtualenvs (a directory with a pyvenv.cfg, or site-packages); a file
named explicitly is read whatever its extension. In a directory, a file that mentions none
of MARKERS (nor States, Resource and a `${` placeholder together) is skipped unread, and a
file that parses but holds no job is skipped; one that mentions them but cannot be parsed
is a Problem at FILE:LINE. A named file that
holds no job, or a directory whose files are records rather than requests, is a
Problem (with a hint to use --input); a directory with neither is a note (nothing.py). A
Task state whose Resource is decided at deploy time is not read as a job; it is a note, and
that message names it (undecided.py).

A value only known at run time (a `.$` key, a pipeline `Get` / `Std:*` expression, a
JSONata `{% %}` string, a CloudFormation intrinsic, a `${Name}` placeholder) is never
guessed: the Record lists it in `unknown` (pointer -> "set at run time (HOW) at
FILE:LINE"), so a policy that reads it is UNKNOWN, and it is reported as a note at its
line. docs/REQUEST_FILES.md is the user guide.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import yaml

from smscan.models import Problem, Record
from smscan.record.shapes import records_hint
from smscan.sources.interface import Source, SourceItem
from smscan.sources.requests import cloudformation
from smscan.sources.requests.code import CODE_SUFFIXES, CodeReaders
from smscan.sources.requests.extract import JobSite, find_jobs
from smscan.sources.requests.found import ReadResult
from smscan.sources.requests.fragments import fragments
from smscan.sources.requests.intrinsics import cfn_tag
from smscan.sources.requests.job import job_items
from smscan.sources.requests.jsonpos import JsonProblem, parse_json
from smscan.sources.requests.nothing import nothing_found
from smscan.sources.requests.stepfunctions import Tokens, substitute_text, substitute_tree
from smscan.sources.requests.undecided import undecided_tasks
from smscan.sources.walk import WalkOptions, open_regular, walk
from smscan.yamlpos import YamlProblem, YMap, parse_text

MiB = 1024 * 1024
SUFFIXES = (".json", ".yaml", ".yml", *CODE_SUFFIXES)
MARKERS = (
    b"AlgorithmSpecification",
    b"sagemaker:createTrainingJob",
    b"aws_sagemaker_training_job",
    *cloudformation.MARKERS,
)
# A state machine whose Task Resources are all `${Placeholders}` mentions none of MARKERS, yet
# one of those tasks may start a training job: such a file is parsed too, to say so.
PLACEHOLDER_MARKERS = (b"States", b"Resource", b"${")
# A virtualenv (`venv/`, any name) holds installed packages, not the repository's jobs.
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "dist-packages"})
REQUEST_WALK = WalkOptions(suffixes=SUFFIXES, skip_dirs=SKIPPED_DIRS, skip_hidden=True, skip_virtualenvs=True)


@dataclass(frozen=True)
class RequestOptions:
    paths: tuple[str, ...]  # repository files and directories
    max_file_bytes: int = 8 * MiB
    max_depth: int = 100  # JSON / YAML nesting
    sdk_config: str | None = None  # --sdk-config: the SageMaker SDK config for all code scanned


class _PathRead(NamedTuple):
    path: str
    named: bool  # a file named on the command line (not found by walking a directory)
    files: list[tuple[str, list[SourceItem]]]
    hints: list[tuple[str, str]]  # (file, what records it holds)
    walked: int  # JSON/YAML files the path expanded to


class RequestFileSource(Source):
    def __init__(self, options: RequestOptions) -> None:
        self.options = options
        self.paths = list(options.paths)
        self.max_file_bytes = options.max_file_bytes
        self.max_depth = options.max_depth
        self.files_read = 0
        self.request_files = 0
        self.jobs = 0
        self._root = ""
        self._claimed: set[str] = set()  # definition files a template already read
        self._hints: list[tuple[str, str]] = []  # files that hold records, not requests
        self._undecided: dict[str, list[str]] = {}  # file -> its Task states with a deploy-time Resource
        self.code = CodeReaders(options.sdk_config)

    def describe(self) -> str:
        where = ", ".join(self.paths)
        if not self.files_read:
            return f"request files in {where}"
        return (
            f"{self.jobs} training job(s) in {self.request_files} request file(s) "
            f"({self.files_read} files read) in {where}"
        )

    def items(self) -> Iterator[SourceItem]:
        # Every path is read before anything is yielded: a SAM template reads its DefinitionUri
        # file itself (with its substitutions), so that file's own reading is dropped, whichever
        # came first, even when the two were named as separate paths.
        read: list[_PathRead] = []
        for path in self.paths:
            expanded = walk(path, REQUEST_WALK)
            if not expanded.files and not expanded.is_dir:
                read.append(_PathRead(path, True, [(path, list(expanded.problems))], [], 0))
                continue
            named = not expanded.is_dir
            self._root = os.path.realpath(os.path.dirname(path) or "." if named else path)
            self._hints = []
            per_file: list[tuple[str, list[SourceItem]]] = [
                (path, list(self.code.prepare(path, expanded.files)))
            ]
            for entry in expanded.entries:
                if isinstance(entry, Problem):
                    per_file.append((path, [entry]))
                else:
                    per_file.append((entry, list(self._file(entry, named))))
            per_file.append((path, list(self.code.finish(path))))
            read.append(_PathRead(path, named, per_file, self._hints, len(expanded.files)))
        for done in read:
            found = problems = 0
            kept = [(f, items) for f, items in done.files if os.path.realpath(f) not in self._claimed]
            read_files = dict.fromkeys(f for f, _ in kept)  # a named file is listed more than once
            undecided = [state for f in read_files for state in self._undecided.get(f, ())]
            for _file, items in kept:
                jobs = sum(isinstance(item, Record) for item in items)
                problems += sum(isinstance(item, Problem) and item.kind != "note" for item in items)
                found += jobs
                self.request_files += jobs > 0
                yield from items
            self.jobs += found
            if kept and not found and not problems:
                yield nothing_found(done.path, done.named, done.walked, done.hints, undecided)

    def _file(self, file: str, named: bool = False) -> Iterator[SourceItem]:
        try:
            with open_regular(file) as stream:
                size = os.fstat(stream.fileno()).st_size
                raw = stream.read(min(size, self.max_file_bytes) + 1)
        except OSError as err:
            yield Problem(file, f"cannot read file: {err.strerror or 'I/O error'}")
            return
        self.files_read += 1
        if self.code.handles(file):
            if self.code.wants(file, raw):
                yield from self._found(file, self.code.read(file, raw, self.max_file_bytes))
            return
        if not named and not any(marker in raw for marker in MARKERS) and not all(
            marker in raw for marker in PLACEHOLDER_MARKERS
        ):
            return
        if len(raw) > self.max_file_bytes:
            yield Problem(file, f"file larger than {self.max_file_bytes} bytes: not scanned")
            return
        parsed = self._parse(file, raw)
        if isinstance(parsed, Problem):
            yield parsed
            return
        doc, notes = parsed
        plan = self.code.document(file, doc)  # a Terraform plan (terraform show -json)
        if plan is not None:
            yield from notes
            yield from self._found(file, plan)
            return
        if cloudformation.is_template(doc):
            yield from notes
            yield from self._template(file, doc)
            return
        if isinstance(doc, YMap) and isinstance(doc.get("States"), YMap):
            doc = substitute_tree(doc, {}, Tokens())  # ${Name}: filled at deploy time
        extra, problems = fragments(doc)
        sites = find_jobs(doc) + extra
        undecided = undecided_tasks(doc)
        if not sites and not problems and not undecided:
            hint = records_hint(doc)
            if hint:
                self._hints.append((file, hint))
            return
        yield from notes
        for message, line, kind in problems:
            yield Problem(file, message, line=line, kind=kind)
        for task in undecided:
            yield Problem(file, task.message, line=task.line, kind="note")
        self._undecided[file] = [task.state for task in undecided]
        for site in sites:
            yield from self._job(file, site)

    def _template(self, file: str, doc: YMap) -> Iterator[SourceItem]:
        reader = cloudformation.TemplateReader(file, doc, self._root, self.max_file_bytes, self.max_depth)
        for found in reader.items():
            if isinstance(found, Problem):
                yield found
            else:
                yield from self._job(found.file, found.site)
        self._claimed |= reader.claimed
        self._undecided[file] = reader.undecided

    def _json(self, text: str) -> tuple[Any, list[Any]]:
        """JSON, or a definition a template fills (`"TimeoutSeconds": ${Timeout}`, as SAM and
        Terraform's templatefile allow): its placeholders are then unknown, not a parse error."""
        try:
            return parse_json(text, self.max_depth)
        except JsonProblem as err:
            if not _placeholder_at(text, err.pos.line, err.pos.col):
                raise
            tokens = Tokens()
            try:
                doc, duplicates = parse_json(substitute_text(text, {}, tokens), self.max_depth)
            except JsonProblem:
                raise err from None
            return substitute_tree(doc, {}, tokens), duplicates

    def _parse(self, file: str, raw: bytes) -> tuple[Any, list[Problem]] | Problem:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = raw.count(b"\n", 0, err.start) + 1
            return Problem(file, f"bytes that are not UTF-8 at line {line}", line=line)
        if _is_json(file, text):
            try:
                doc, duplicates = self._json(text)
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
            return parse_text(text, cfn_tag), []
        except YamlProblem as err:
            problem = err.detail
            if err.pos is None:
                return Problem(file, f"invalid YAML: {problem}")
            where = f"line {err.pos.line} column {err.pos.col}"
            return Problem(file, f"invalid YAML at {where}: {problem}", line=err.pos.line)
        except yaml.YAMLError as err:  # anything PyYAML refuses that yamlpos did not word
            mark = getattr(err, "problem_mark", None)
            problem = getattr(err, "problem", None) or "cannot be read"
            if mark is None:
                return Problem(file, f"invalid YAML: {problem}")
            return Problem(file, f"invalid YAML at line {mark.line + 1}: {problem}", line=mark.line + 1)

    def _found(self, file: str, result: ReadResult | Problem) -> Iterator[SourceItem]:
        """Jobs a code reader (Terraform, SDK, notebook) found, with its notes and problems."""
        if isinstance(result, Problem):
            yield result
            return
        for problem in result.problems:
            yield Problem(problem.file or file, problem.message, line=problem.line)
        for note in result.notes:
            yield Problem(note.file or file, note.message, line=note.line, kind="note")
        if result.undecided:
            self._undecided[file] = result.undecided
        for job in result.jobs:
            where = job.file or file
            items = list(self._job(where, job.site))
            yield from items
            resource = next((i.key for i in items if isinstance(i, Record)), None)
            for note in job.notes:
                yield Problem(where, note.message, line=note.line, resource=resource, kind="note")

    def _job(self, file: str, site: JobSite) -> Iterator[SourceItem]:
        yield from job_items(file, site)  # counted in items(), once the claimed files are known


def _placeholder_at(text: str, line: int, col: int) -> bool:
    """A SAM definition file writes `"TimeoutSeconds": ${Timeout}`: not JSON until deployed."""
    lines = text.split("\n", line)
    return len(lines) >= line and lines[line - 1][col - 1 :].startswith("${")


def _is_json(file: str, text: str) -> bool:
    lower = file.lower()
    if lower.endswith(".json"):
        return True
    if lower.endswith((".yaml", ".yml")):
        return False
    return text.lstrip()[:1] in ("{", "[")

