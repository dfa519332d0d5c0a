"""Each finding's JSON report text, assembled from the parts it shares with other findings.

codec.finding_text encodes a finding whole. In a fleet most findings repeat another's
policy, verdict and evidence (the engine's evidence memo shares one evidence tuple between
jobs that look alike) and differ only in their message and their job. `FindingTexts`
encodes what repeats once: the frame around the message and the resource, written by
orjson itself with a placeholder for each, which are then cut out; and each job's
resource once for all of its findings. A finding's text is then its message encoded and
a concatenation (4.2 us a finding in a worker's loop, against 6.1 us encoded whole; 0.9 us
once its job's resource is encoded).

The text is exactly codec.finding_text's (tests/test_finding_texts.py holds the two equal
on generated findings). The placeholders carry a random token, so no record can spell one
on purpose; a frame in which a placeholder is not found exactly once, and any value only
the standard library's encoder can write, take codec.finding_text whole.
"""

from __future__ import annotations

import math
import os
from typing import Any

import orjson

from smscan.codec import finding_fields, finding_text, indented, resource_fields
from smscan.models import Finding, Origin, Resource

_MAX_FRAMES = 4096  # distinct frames kept; past it the cache starts over
_Frame = tuple[str, str, str]
_LINE = (int, type(None))
_UNSEEN: Any = object()  # a resource frame not made yet (None is a frame that cannot be made)


class FindingTexts:
    """codec.finding_text, with frames and resources encoded once (one per writer process)."""

    def __init__(self) -> None:
        token = os.urandom(12).hex()
        self._message = f"smscan-message-{token}"
        self._resource = f"smscan-resource-{token}"
        # key -> (the evidence tuple, kept so its id cannot be reused; the frame or None;
        # whether the frame's parts decode exactly)
        self._frames: dict[tuple[Any, ...], tuple[object, _Frame | None, bool]] = {}
        self._last: Resource | None = None  # a job's findings come together: one Resource
        self._last_text: str | None = None
        # (account, region, status, file, pointer) -> the frame of a resource with those values
        self._resources: dict[tuple[Any, ...], tuple[str, str, str, str] | None] = {}

    def __call__(self, f: Finding) -> str:
        return self.encode(f)[0]

    def encode(self, f: Finding) -> tuple[str, bool]:
        """The finding's text, and whether decoding it (codec.decode_finding) gives back an
        equal Finding of the same repr: no tuple where JSON has a list, no map whose keys
        JSON would reorder, no value JSON cannot hold exactly (NaN, integers past 64 bits)."""
        # The enums by identity: each is a singleton, and Enum.__hash__ is a Python call.
        key = (id(f.evidence), f.policy_id, id(f.severity), id(f.status), f.location, f.waiver, f.baseline)
        try:
            entry = self._frames.get(key)
        except TypeError:  # a value in a location or waiver that cannot be a key
            return finding_text(f), False
        if entry is None:
            entry = self._frame(key, f)
        _, frame, exact = entry
        resource = f.resource
        if resource is not self._last:
            self._last, self._last_text = resource, self.resource_text(resource)
        if frame is None or self._last_text is None:
            return finding_text(f), False
        message = json_string(f.message)
        if message is None:
            return finding_text(f), False
        return frame[0] + message + frame[1] + self._last_text + frame[2], exact

    def frame(self, f: Finding) -> tuple[_Frame | None, bool]:
        """The text of `f` but for its message and resource, cut where they go (None: the
        finding is encoded whole), and whether those parts decode exactly (see encode)."""
        key = (id(f.evidence), f.policy_id, id(f.severity), id(f.status), f.location, f.waiver, f.baseline)
        try:
            entry = self._frames.get(key)
        except TypeError:
            return None, False
        _, frame, exact = entry if entry is not None else self._frame(key, f)
        return frame, exact

    def _frame(self, key: tuple[Any, ...], f: Finding) -> tuple[object, _Frame | None, bool]:
        fields = finding_fields(f)
        fields["message"], fields["resource"] = self._message, self._resource
        text = indented(fields, 2)
        frame: _Frame | None = None
        if text is not None:
            head, message, rest = text.partition(f'"{self._message}"')
            middle, resource, tail = rest.partition(f'"{self._resource}"')
            if message and resource and self._message not in head + middle + tail and self._resource not in tail:
                frame = (head, middle, tail)
        if len(self._frames) >= _MAX_FRAMES:
            self._frames.clear()
        entry = self._frames[key] = (f.evidence, frame, frame is not None and _decodes_exactly(f))
        return entry

    def resource_text(self, r: Resource) -> str | None:
        """The resource's value as it sits in its finding's text (three levels in); None
        when a value is not a string, an integer or None (the finding is encoded whole).

        The jobs of a fleet share their account, region, status and file: the text around
        the three values of each job's own (ARN, name, line) is encoded once for them."""
        o = r.origin
        frame = self.resource_frame((r.account_id, r.region, r.status, o.source, o.pointer))
        if frame is None or type(o.line) not in _LINE:
            return None
        arn, name = json_string(r.arn), json_string(r.name)
        if arn is None or name is None:
            return None
        try:
            line = orjson.dumps(o.line).decode()
        except orjson.JSONEncodeError:  # an integer beyond 64 bits
            return None
        return frame[0] + arn + frame[1] + name + frame[2] + line + frame[3]

    def resource_frame(self, shared: tuple[Any, ...]) -> tuple[str, str, str, str] | None:
        """The text of a resource with these (account, region, status, file, pointer) around
        the job's own ARN, name and line, cut where those go (each written by orjson); None
        if a value is not text."""
        frame = self._resources.get(shared, _UNSEEN)  # one lookup: a TextRows record asks once each
        return self._resource_frame(shared) if frame is _UNSEEN else frame

    def _resource_frame(self, shared: tuple[Any, ...]) -> tuple[str, str, str, str] | None:
        if len(self._resources) >= _MAX_FRAMES:
            self._resources.clear()
        account, region, status, source, pointer = shared
        arn, name, line = (f'"{self._resource}-{i}"' for i in range(3))
        r = Resource(arn[1:-1], name[1:-1], account, region, status, Origin(source, line[1:-1], pointer))  # type: ignore[arg-type]
        text = indented(resource_fields(r), 3) if all(v is None or type(v) is str for v in shared) else None
        frame = None
        if text is not None:
            head, found_arn, rest = text.partition(arn)
            middle, found_name, rest = rest.partition(name)
            before_line, found_line, tail = rest.partition(line)
            if found_arn and found_name and found_line and self._resource not in head + middle + before_line + tail:
                frame = (head, middle, before_line, tail)
        self._resources[shared] = frame
        return frame


