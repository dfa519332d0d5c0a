"""Task states whose Resource is decided at deploy time: perhaps a training job, never guessed into one.

`"Resource": {"Ref": "TaskArn"}`, `!GetAtt Lookup.Value`, `"${TaskArn}"` filled by a
DefinitionSubstitution that is not literal, `arn:aws:states:::${Api}`: the deployed state
machine may call sagemaker:createTrainingJob there, or may not. smscan does not read such a
state as a job (it would have to guess), and it does not pass over it in silence either: each
one is a note at the line of its `Resource`, and a named input that yields no job says so in
its "no training-job request found" problem.

Not noted: a Resource the template shows cannot be an integration (a Ref / GetAtt of a Lambda
function, alias, version or activity of the same template), and one whose literal parts
already rule it out (`arn:${AWS::Partition}:lambda:...`); see stepfunctions.undecided_resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smscan.sources.requests.extract import each_state
from smscan.sources.requests.stepfunctions import undecided_resource
from smscan.yamlpos import YMap


@dataclass(frozen=True)
class UndecidedTask:
    state: str  # the state's name ("" for a lone state without one)
    line: int  # of its Resource
    how: str  # what decides the Resource

    @property
    def message(self) -> str:
        task = f"Task {self.state[:80]}" if self.state else "The Task state"
        return (
            f"{task}'s Resource is decided at deploy time ({self.how}); smscan cannot tell whether "
            "it starts a training job, so none is read from it"
        )


def undecided_tasks(doc: Any) -> list[UndecidedTask]:
    """The Task states of a state machine (or of a fragment: one state, a map of states)
    whose Resource is decided at deploy time and may be a createTrainingJob integration."""
    if not isinstance(doc, YMap) or "Steps" in doc:
        return []
    if isinstance(doc.get("States"), YMap):
        states = [(found.name, found.state) for found in each_state(doc)]
    elif "States" in doc:
        return []
    elif doc.get("Type") == "Task":
        states = [("", doc)]
    else:  # {"Train": {"Type": "Task", ...}}: states without States
        states = [(name, state) for name, state in doc.items() if isinstance(state, YMap)]
    found = []
    for name, state in states:
        if state.get("Type") != "Task" or "Resource" not in state:
            continue
        how = undecided_resource(state["Resource"])
        if how is not None:
            found.append(UndecidedTask(name, state.key_pos["Resource"].line, how))
    return found
