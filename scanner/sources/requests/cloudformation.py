"""The training jobs a CloudFormation, SAM or CDK template defines.

A template is recognised by its `Resources` object. Resources read:

- `AWS::SageMaker::TrainingJob`: its Properties are the CreateTrainingJob request;
- `AWS::StepFunctions::StateMachine`: `Definition` (an object), `DefinitionString` (a string,
  `Fn::Sub` or CDK's `Fn::Join`), with `DefinitionSubstitutions`; `DefinitionS3Location` is
  not read (a note says so);
- `AWS::Serverless::StateMachine` (SAM): `Definition`, or `DefinitionUri` naming a local file,
  which is read and located in that file; an S3 `DefinitionUri` is a note;
- `AWS::SageMaker::Pipeline`: `PipelineDefinition.PipelineDefinitionBody` (a string or
  `Fn::Sub`; leading `#` comment lines, as in AWS's examples, are ignored);
  `PipelineDefinitionS3Location` is a note.

Intrinsic functions are evaluated by intrinsics.py: what is not literal becomes UNKNOWN.
Positions: a definition written as an object keeps the template's own lines; one inside a
string points at the line of the string (its key).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from smscan.models import Problem
from smscan.sources.requests.extract import JobSite, escape, find_jobs
from smscan.sources.requests.fragments import fragments
from smscan.sources.requests.intrinsics import Intrinsics
from smscan.sources.requests.jsonpos import JsonProblem, parse_json
from smscan.sources.requests.stepfunctions import Tokens, substitute_text, substitute_tree
from smscan.yamlpos import Pos, YamlProblem, YList, YMap, parse_text

STATE_MACHINES = ("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine")
TRAINING_JOB = "AWS::SageMaker::TrainingJob"
PIPELINE = "AWS::SageMaker::Pipeline"
# Bytes that make a file worth parsing as a template (a SAM template with DefinitionUri
# names no training job itself).
MARKERS = (
    b"AWS::StepFunctions::StateMachine",
    b"AWS::Serverless::StateMachine",
    b"AWS::SageMaker::",
)


@dataclass(frozen=True)
class Found:
    """A job in `file` (the template, or the definition file a SAM DefinitionUri names)."""

    file: str
    site: JobSite


def is_template(doc: Any) -> bool:
    resources = doc.get("Resources") if isinstance(doc, YMap) else None
    return isinstance(resources, YMap) and any(
        isinstance(r, YMap) and isinstance(r.get("Type"), str) for r in resources.values()
    )


@dataclass
class TemplateReader:
    file: str
    template: YMap
    root: str  # DefinitionUri files are read only inside this directory
    max_bytes: int
    max_depth: int
    claimed: set[str] = field(default_factory=set)  # real paths of definition files read

    def items(self) -> Iterator[Found | Problem]:
        values = Intrinsics.of(self.template)
        resources: YMap = self.template["Resources"]
        for name, resource in resources.items():
            props = resource.get("Properties") if isinstance(resource, YMap) else None
            if not isinstance(props, YMap):
                continue
            kind = resource.get("Type")
            at = f"/Resources/{escape(name)}/Properties"
            line = resource.key_pos["Properties"].line
            if kind == TRAINING_JOB:
                yield Found(
                    self.file, JobSite("request", at, line, values.resolve(props), "literal")
                )
            elif kind in STATE_MACHINES:
                yield from self._state_machine(name, props, at, values)
            elif kind == PIPELINE:
                yield from self._pipeline(name, props, at, values)

    def _state_machine(
        self, name: str, props: YMap, at: str, values: Intrinsics
    ) -> Iterator[Found | Problem]:
        substitutions = self._substitutions(props, values)
        if isinstance(props.get("Definition"), YMap):
            tree = substitute_tree(values.resolve(props["Definition"]), substitutions, Tokens())
            yield from self._sites(self.file, tree, f"{at}/Definition")
        if "DefinitionString" in props:
            tokens = Tokens()
            text = values.text(props["DefinitionString"], tokens)
            line = props.key_pos["DefinitionString"].line
            parsed = self._embedded(
                f"DefinitionString of {name}", text, substitutions, tokens, line
            )
            if isinstance(parsed, Problem):
                yield parsed
            else:
                yield from self._sites(self.file, parsed, f"{at}/DefinitionString")
        if "DefinitionUri" in props:
            yield from self._definition_uri(name, props, substitutions)
        if "DefinitionS3Location" in props:
            yield self._not_read(name, "DefinitionS3Location", props)

    def _substitutions(self, props: YMap, values: Intrinsics) -> dict[str, Any]:
        given = props.get("DefinitionSubstitutions")
        if not isinstance(given, YMap):
            return {}  # absent, or computed as a whole: every ${...} stays unknown
        return {key: values.resolve(value) for key, value in given.items()}

    def _definition_uri(
        self, name: str, props: YMap, substitutions: dict[str, Any]
    ) -> Iterator[Found | Problem]:
        uri = props["DefinitionUri"]
        line = props.key_pos["DefinitionUri"].line
        if not isinstance(uri, str) or uri.startswith("s3://"):
            yield self._not_read(name, "DefinitionUri", props)  # {Bucket, Key} or an intrinsic
            return
        if "\x00" in uri:  # JSON allows "\u0000"; no path has it
            yield Problem(self.file, f"DefinitionUri of {name} is not a file path", line=line)
            return
        path = os.path.join(os.path.dirname(self.file), os.path.normpath(uri))
        real = os.path.realpath(path)
        if not (real == self.root or real.startswith(self.root.rstrip(os.sep) + os.sep)):
            yield Problem(
                self.file,
                f"DefinitionUri {uri!r} of {name} is outside the scanned directory: not read",
                line=line,
            )
            return
        tree = self._read_definition(path, real, name, line, substitutions)
        if isinstance(tree, Problem):
            yield tree
            return
        self.claimed.add(real)
        yield from self._sites(path, tree, "")

    def _read_definition(
        self, path: str, real: str, name: str, line: int, substitutions: dict[str, Any]
    ) -> Any:
        """The definition file, its placeholders filled (JSON: before parsing, as SAM does)."""
        try:
            with open(real, "rb") as stream:
                raw = stream.read(self.max_bytes + 1)
        except OSError as err:
            reason = err.strerror or "I/O error"
            return Problem(
                self.file, f"DefinitionUri of {name}: cannot read {path}: {reason}", line=line
            )
        if len(raw) > self.max_bytes:
            return Problem(path, f"file larger than {self.max_bytes} bytes: not scanned")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return Problem(path, "bytes that are not UTF-8: not scanned")
        try:
            tokens = Tokens()
            if path.lower().endswith(".json") or text.lstrip()[:1] == "{":
                tree = parse_json(substitute_text(text, substitutions, tokens), self.max_depth)[0]
                return substitute_tree(tree, {}, tokens)
            return substitute_tree(parse_text(text), substitutions, tokens)
        except JsonProblem as err:
            return Problem(
                path,
                f"invalid JSON at line {err.pos.line} column {err.pos.col}: {err}",
                line=err.pos.line,
            )
        except YamlProblem as err:
            return Problem(path, str(err), line=err.pos.line if err.pos else None)

    def _pipeline(
        self, name: str, props: YMap, at: str, values: Intrinsics
    ) -> Iterator[Found | Problem]:
        definition = props.get("PipelineDefinition")
        if not isinstance(definition, YMap):
            return
        if "PipelineDefinitionBody" in definition:
            tokens = Tokens()
            text = _without_leading_comments(
                values.text(definition["PipelineDefinitionBody"], tokens)
            )
            line = definition.key_pos["PipelineDefinitionBody"].line
            parsed = self._embedded(f"PipelineDefinitionBody of {name}", text, {}, tokens, line)
            if isinstance(parsed, Problem):
                yield parsed
            else:
                yield from self._sites(
                    self.file, parsed, f"{at}/PipelineDefinition/PipelineDefinitionBody"
                )
        if "PipelineDefinitionS3Location" in definition:
            yield self._not_read(name, "PipelineDefinitionS3Location", definition)

    def _embedded(
        self, what: str, text: str, substitutions: dict[str, Any], tokens: Tokens, line: int
    ) -> Any:
        """A JSON document held in a string, every position moved to the string's line."""
        try:
            tree, _ = parse_json(substitute_text(text, substitutions, tokens), self.max_depth)
        except JsonProblem as err:
            where = f"line {err.pos.line} column {err.pos.col} of the string"
            return Problem(self.file, f"{what} is not valid JSON ({where}): {err}", line=line)
        _relocate(tree, Pos(line, 1))
        return substitute_tree(tree, {}, tokens)

    def _sites(self, file: str, tree: Any, prefix: str) -> Iterator[Found | Problem]:
        extra, problems = fragments(tree)
        for site in find_jobs(tree) + extra:
            yield Found(file, replace(site, pointer=prefix + site.pointer))
        for message, line, kind in problems:
            yield Problem(file, message, line=line, kind=kind)

    def _not_read(self, name: str, key: str, holder: YMap) -> Problem:
        message = f"{key} of {name} is not read (only local files are): its training jobs, if any, are not checked"
        return Problem(self.file, message, line=holder.key_pos[key].line, kind="note")


def _without_leading_comments(text: str) -> str:
    """AWS's examples start a pipeline body with `# comment` lines; JSON has no comments.
    The lines are emptied, not removed, so the string keeps its line count."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        lines[index] = ""
    return "\n".join(lines)


def _relocate(value: Any, pos: Pos) -> None:
    if isinstance(value, YMap):
        value.pos = pos
        value.key_pos = dict.fromkeys(value.key_pos, pos)
        for child in value.values():
            _relocate(child, pos)
    elif isinstance(value, YList):
        value.pos = pos
        value.item_pos = [pos] * len(value)
        for child in value:
            _relocate(child, pos)
