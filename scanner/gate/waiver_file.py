"""Loading a waivers file (`.smscan-waivers.yaml`), validated like a policy file.

Every problem of the file is collected as `FILE:LINE:COL: waiver N: field: problem`, in
line order within an entry, then raised once as a WaiverError; a file with any problem
waives nothing. The matching itself is smscan.gate.waivers'.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Collection
from datetime import date, datetime
from pathlib import Path
from typing import Any

from smscan.errors import WaiverError
from smscan.gate.waivers import FileWaiver, WaiverSet, parse_date
from smscan.policy.problems import Problems, Scope
from smscan.policy.regex_safety import check_regex
from smscan.secrets import redact
from smscan.yamlpos import Pos, YamlProblem, YList, YMap, load_file

MATCH_KEYS = ("arn", "job_name", "account", "region", "tag")  # ANDed when several are given
KEYS = ("policy", *MATCH_KEYS, "reason", "owner", "expires")
_POLICY = re.compile(r"^[a-z0-9*?\[\]!-]+$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def load_waivers(
    path: Path,
    today: date,
    *,
    policy_ids: Collection[str] | None = None,
    tag_waivers: bool = True,
) -> WaiverSet:
    """Load and validate a waivers file. Raises WaiverError with every problem found.

    With `policy_ids` (the loaded policies), a `policy` that names no policy is an error,
    so a typo cannot silently waive nothing.
    """
    problems = Problems()
    file = str(path)
    top = Scope(file, "waivers", problems)
    try:
        doc = load_file(path)
    except YamlProblem as exc:
        top.add(exc.pos, "", str(exc))
        raise WaiverError(problems.items) from None
    except ValueError as exc:  # PyYAML builds dates eagerly: `expires: 2027-02-30` lands here
        top.add(None, "", f"invalid YAML value: {exc}")
        raise WaiverError(problems.items) from None
    rules: list[FileWaiver] = []
    if doc is None:  # an empty file: no waivers
        return WaiverSet(rules, today, tag_waivers=tag_waivers)
    if not isinstance(doc, YMap):
        top.add(getattr(doc, "pos", None), "", "expected a mapping with a 'waivers' list")
        raise WaiverError(problems.items)
    for key in doc:
        if key != "waivers":
            top.add(doc.key_pos[key], key, "unknown key (expected waivers)")
    entries = doc.get("waivers")
    if entries is not None and not isinstance(entries, YList):
        top.add(doc.key_pos["waivers"], "waivers", "expected a list of waivers")
    elif "waivers" not in doc:
        top.add(doc.pos, "waivers", "missing required key (expected a list of waivers)")
    items = entries if isinstance(entries, YList) else YList()
    for i, entry in enumerate(items):
        local = _InLineOrder()
        rule = _load_entry(entry, items.item_pos[i], Scope(file, f"waiver {i + 1}", local), policy_ids)
        local.flush_into(problems)
        if rule is not None:
            rules.append(rule)
    if problems:
        raise WaiverError(problems.items)
    return WaiverSet(rules, today, tag_waivers=tag_waivers)


class _InLineOrder(Problems):
    """An entry's problems, reported in line order whatever order the fields are checked in."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[tuple[int, int, str, Pos | None, str, str, str]] = []

    def add(self, file: str, pos: Pos | None, subject: str, fld: str, message: str) -> None:
        super().add(file, pos, subject, fld, message)
        where = (pos.line, pos.col) if pos else (0, 0)
        self.held.append((*where, file, pos, subject, fld, message))

    def flush_into(self, problems: Problems) -> None:
        for *_where, file, pos, subject, fld, message in sorted(self.held, key=lambda h: h[:2]):
            problems.add(file, pos, subject, fld, message)


