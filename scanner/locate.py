"""Where a finding points in a request file, and why an UNKNOWN could not be decided.

A record from a request file knows the line of each of its keys (`Record.key_lines`) and
the reason each run-time value is unknown (`Record.unknown`); the engine's findings use
these to point at the key that decided the verdict, or at the first value the policy
needed but could not see.
"""

from __future__ import annotations

from smscan.models import Evidence, Location, Record
from smscan.policy.kleene import RUN_TIME_NOTE, Loc, pointer_text
from smscan.policy.paths import pointer_prefixes
from smscan.record.schema import FIELDS_BY_NAME


def evidence_location(record: Record, evidence: tuple[Evidence, ...]) -> Location | None:
    """For request files: the line of the first unsatisfied key, or of the job object.

    A leaf left UNKNOWN is unsatisfied too, but a FAIL is decided by a known value: its
    key is the one to show, so evidence about run-time values comes last."""
    if not record.key_lines:
        return None
    failed = [e for e in evidence if not e.satisfied] or list(evidence)
    if record.unknown:
        failed.sort(key=lambda e: e.note == RUN_TIME_NOTE)
    for pointer in pointer_prefixes(failed[0].path) if failed else [""]:
        line = record.key_lines.get(pointer)
        if line is not None:
            return Location(path=record.origin.source, line=line)
    return None


def unique(places: list[Loc]) -> list[Loc]:
    return list(dict.fromkeys(places))


def unknown_location(record: Record, places: list[Loc]) -> Location | None:
    """The line of the first run-time value the policy needed (or of its nearest parent)."""
    for n in range(len(places[0]), -1, -1):
        line = record.key_lines.get(pointer_text(places[0][:n]))
        if line is not None:
            return Location(path=record.origin.source, line=line)
    return None


def unknown_reasons(record: Record, places: list[Loc]) -> str:
    """ "OutputDataConfig.S3OutputPath is set at run time (Step Functions JSONPath) at f:65" """
    reasons = []
    for place in places[:_MAX_REASONS]:
        reason = record.unknown.get(pointer_text(place), "known only at run time")
        reasons.append(f"{display_place(place)} is {reason}")
    more = len(places) - _MAX_REASONS
    if not reasons:
        return "a value it reads is known only at run time"
    return "; ".join(reasons) + (f"; and {more} more value(s) set at run time" if more > 0 else "")


_MAX_REASONS = 3


def display_place(place: Loc) -> str:
    """A record place as the request spells it: ("vpc_config", "Subnets", "1") -> VpcConfig.Subnets[1]."""
    if not place:
        return "the whole request"
    field = FIELDS_BY_NAME.get(place[0])
    text = field.aws_key if field is not None and field.aws_key else place[0]
    for token in place[1:]:
        text += f"[{token}]" if token.isdigit() else f".{token}"
    return text
