"""Fill in what an event lacks, with the fewest SageMaker calls, and only when a policy reads it.

- A field a selected policy reads is lacking when the event's job has no value for it, and
  `tags` always in a state-change event (SageMaker does not put the job's tags in it).
- Lacking tags alone: one ListTags. Lacking anything else: one DescribeTrainingJob, whose
  answer replaces the event's copy of the job (it is the job as SageMaker holds it now),
  plus ListTags when tags are lacking too. At most two calls per job, none when the event
  carries all the policies read.
- Search is not used, though it returns a job with its tags in one call: its index lags
  behind the API, and an event arrives seconds after CreateTrainingJob.

An access denial or a job that is gone is a Problem for that job (it is never judged on
half its fields); throttling, timeouts and 5xx that outlast botocore's retries raise
TransientAwsError, so the Lambda invocation fails and is retried.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import botocore.exceptions
import botocore.session

from smscan.errors import SourceError
from smscan.models import Problem, Record
from smscan.record.coerce import hstore
from smscan.record.normalize import from_describe
from smscan.record.schema import FIELDS_BY_AWS_KEY, FIELDS_BY_NAME
from smscan.sources.aws.fetch import ApiCounter, describe_error, error_code, is_not_found

log = logging.getLogger("smscan.events")

ClientFor = Callable[[str], Any]  # region -> a sagemaker client
IDENTITY = frozenset({"_key", "training_job_arn", "training_job_name", "account_id", "region"})
TRANSIENT_CODES = frozenset(
    {
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
        "TooManyRequestsException", "RequestLimitExceeded", "ServiceUnavailable",
        "InternalFailure", "InternalServerError", "InternalError", "ServiceException",
    }
)  # fmt: skip


class TransientAwsError(SourceError):
    """AWS could not answer now; the same event will succeed later (Lambda retries it)."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, botocore.exceptions.ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return error_code(exc) in TRANSIENT_CODES or status >= 500
    return isinstance(
        exc,
        botocore.exceptions.ConnectionError
        | botocore.exceptions.ConnectTimeoutError
        | botocore.exceptions.ReadTimeoutError,
    )


def lacking(record: Record, state_change: bool, fields_read: frozenset[str] | None) -> frozenset[str]:
    """The fields policies read that the event cannot tell.

    A state change's job is describe-shaped, but AWS documents no promise that it carries
    every member: a field without a value is lacking. A CloudTrail call is the whole
    request: a request member it does not hold was not set (its default applies), so only
    the fields a request cannot carry (status, times ...) are lacking, and those the reader
    marked unknown (CloudTrail's HIDDEN_DUE_TO_SECURITY_REASONS), in either kind.
    """
    read = frozenset(FIELDS_BY_NAME) if fields_read is None else fields_read
    candidates = {f for f in read - IDENTITY if f in FIELDS_BY_NAME and record.data.get(f) is None}
    if not state_change:
        candidates -= request_fields()
    unknown = {pointer.split("/")[1] for pointer in record.unknown if pointer.count("/") >= 1}
    candidates |= unknown & read
    if state_change and "tags" in read:
        candidates.add("tags")
    return frozenset(candidates)


@functools.lru_cache(maxsize=1)
def request_fields() -> frozenset[str]:
    """Seed names of CreateTrainingJob's request members, from botocore's service model."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    members = model.operation_model("CreateTrainingJob").input_shape.members
    return frozenset(FIELDS_BY_AWS_KEY[k].name for k in members if k in FIELDS_BY_AWS_KEY)


@dataclass(frozen=True)
class Enriched:
    record: Record
    tags: Mapping[str, str | None] | None  # the job's tags as ListTags answered, if it was asked
    status: str  # the status DescribeTrainingJob answered ("" when not described)


class Enricher:
    def __init__(self, client_for: ClientFor, *, counter: ApiCounter | None = None) -> None:
        self.client_for = client_for
        self.counter = counter or ApiCounter()

    def calls(self) -> dict[str, int]:
        return self.counter.calls()

    def enrich(self, record: Record, missing: frozenset[str], event_id: str) -> Enriched | Problem:
        arn = record.key
        if not arn.startswith("arn:"):
            return Problem(record.origin.source, "the event names no job ARN: cannot describe it", kind="aws")
        name, region = arn.rsplit("/", 1)[-1], str(record.data.get("region") or "")
        operation = "DescribeTrainingJob"
        try:
            client = self.client_for(region)
            status, data = "", record
            if missing - {"tags"}:
                answer = client.describe_training_job(TrainingJobName=name)
                data = from_describe(answer, record.origin)
                # DescribeTrainingJob has no tags: keep the event's (a CloudTrail call's request tags)
                data.data["tags"] = record.data.get("tags")
                status = str(answer.get("TrainingJobStatus") or "")
            tags = None
            if "tags" in missing:
                operation = "ListTags"
                tags = hstore(list_tags(client, arn), "tags")
                data = dataclasses.replace(data, data={**data.data, "tags": tags})
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            why = describe_error(operation, exc)
            log.warning("event %s: %s: %s", event_id or "(no id)", arn, why)
            if is_transient(exc):
                raise TransientAwsError(f"event {event_id or '(no id)'}: {arn}: {why}") from None
            gone = " (the job no longer exists)" if is_not_found(exc) else ""
            return Problem(record.origin.source, why + gone, resource=arn, kind="aws")
        return Enriched(data, tags, status)


def list_tags(client: Any, arn: str) -> list[dict[str, str]]:
    tags: list[dict[str, str]] = []
    token: str | None = None
    while True:  # ListTags pages at 50 by default; a job holds at most 50 tags
        page = client.list_tags(ResourceArn=arn, **({"NextToken": token} if token else {}))
        tags.extend(page.get("Tags", []))
        token = page.get("NextToken")
        if not token:
            return tags