def _load_entry(
    entry: Any, pos: Pos, scope: Scope, policy_ids: Collection[str] | None
) -> FileWaiver | None:
    if not isinstance(entry, YMap):
        scope.add(pos, "", "expected a mapping of waiver fields")
        return None
    before = len(scope.problems.items)
    for key in entry:
        if key not in KEYS:
            scope.add(entry.key_pos[key], key, f"unknown key (expected one of {', '.join(KEYS)})")
    policy = _policy(entry, scope, policy_ids)
    # Reviewed, but still text that reaches every report: a pasted token is masked like any other.
    reason = str(redact(_text(entry, "reason", scope, required=True)))
    owner = str(redact(_text(entry, "owner", scope, required=False)))
    expires = _expires(entry, scope)
    if not any(k in entry for k in MATCH_KEYS):
        scope.add(entry.pos, "", f"no resource match (expected at least one of {', '.join(MATCH_KEYS)})")
    rule = FileWaiver(
        source=f"{scope.file}:{entry.pos.line}",
        policy=policy,
        reason=reason,
        owner=owner,
        expires=expires or date.min,
        **_resource(entry, scope),
    )
    return None if len(scope.problems.items) > before else rule


def _resource(entry: YMap, scope: Scope) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, parse in _MATCHERS.items():
        if key in entry:
            try:
                found[key] = parse(entry[key])
            except ValueError as exc:
                scope.add(_at(entry, key), key, str(exc))
    return found


def _at(entry: YMap, key: str) -> Pos:
    return entry.key_pos.get(key, entry.pos)


def _text(entry: YMap, key: str, scope: Scope, *, required: bool) -> str:
    if key not in entry:
        if required:
            scope.add(entry.pos, key, "missing required key (expected a non-empty string)")
        return ""
    value = entry[key]
    if not isinstance(value, str) or (required and not value.strip()):
        scope.add(_at(entry, key), key, "expected a non-empty string")
        return ""
    return value.strip()


def _policy(entry: YMap, scope: Scope, policy_ids: Collection[str] | None) -> str:
    if "policy" not in entry:
        scope.add(entry.pos, "policy", "missing required key (expected a policy id or glob such as no-secrets-*)")
        return ""
    value = entry["policy"]
    if not isinstance(value, str) or not _POLICY.match(value):
        scope.add(_at(entry, "policy"), "policy", "expected a policy id or glob such as no-secrets-*")
        return ""
    if policy_ids is not None and not any(fnmatch.fnmatchcase(p, value) for p in policy_ids):
        scope.add(_at(entry, "policy"), "policy", f"matches no loaded policy {value!r} (expected an id from `smscan policy list`)")
    return value


def _expires(entry: YMap, scope: Scope) -> date | None:
    expected = "expected a date YYYY-MM-DD"
    if "expires" not in entry:
        scope.add(entry.pos, "expires", f"missing required key ({expected})")
        return None
    value = entry["expires"]
    # YAML reads an unquoted 2026-12-31 as a date, a quoted one as a string; both are fine.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        scope.add(_at(entry, "expires"), "expires", f"invalid date {value!r} ({expected})")
    return parsed


def _arn(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("arn:", "*")):
        raise ValueError("expected an ARN glob such as arn:aws:sagemaker:*:123456789012:training-job/etl-*")
    return value


def _job_name(value: Any) -> re.Pattern[str]:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a regular expression string")
    try:
        return check_regex(value)
    except ValueError as exc:
        raise ValueError(f"{exc} (expected a regular expression)") from None


def _account(value: Any) -> str:
    # An unquoted 12-digit number is exact; one with a leading zero would not be, so quote it.
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not _ACCOUNT.match(text):
        raise ValueError("expected a 12-digit account id (quote it: '012345678901')")
    return text


def _region(value: Any) -> str:
    if not isinstance(value, str) or not _REGION.match(value):
        raise ValueError("expected an AWS region such as us-east-1")
    return value


def _tag(value: Any) -> tuple[str, str]:
    if not isinstance(value, str) or not value.split("=", 1)[0].strip() or "=" not in value:
        raise ValueError("expected key=value such as team=research")
    key, tag_value = value.split("=", 1)
    return key.strip(), tag_value.strip()


_MATCHERS: dict[str, Callable[[Any], Any]] = {
    "arn": _arn, "job_name": _job_name, "account": _account, "region": _region, "tag": _tag,
}
