"""What a path that yields no training job says about it.

A file the user named that holds no job fails closed (a problem, exit 3), and so does a
directory whose files are records rather than requests (with the hint to use --input). A
directory that holds neither is a note: most repositories hold no training job, and a
pull-request gate must not fail for that. Either way, Task states whose Resource is decided
at deploy time (undecided.py) are named, since any of them may start the job that is missing.
"""

from __future__ import annotations

from smscan.models import Problem


def nothing_found(path: str, named: bool, files: int, hints: list[tuple[str, str]], undecided: list[str]) -> Problem:
    """`hints`: (file, what records it holds); `undecided`: names of deploy-time Task states."""
    maybe = _undecided_clause(undecided)
    if hints:
        file, hint = hints[0]
        where = "" if named else f"{file}: "
        return Problem(path, f"no training-job request found{maybe}; {where}{hint}")
    if named:
        return Problem(path, f"no training-job request found in this file{maybe}")
    return Problem(path, f"no training-job request found in {files} file(s){maybe}", kind="note")


def _undecided_clause(states: list[str]) -> str:
    if not states:
        return ""
    names = ", ".join(state[:80] or "(unnamed)" for state in states[:3]) + (", ..." if len(states) > 3 else "")
    return (
        f", but {len(states)} Task state(s) ({names}) have a Resource decided at deploy time: "
        "smscan cannot tell whether they start a training job (see the notes)"
    )
