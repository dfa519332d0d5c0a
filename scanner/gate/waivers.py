"""Waivers: accepted FAIL (or UNKNOWN) findings, each with a reason, an owner and an expiry date.

Two sources, checked in this order:

- a waivers file (`.smscan-waivers.yaml`, loaded and validated by smscan.gate.waiver_file);
- a tag on the job itself, `smscan:waive:<policy-id>`, whose value holds the reason and
  `until=YYYY-MM-DD`. A tag without a valid date is not honoured and is reported as a note.

A FAIL can be waived, and so can an UNKNOWN (a value known only at run time that an owner
has checked by other means). An ERROR never: it means the job could not be judged, and
waiving it would hide that. A waiver applies through its `expires` day and not after; an
expired waiver never matches, so its finding fails again. Every resource field given must
match (they are ANDed); the first matching waiver in file order wins.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from smscan.models import Record, Waiver
from smscan.secrets import redact

DEFAULT_FILE = ".smscan-waivers.yaml"
TAG_PREFIX = "smscan:waive:"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNTIL = re.compile(r"(?:^|[\s,;])until=(\S*)")


@dataclass
class FileWaiver:
    """One validated entry of a waivers file; `hits` counts the findings it waived."""

    source: str  # FILE:LINE
    policy: str
    reason: str
    expires: date
    owner: str = ""
    arn: str | None = None
    job_name: re.Pattern[str] | None = None
    account: str | None = None
    region: str | None = None
    tag: tuple[str, str] | None = None
    hits: int = 0

    def applies_to(self, policy_id: str, record: Record) -> bool:
        data = record.data
        if not fnmatch.fnmatchcase(policy_id, self.policy):
            return False
        if self.arn is not None and not fnmatch.fnmatchcase(record.key, self.arn):
            return False
        name = str(data.get("training_job_name") or "")
        if self.job_name is not None and not self.job_name.fullmatch(name):
            return False
        if self.account is not None and str(data.get("account_id") or "") != self.account:
            return False
        if self.region is not None and str(data.get("region") or "") != self.region:
            return False
        if self.tag is not None:
            key, value = self.tag
            if _tags(record).get(key) != value:
                return False
        return True

    def waiver(self) -> Waiver:
        return Waiver(self.reason, self.owner, self.expires.isoformat(), self.source)


@dataclass(frozen=True)
class WaiverReport:
    """What the run should print after the scan; `--strict-waivers` fails on `violations`."""

    expired: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    tag_notes: list[str] = field(default_factory=list)

    @property
    def violations(self) -> list[str]:
        return self.expired + self.stale


@dataclass(frozen=True)
class WaiverUsage:
    """The matching done by one copy of a WaiverSet: hits per file waiver, in file order, and
    the tag notes and expiries it met, in the order it met them."""

    hits: tuple[int, ...]
    tag_notes: tuple[str, ...] = ()
    tag_expired: tuple[str, ...] = ()


class WaiverSet:
    def __init__(
        self, rules: list[FileWaiver], today: date, *, tag_waivers: bool = True
    ) -> None:
        self.rules = rules
        self.today = today
        self.tag_waivers = tag_waivers
        self._tag_notes: dict[str, None] = {}  # ordered and de-duplicated
        self._tag_expired: dict[str, None] = {}
        self._tag_keys: dict[str, str] = {}  # policy id -> its waiver tag's key

    @classmethod
    def empty(cls, today: date | None = None, *, tag_waivers: bool = True) -> WaiverSet:
        return cls([], today or date.today(), tag_waivers=tag_waivers)

    def can_match(self, record: Record) -> bool:
        """False when `match` gives None for every policy on `record` and notes nothing: no
        file waivers, and no waiver tag on the job (a DescribeTrainingJob answer has no tags
        at all). True whenever that is not certain."""
        if self.rules:
            return True
        if not self.tag_waivers:
            return False
        tags = record.data.get("tags")
        if tags is None:
            return False
        if type(tags) is dict:
            return any(type(key) is not str or key.startswith(TAG_PREFIX) for key in tags)
        return True

    def match(self, policy_id: str, record: Record) -> Waiver | None:
        """The waiver for a FAIL or UNKNOWN of `policy_id` on `record`, or None.

        Call it for those only: each call counts as a hit of the matching file waiver.
        """
        if self.rules:
            for rule in self.rules:
                if rule.expires >= self.today and rule.applies_to(policy_id, record):
                    rule.hits += 1
                    return rule.waiver()
        if not self.tag_waivers:
            return None
        # Called for every FAIL of a fleet, whose jobs seldom carry a waiver tag: one lookup.
        tags = record.data.get("tags")
        if type(tags) is not dict:
            if tags is None:  # no tags at all (a DescribeTrainingJob answer has none)
                return None
            tags = tags if isinstance(tags, Mapping) else {}
        key = self._tag_keys.get(policy_id)
        if key is None:
            key = self._tag_keys[policy_id] = TAG_PREFIX + policy_id
        value = tags.get(key)
        return None if value is None else self._tag_waiver(key, value, record)

    def _tag_waiver(self, key: str, value: Any, record: Record) -> Waiver | None:
        """The waiver the job's tag `key` (whose value is `value`) gives, or None and a note why."""
        job = record.key or str(record.origin)
        until = _UNTIL.search(value)
        if until is None:
            self._note(f"{job}: tag {key} not honoured: no until=YYYY-MM-DD date in its value")
            return None
        expires = parse_date(until.group(1))
        if expires is None:
            # Never echo the value: a tag can hold anything, a token included.
            self._note(f"{job}: tag {key} not honoured: its until= value is not a date YYYY-MM-DD")
            return None
        reason = (value[: until.start()] + " " + value[until.end():]).strip(" ,;")
        if not reason:
            self._note(f"{job}: tag {key} not honoured: its value gives no reason")
            return None
        if expires < self.today:
            self._tag_expired[f"{job}: tag {key} expired on {expires.isoformat()}"] = None
            return None
        # The value reaches every report: mask it if it looks like a secret.
        return Waiver(str(redact(reason)), "", expires.isoformat(), f"tag {key}")

    def _note(self, text: str) -> None:
        self._tag_notes[text] = None

    def take_usage(self) -> WaiverUsage:
        """What matching recorded since the last call, then forgotten.

        A worker process (smscan.parallel) matches with its own forked copy of the set and
        sends this to the parent, whose `add_usage` keeps the stale-waiver check whole.
        """
        usage = WaiverUsage(
            tuple(rule.hits for rule in self.rules), tuple(self._tag_notes), tuple(self._tag_expired)
        )
        for rule in self.rules:
            rule.hits = 0
        self._tag_notes.clear()
        self._tag_expired.clear()
        return usage

    def add_usage(self, usage: WaiverUsage) -> None:
        """Count another copy's matches as this set's own (notes keep first-seen order)."""
        for rule, hits in zip(self.rules, usage.hits, strict=True):
            rule.hits += hits
        self._tag_notes.update(dict.fromkeys(usage.tag_notes))
        self._tag_expired.update(dict.fromkeys(usage.tag_expired))

    def report(self) -> WaiverReport:
        expired = [
            f"{r.source}: waiver for {r.policy} expired on {r.expires.isoformat()}"
            for r in self.rules
            if r.expires < self.today
        ]
        stale = [
            f"{r.source}: waiver for {r.policy} matched no finding"
            for r in self.rules
            if r.expires >= self.today and r.hits == 0
        ]
        return WaiverReport(
            expired=expired + list(self._tag_expired),
            stale=stale,
            tag_notes=list(self._tag_notes),
        )


def _tags(record: Record) -> Mapping[str, Any]:
    tags = record.data.get("tags")
    return tags if isinstance(tags, Mapping) else {}


def parse_date(text: str) -> date | None:
    """A strict YYYY-MM-DD date, or None."""
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
