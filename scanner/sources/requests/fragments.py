"""Pieces of definitions: a Task state or Training step on its own, or a step with no request.

Documentation and READMEs show a single state (`{"Type": "Task", "Resource": ...}`), a map
of states without the `States` around them, or a single pipeline step. Each is read as
the job it describes, with a note saying it is a fragment. A pipeline Training step without
`Arguments` has a job that cannot be checked: that is a problem, never a silent skip.
"""

from __future__ import annotations

from typing import Any

from smscan.sources.requests.extract import JobSite, escape, task_site
from smscan.sources.requests.stepfunctions import is_training_resource
from smscan.yamlpos import YList, YMap

Found = tuple[list[JobSite], list[tuple[str, int, str]]]  # sites, (message, line, kind)


def fragments(doc: Any) -> Found:
    if not isinstance(doc, YMap):
        return [], []
    if isinstance(doc.get("Steps"), YList):
        return [], list(_steps_without_arguments(doc["Steps"]))
    if "States" in doc:
        return [], []
    if _is_training_state(doc):
        site = _state_site(doc, "", doc.pos.line)
        return [site], [(_FRAGMENT_STATE, doc.pos.line, "note")]
    if doc.get("Type") == "Training" and isinstance(doc.get("Name"), str):  # a step has a Name
        return _step(doc, "", doc.pos.line)
    sites: list[JobSite] = []
    notes: list[tuple[str, int, str]] = []
    for name, state in doc.items():  # {"Train": {"Type": "Task", ...}}: states without States
        line = doc.key_pos[name].line
        if _is_training_state(state):
            sites.append(_state_site(state, f"/{escape(name)}", line))
            notes.append((f"{_FRAGMENT_STATE} ({name[:80]})", line, "note"))
    return sites, notes


_FRAGMENT_STATE = (
    "a Step Functions Task state outside a state machine (a fragment): read as one job"
)


def _is_training_state(value: Any) -> bool:
    return (
        isinstance(value, YMap)
        and value.get("Type") == "Task"
        and is_training_resource(value.get("Resource"))
    )


def _state_site(state: YMap, at: str, line: int) -> JobSite:
    return task_site(state, at, line, state.get("QueryLanguage") == "JSONata")


def _step(step: YMap, at: str, line: int) -> Found:
    if "Arguments" not in step:
        return [], [(_no_arguments(step), line, "record")]
    site = JobSite(
        "pipeline", f"{at}/Arguments", step.key_pos["Arguments"].line, step["Arguments"], "pipeline"
    )
    note = "a SageMaker Pipeline Training step outside a pipeline (a fragment): read as one job"
    return [site], [(note, line, "note")]


def _steps_without_arguments(steps: YList) -> Any:
    for index, step in enumerate(steps):
        if not isinstance(step, YMap):
            continue
        if step.get("Type") == "Training" and "Arguments" not in step:
            yield _no_arguments(step), steps.item_pos[index].line, "record"
        args = step.get("Arguments")
        if step.get("Type") == "Condition" and isinstance(args, YMap):
            for branch in ("IfSteps", "ElseSteps"):
                if isinstance(args.get(branch), YList):
                    yield from _steps_without_arguments(args[branch])


def _no_arguments(step: YMap) -> str:
    name = step.get("Name")
    named = f" {name[:80]!r}" if isinstance(name, str) else ""
    return f"Training step{named} has no Arguments: its training job cannot be checked"