def _decodes_exactly(f: Finding) -> bool:
    """Whether the parts of `f` a frame holds (all but the message and the resource, which
    FindingTexts encodes only when they are strings, integers and None) come back from JSON
    as they are."""
    loc, w = f.location, f.waiver
    return (
        all(
            type(e.path) is str and type(e.operator) is str and type(e.note) is str and type(e.satisfied) is bool
            and type(e.actual) is tuple and _json_exact(e.expected) and all(map(_json_exact, e.actual))
            for e in f.evidence
        )
        and (loc is None or (type(loc.path) is str and type(loc.line) is int and type(loc.column) is int))
        and (w is None or all(type(v) is str for v in (w.reason, w.owner, w.expires, w.source)))
        and (f.baseline is None or type(f.baseline) is str)
    )


def _json_exact(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -(2**63) <= value < 2**64  # orjson's range: past it, a float comes back
    if kind is float:
        return math.isfinite(value)  # NaN and the infinities are written as null
    if kind is list:
        return all(map(_json_exact, value))
    if kind is dict:  # keys are written sorted: only a map already in that order comes back as it was
        keys = list(value)
        return all(type(k) is str for k in keys) and keys == sorted(keys) and all(map(_json_exact, value.values()))
    return False  # a tuple comes back a list; any other type as what its text says


def json_string(value: object) -> str | None:
    """orjson's text of a string, quotes included, or None for what only the standard
    library writes (a lone surrogate) and for anything but a string."""
    if type(value) is not str:
        return None
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # a lone surrogate
        return None
