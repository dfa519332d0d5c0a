"""Fetch plans: which SageMaker calls give every field the selected policies read, cheapest.

- search: Search(Resource=TrainingJob), 100 whole jobs (Tags included) per call.
- search+describe: Search for the listing and the tags, plus DescribeTrainingJob per job,
  because a policy reads a field only DescribeTrainingJob returns.
- describe: ListTrainingJobs, DescribeTrainingJob per job, tags in bulk from Search.

Which fields are describe-only is not hard-coded: it is the difference between the output
shape of DescribeTrainingJob and the TrainingJob shape inside Search's results, read from
botocore's service model at runtime and mapped to seed-schema names.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from smscan.record.schema import FIELDS_BY_AWS_KEY, FIELDS_BY_NAME

ALL_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")
TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Stopped"})


class Plan(str, enum.Enum):
    SEARCH = "search"
    SEARCH_DESCRIBE = "search+describe"
    DESCRIBE = "describe"

    @property
    def describes(self) -> bool:
        return self is not Plan.SEARCH


@functools.lru_cache(maxsize=1)
def describe_only_aws_keys() -> frozenset[str]:
    """DescribeTrainingJob output members that Search's TrainingJob shape lacks."""
    import botocore.session  # here, not at the top: `smscan scan --help` lists statuses from this module

    model = botocore.session.get_session().get_service_model("sagemaker")
    described = set(model.operation_model("DescribeTrainingJob").output_shape.members)
    results = model.operation_model("Search").output_shape.members["Results"]
    searched = set(results.member.members["TrainingJob"].members)
    return frozenset(described - searched - {"ResponseMetadata"})


def describe_only_fields() -> frozenset[str]:
    """Seed-schema names of the describe-only keys (keys the seed has no column for drop out)."""
    return frozenset(
        FIELDS_BY_AWS_KEY[key].name for key in describe_only_aws_keys() if key in FIELDS_BY_AWS_KEY
    )


@dataclass(frozen=True)
class PlanChoice:
    plan: Plan
    reason: str
    missing: tuple[str, ...] = ()  # describe-only fields read but not fetched (--fetch search)


def choose_plan(
    requested: str, fields_read: frozenset[str] | None, scoped: bool = False
) -> PlanChoice:
    """auto: Search alone when no read field is describe-only, else Search + Describe.

    Search + Describe costs N/100 + N calls, list + describe + ListTags 2N + N/100; Search
    also carries the tags, so it is the cheapest plan that sees every field. `scoped`: the
    describes are limited to the jobs a describe-reading policy's `when:` admits.
    """
    needed = sorted(
        describe_only_fields() if fields_read is None else fields_read & describe_only_fields()
    )
    if requested == "describe":
        return PlanChoice(Plan.DESCRIBE, "forced by --fetch describe")
    if requested == "search":
        return PlanChoice(Plan.SEARCH, "forced by --fetch search", tuple(needed))
    if fields_read is None:
        return PlanChoice(
            Plan.SEARCH_DESCRIBE, "the fields the policies read are unknown: describing every job"
        )
    if needed:
        reason = "policies read describe-only fields: " + ", ".join(needed)
        if scoped:
            reason += " (only jobs in those policies' when: scope are described)"
        return PlanChoice(Plan.SEARCH_DESCRIBE, reason)
    return PlanChoice(Plan.SEARCH, "no selected policy reads a describe-only field")


def unknown_fields(fields_read: frozenset[str] | None) -> list[str]:
    return sorted((fields_read or frozenset()) - set(FIELDS_BY_NAME))


@dataclass(frozen=True)
class Filters:
    statuses: tuple[str, ...] = ()  # empty: every status
    created_after: datetime | None = None
    name_contains: str | None = None

    def as_scope(self) -> dict[str, Any]:
        return {
            "statuses": list(self.statuses or ALL_STATUSES),
            "created_after": self.created_after.isoformat() if self.created_after else None,
            "name_contains": self.name_contains,
        }

    def search_expression(self) -> dict[str, Any] | None:
        filters: list[dict[str, str]] = []
        if self.created_after is not None:
            filters.append(
                {
                    "Name": "CreationTime",
                    "Operator": "GreaterThanOrEqualTo",
                    "Value": _utc(self.created_after).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
        if self.name_contains:
            filters.append(
                {"Name": "TrainingJobName", "Operator": "Contains", "Value": self.name_contains}
            )
        expression: dict[str, Any] = {}
        if filters:
            expression["Filters"] = filters
        statuses = [s for s in ALL_STATUSES if s in self.statuses]
        if statuses and len(statuses) < len(ALL_STATUSES):
            by_status = [
                {"Name": "TrainingJobStatus", "Operator": "Equals", "Value": s} for s in statuses
            ]
            expression["SubExpressions"] = [{"Filters": by_status, "Operator": "Or"}]
        if not expression:
            return None
        expression["Operator"] = "And"
        return expression

    def list_calls(self) -> list[dict[str, Any]]:
        """ListTrainingJobs parameter sets: StatusEquals takes one status, so one listing each."""
        base: dict[str, Any] = {"MaxResults": 100}
        if self.created_after is not None:
            base["CreationTimeAfter"] = self.created_after
        if self.name_contains:
            base["NameContains"] = self.name_contains
        statuses = [s for s in ALL_STATUSES if s in self.statuses]
        if not statuses or len(statuses) == len(ALL_STATUSES):
            return [base]
        return [{**base, "StatusEquals": s} for s in statuses]

    def matches(self, job: Mapping[str, Any]) -> bool:
        """The same filters applied client-side: a server that ignores part of an expression
        (moto ignores SubExpressions) must not widen the scan."""
        if self.statuses and job.get("TrainingJobStatus") not in self.statuses:
            return False
        if (
            self.name_contains
            and self.name_contains.lower() not in str(job.get("TrainingJobName", "")).lower()
        ):
            return False
        created = job.get("CreationTime")
        return not (
            self.created_after is not None
            and isinstance(created, datetime)
            and _utc(created) < _utc(self.created_after)
        )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
