"""Domain values shared by sources, the engine and the renderers.

Everything here is a frozen dataclass or an enum: a renderer is a pure function
of a ScanResult, and nothing downstream can mutate what the engine decided.
Record data (the seed-schema dict) is the only place `Any` is allowed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smscan.findings import FindingStore


class Severity(str, enum.Enum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = "|".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected {choices})") from None


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class Status(str, enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    ERROR = "ERROR"
    WAIVED = "WAIVED"
    UNKNOWN = "UNKNOWN"  # a value the policy reads is known only at run time


# The enums by id, for counters on hot paths: an Enum hashes in Python, an int in C, and
# each member is a singleton (a forked worker's are its parent's).
STATUS_BY_ID = {id(s): s for s in Status}
SEVERITY_BY_ID = {id(s): s for s in Severity}


@dataclass(frozen=True)
class Origin:
    """Where a record came from: a file (and line / JSON pointer) or an AWS account+region."""

    source: str
    line: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
        if self.pointer:
            where += f"#{self.pointer}"
        return where


@dataclass(frozen=True)
class Record:
    """One training job in the seed schema (`data`) plus its provenance.

    `key_lines` maps a JSON pointer inside the original document to its line, for
    request files whose findings must point at the offending key.

    `unknown` maps a JSON pointer into `data` (e.g. "/output_data_config/S3OutputPath")
    whose value is known only at run time to a human reason and place ("set at run time
    (Step Functions JSONPath) at jobs/train.asl.json:65"). Policies reading such a value
    are UNKNOWN, never PASS. Empty for AWS and inventory records, whose values are all
    known, so they keep the two-valued fast path.
    """

    data: dict[str, Any]
    origin: Origin
    key_lines: Mapping[str, int] = field(default_factory=dict)
    unknown: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return str(self.data.get("_key") or "")


@dataclass(frozen=True)
class Resource:
    """The identity of a scanned job, as reports show it."""

    arn: str
    name: str
    account_id: str
    region: str
    status: str | None
    origin: Origin

    @classmethod
    def of(cls, record: Record) -> Resource:
        """The job's identity: one per judged record, made as new_finding makes a Finding."""
        data = record.data
        arn, name = data.get("_key"), data.get("training_job_name")  # record.key, the name
        account, region = data.get("account_id"), data.get("region")
        resource = _new(cls)
        _set(resource, "__dict__", {
            # str(x or ""), which a string (the usual value) is already
            "arn": arn if type(arn) is str else str(arn or ""),
            "name": name if type(name) is str else str(name or ""),
            "account_id": account if type(account) is str else str(account or ""),
            "region": region if type(region) is str else str(region or ""),
            "status": data.get("training_job_status"),
            "origin": record.origin,
        })  # fmt: skip
        return resource


@dataclass(frozen=True)
class Evidence:
    """One condition looked at: the path, the operator, and the (masked) values seen."""

    path: str
    operator: str
    expected: Any
    actual: tuple[Any, ...]
    satisfied: bool
    note: str = ""


@dataclass(frozen=True)
class Location:
    """A file position a finding points at (request files; policy YAML for live findings)."""

    path: str
    line: int
    column: int = 1


@dataclass(frozen=True)
class Waiver:
    """Why a finding is WAIVED: the accepted reason, who owns it, until when, and where it is written."""

    reason: str
    owner: str = ""
    expires: str = ""
    source: str = ""


@dataclass(frozen=True)
class Finding:
    policy_id: str
    severity: Severity
    status: Status
    resource: Resource
    message: str
    evidence: tuple[Evidence, ...] = ()
    location: Location | None = None
    waiver: Waiver | None = None
    baseline: str | None = None  # "new" | "unchanged" when a baseline is given

    @property
    def sort_key(self) -> tuple[int, str, str, str, str]:
        return (
            -self.severity.rank,
            self.policy_id,
            self.resource.arn,
            str(self.resource.origin),
            self.status.value,
        )


_new, _set = object.__new__, object.__setattr__


def new_origin(source: str, line: int) -> Origin:
    """Origin(source, line): the same value without the frozen __init__'s call per field,
    for a JSON Lines file gives one to every line."""
    origin = _new(Origin)
    _set(origin, "__dict__", {"source": source, "line": line, "pointer": None})
    return origin


def new_record(data: dict[str, Any], origin: Origin) -> Record:
    """Record(data, origin): the same value, made once for every job read, the same way."""
    record = _new(Record)
    _set(record, "__dict__", {"data": data, "origin": origin, "key_lines": {}, "unknown": {}})
    return record


def new_finding(
    policy_id: str,
    severity: Severity,
    status: Status,
    resource: Resource,
    message: str,
    evidence: tuple[Evidence, ...],
) -> Finding:
    """Finding(policy_id, severity, status, resource, message, evidence): the same value
    (fields in their order, equality, hash, repr, pickle) without the frozen __init__'s call
    per field, for the engine makes one for every FAIL of a fleet."""
    finding = _new(Finding)
    _set(finding, "__dict__", {
        "policy_id": policy_id,
        "severity": severity,
        "status": status,
        "resource": resource,
        "message": message,
        "evidence": evidence,
        "location": None,
        "waiver": None,
        "baseline": None,
    })  # fmt: skip
    return finding


@dataclass(frozen=True)
class PolicyInfo:
    """A policy's metadata as reports need it: no compiled code, safe to serialise."""

    id: str
    title: str
    severity: Severity
    description: str
    rationale: str = ""
    remediation: Mapping[str, str] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    frameworks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    source_path: str = ""  # the YAML file as loaded (absolute for the built-in pack)
    source_line: int = 1  # line of the `id:` key
    pack_relpath: str = ""  # e.g. "policies/network-isolation.yaml": used when source_path
    # lies outside the SARIF root, so no absolute path ever reaches a report
    digest: str = ""  # sha256 of the file, first 12 hex digits: the policy's version


@dataclass(frozen=True)
class Problem:
    """Something that could not be scanned: an unreadable file, a bad line, a region.

    Where it is (file, line, column, field) is kept as values, never folded into
    `message`, so every output can place it; `str()` is the one-line form for terminals.
    """

    source: str
    message: str
    line: int | None = None
    field: str | None = None
    resource: str | None = None
    kind: str = "input"  # input | record | aws | note
    column: int | None = None

    def __str__(self) -> str:
        where = self.source + (f":{self.line}" if self.line is not None else "")
        what = f"field {self.field}: " if self.field else ""
        return f"{where}: {what}{self.message}"


@dataclass(frozen=True)
class ScanMeta:
    tool_version: str
    started_at: str
    finished_at: str
    inputs: tuple[str, ...] = ()
    scope: Mapping[str, Any] = field(default_factory=dict)  # accounts, regions, fetch plan ...
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    fail_on: str = "high"
    duration_seconds: float = 0.0
    records_scanned: int = 0
    api_calls: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScanResult:
    """What a scan found. `findings` is a store (see smscan.findings): iterate it in sort
    order, count it, take its first N; any iterable of findings given here is copied into one."""

    meta: ScanMeta
    policies: tuple[PolicyInfo, ...]
    findings: FindingStore
    counts: Mapping[str, Mapping[Status, int]]
    errors: tuple[Problem, ...] = ()
    fixed: tuple[Finding, ...] = ()  # open findings of the baseline that are gone from this scan
    history: tuple[Mapping[str, Any], ...] = ()  # previous scans' summaries, oldest first

    def __post_init__(self) -> None:
        from smscan.findings import as_store

        object.__setattr__(self, "findings", as_store(self.findings))

    @property
    def complete(self) -> bool:
        return not any(p.kind != "note" for p in self.errors)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """The inputs, records or regions that could not be read (notes left out)."""
        return tuple(p for p in self.errors if p.kind != "note")

    def total(self, status: Status) -> int:
        return sum(c.get(status, 0) for c in self.counts.values())

    def policy(self, policy_id: str) -> PolicyInfo | None:
        return next((p for p in self.policies if p.id == policy_id), None)
