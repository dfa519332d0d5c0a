"""Find the training jobs in a parsed request file, and separate what is known from what is not.

`find_jobs` recognises three documents by their content (see docs/REQUEST_FILES.md):
a CreateTrainingJob request, a SageMaker Pipeline definition (its Training steps,
also inside Condition steps) and a Step Functions state machine (its createTrainingJob
Task states, also inside Parallel branches and Map states).

`clean` turns one job object into the plain CreateTrainingJob-shaped dict that
scanner.normalize expects, plus the seed-schema key lines and the values that are only
known at run time. Such a value is never guessed: a map entry is left out of the dict,
a list item becomes None (so list indexes and key lines keep matching the file), and
each one is listed with its seed-schema pointer, so the Record carries it in `unknown`
and a policy that reads it is UNKNOWN, never PASS (scanner/policy/kleene.py). The rest
of the job stays as the file has it.

A reader of another format (CloudFormation, Terraform, SDK code) builds a YMap/YList
tree of the CreateTrainingJob request with a `RunTime` leaf wherever a value is decided
at run time, wraps it in a JobSite with the "literal" dialect, and hands it to
`job.job_items`, which cleans it and makes the Record and its notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from smscan.record.schema import FIELDS_BY_AWS_KEY
from smscan.sources.requests.runtime import RunTime
from smscan.sources.requests.stepfunctions import is_training_resource
from smscan.yamlpos import YList, YMap

Dialect = Literal["literal", "pipeline", "jsonpath", "jsonata"]
Kind = Literal["request", "pipeline", "stepfunctions", "terraform", "sdk"]

_JSONATA = re.compile(r"\s*\{%.*%\}\s*", re.DOTALL)
_DESCRIBE_ONLY = ("TrainingJobArn", "TrainingJobStatus", "CreationTime")
# How each dialect spells a run-time value, for the notes.
_HOW = {
    "jsonpath": "Step Functions JSONPath",
    "jsonata": "Step Functions JSONata expression",
}
# Notes are for policy inputs; the job name is identity only (and nearly always dynamic).
UNNOTED = frozenset({"TrainingJobName"})


@dataclass(frozen=True)
class JobSite:
    """One job object in a file: where it is and how run-time values are spelled there."""

    kind: Kind
    pointer: str  # RFC 6901 pointer of the job object inside the file
    line: int  # line of the key holding the object (of the object itself at the root)
    value: Any  # normally a YMap; None or an expression when the whole job is run-time
    dialect: Dialect


@dataclass(frozen=True)
class RunTimeValue:
    """One value of the job known only at run time."""

    path: str  # as the request spells it: "VpcConfig.Subnets[1]", "Tags[0].Value"
    pointer: str | None  # its place in the seed-schema record; None outside the seed schema
    line: int
    how: str  # what decides it: "Step Functions JSONPath", "pipeline expression Get"


@dataclass
class Cleaned:
    doc: dict[str, Any] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)
    unknown: list[RunTimeValue] = field(default_factory=list)


@dataclass(frozen=True)
class _Unknown:
    how: str


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def find_jobs(doc: Any) -> list[JobSite]:
    if not isinstance(doc, YMap):
        return []
    if isinstance(doc.get("States"), YMap):
        return list(_states(doc, "", None))
    if isinstance(doc.get("Steps"), YList):
        return list(_steps(doc["Steps"], "/Steps"))
    if (
        "AlgorithmSpecification" in doc
        and ("RoleArn" in doc or "OutputDataConfig" in doc)
        and not any(k in doc for k in _DESCRIBE_ONLY)  # a describe response: use --input
    ):
        return [JobSite("request", "", doc.pos.line, doc, "literal")]
    return []


def _steps(steps: YList, at: str) -> Any:
    for index, step in enumerate(steps):
        if not isinstance(step, YMap) or "Arguments" not in step:
            continue
        pointer = f"{at}/{index}/Arguments"
        args = step["Arguments"]
        if step.get("Type") == "Training":
            yield JobSite("pipeline", pointer, step.key_pos["Arguments"].line, args, "pipeline")
        elif step.get("Type") == "Condition" and isinstance(args, YMap):
            for branch in ("IfSteps", "ElseSteps"):
                if isinstance(args.get(branch), YList):
                    yield from _steps(args[branch], f"{pointer}/{branch}")


class StateAt(NamedTuple):
    name: str
    state: YMap
    pointer: str  # "/States/Train", "/States/Fan out/Branches/0/States/Train"
    line: int  # of the state's name
    jsonata: bool  # the state's query language, its own or its machine's


def each_state(machine: YMap, at: str = "", language: Any = None) -> Iterator[StateAt]:
    """Every state of a state machine, also inside Parallel branches and Map states."""
    language = machine.get("QueryLanguage", language)
    states = machine["States"]
    for name, state in states.items():
        if not isinstance(state, YMap):
            continue
        pointer = f"{at}/States/{escape(name)}"
        jsonata = state.get("QueryLanguage", language) == "JSONata"
        yield StateAt(name, state, pointer, states.key_pos[name].line, jsonata)
        for nested in ("Iterator", "ItemProcessor"):  # Map states, old and new spelling
            if _is_machine(state.get(nested)):
                yield from each_state(state[nested], f"{pointer}/{nested}", language)
        branches = state.get("Branches")  # Parallel states
        if isinstance(branches, YList):
            for index, branch in enumerate(branches):
                if _is_machine(branch):
                    yield from each_state(branch, f"{pointer}/Branches/{index}", language)


def task_site(state: YMap, pointer: str, line: int, jsonata: bool) -> JobSite:
    """The job of a training Task state: its Parameters (Arguments in JSONata), or the whole
    state input when it has none (`line` is then the state's own)."""
    key = "Arguments" if jsonata else "Parameters"
    dialect: Dialect = "jsonata" if jsonata else "jsonpath"
    if key in state:
        return JobSite("stepfunctions", f"{pointer}/{key}", state.key_pos[key].line, state[key], dialect)
    return JobSite("stepfunctions", pointer, line, None, dialect)


def _states(machine: YMap, at: str, language: Any) -> Iterator[JobSite]:
    for found in each_state(machine, at, language):
        if found.state.get("Type") == "Task" and is_training_resource(found.state.get("Resource")):
            yield task_site(found.state, found.pointer, found.line, found.jsonata)


def _is_machine(value: Any) -> bool:
    return isinstance(value, YMap) and isinstance(value.get("States"), YMap)


def clean(site: JobSite) -> Cleaned:
    """The known part of the job as a plain dict, its key lines, and its run-time values."""
    out = Cleaned(key_lines={"": site.line})
    job = site.value
    if not isinstance(job, YMap):
        how = "the state input" if job is None else _Cleaner(site.dialect, out).dynamic(job)
        if how is None:
            raise ValueError("the training job is not an object")
        out.unknown.append(RunTimeValue("(all parameters)", "", site.line, how))
        return out
    _Cleaner(site.dialect, out).top(job)
    return out


class _Cleaner:
    def __init__(self, dialect: Dialect, out: Cleaned) -> None:
        self.dialect = dialect
        self.out = out

    def dynamic(self, value: Any) -> str | None:
        """How `value` is computed at run time, or None if it is a literal."""
        if isinstance(value, RunTime):
            return value.how
        if self.dialect == "pipeline" and isinstance(value, YMap) and len(value) == 1:
            (name,) = value
            if name == "Get" or name.startswith("Std:"):
                return f"pipeline expression {name}"
        if self.dialect == "jsonata" and isinstance(value, str) and _JSONATA.fullmatch(value):
            return _HOW["jsonata"]
        return None

    def split(self, key: str) -> tuple[str, bool]:
        if self.dialect == "jsonpath" and key.endswith(".$"):
            return key[:-2], True
        return key, False

    def top(self, job: YMap) -> None:
        for key, value in job.items():
            line = job.key_pos[key].line
            name, dynamic = self.split(key)
            seed = FIELDS_BY_AWS_KEY.get(name)
            pointer = f"/{seed.name}" if seed else None
            if pointer is not None:
                self.out.key_lines[pointer] = line
            if name == "Tags" and not dynamic and isinstance(value, YList):
                self.out.doc[name] = self.tags(value)
                continue
            result = _Unknown(_HOW["jsonpath"]) if dynamic else self.value(value, name, pointer)
            if isinstance(result, _Unknown):
                self.unknown(name, pointer, line, result.how)
            else:
                self.out.doc[name] = result

    def unknown(self, path: str, pointer: str | None, line: int, how: str) -> None:
        self.out.unknown.append(RunTimeValue(path, pointer, line, how))

    def value(self, value: Any, path: str, pointer: str | None) -> Any:
        how = self.dynamic(value)
        if how is not None:
            return _Unknown(how)
        if isinstance(value, YMap):
            return self.mapping(value, path, pointer)
        if isinstance(value, YList):
            items = []
            for index, item in enumerate(value):
                item_pointer = None if pointer is None else f"{pointer}/{index}"
                line = value.item_pos[index].line
                if item_pointer is not None:
                    self.out.key_lines[item_pointer] = line
                result = self.value(item, f"{path}[{index}]", item_pointer)
                if isinstance(result, _Unknown):
                    self.unknown(f"{path}[{index}]", item_pointer, line, result.how)
                    result = None  # holds the item's place: the other items keep their indexes
                items.append(result)
            return items
        return value

    def mapping(self, node: YMap, path: str, pointer: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in node.items():
            line = node.key_pos[key].line
            name, dynamic = self.split(key)
            child = None if pointer is None else f"{pointer}/{escape(name)}"
            if child is not None:
                self.out.key_lines[child] = line
            result = _Unknown(_HOW["jsonpath"]) if dynamic else self.value(value, f"{path}.{name}", child)
            if isinstance(result, _Unknown):
                self.unknown(f"{path}.{name}", child, line, result.how)
            else:
                out[name] = result
        return out

    def tags(self, tags: YList) -> list[Any]:
        """AWS's [{"Key", "Value"}] list; the seed's tags are a map, so pointers use the key.

        A tag whose Value is set at run time is the unknown /tags/KEY; one whose Key is (or
        the whole tag) leaves every tag name open, so the whole map is unknown: /tags."""
        kept = []
        for index, item in enumerate(tags):
            line = tags.item_pos[index].line
            path = f"Tags[{index}]"
            how = self.dynamic(item)
            if how is not None:
                self.unknown(path, "/tags", line, how)
                continue
            if not isinstance(item, YMap):
                kept.append(self.value(item, path, None))  # malformed: normalize names the problem
                continue
            tag: dict[str, Any] = {}
            for key, value in item.items():
                name, dynamic = self.split(key)
                how = _HOW["jsonpath"] if dynamic else self.dynamic(value)
                if how is None:
                    tag[name] = self.value(value, f"{path}.{name}", None)
                else:
                    self.unknown(f"{path}.{name}", _tag_pointer(name, tag, item), item.key_pos[key].line, how)
            if any(self.split(k)[0] == "Key" for k in item) and "Key" not in tag:
                continue  # its Key is set at run time (noted above): the whole tag is unknown
            if isinstance(tag.get("Key"), str):
                self.out.key_lines[f"/tags/{escape(tag['Key'])}"] = line
            kept.append(tag)
        return kept


def _tag_pointer(name: str, tag: dict[str, Any], item: YMap) -> str:
    """The unknown place of a run-time Key or Value: /tags/KEY for a Value under a known Key."""
    key = tag.get("Key", item.get("Key"))
    if name == "Value" and isinstance(key, str):
        return f"/tags/{escape(key)}"
    return "/tags"
