"""Scanning one (account, region) pair with the chosen fetch plan.

Runs in a worker thread; describes go to a pool shared by all pairs, so --concurrency
bounds the whole scan. Everything listed ends as a Record, a Problem (kind "aws" or
"record"), or, for a job deleted between list and describe, a note.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from smscan.errors import RecordError
from smscan.models import Origin, Problem, Record
from smscan.sources.aws.cache import Cache
from smscan.sources.interface import Note, ScopeProgress

from .fetch import AWS_ERRORS, describe_error, error_code, is_not_found, paginate
from .plans import TERMINAL_STATUSES, Filters, Plan

Emit = Callable[[Record | Problem], None]
# Search answers these when the caller may not call it: fall back to one ListTags per job.
SEARCH_REFUSED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def to_record(doc: Mapping[str, Any], origin: Origin, tags: Any = None) -> Record:
    from smscan.record.normalize import (
        from_describe,  # helper-2's normalizer; one shape for all plans
    )

    return from_describe(doc, origin, tags=tags)


@dataclass
class Pair:
    account_id: str
    region: str
    client: Any

    @property
    def scope(self) -> str:
        return f"aws:{self.account_id}:{self.region}"


class PairScan:
    def __init__(
        self,
        pair: Pair,
        plan: Plan,
        filters: Filters,
        pool: ThreadPoolExecutor,
        cache: Cache | None,
        progress: ScopeProgress,
        emit: Emit,
        note: Callable[[Note], None],
    ) -> None:
        self.pair = pair
        self.plan = plan
        self.filters = filters
        self.pool = pool
        self.cache = cache if plan.describes else None
        self.progress = progress
        self.emit = emit
        self.note = note
        self.origin = Origin(pair.scope)

    def run(self) -> None:
        if self.plan is Plan.DESCRIBE:
            self._list_and_describe()
        else:
            self._search_plan()

    # -- search and search+describe -------------------------------------------------------

    def _search_plan(self) -> None:
        seen = 0
        try:
            for page in self._search_pages():
                jobs = [r for r in page if self.filters.matches(r)]
                seen += len(jobs)
                self.progress.update(self.pair.scope, listed=len(jobs))
                if self.plan is Plan.SEARCH:
                    for job in jobs:
                        self._emit_record(job, job.get("Tags") or [])
                    self.progress.update(self.pair.scope, described=len(jobs))
                else:
                    self._describe_all([(job, job.get("Tags") or []) for job in jobs])
        except AWS_ERRORS as exc:
            self._pair_problem("Search", exc, seen)

    def _search_pages(self) -> Iterator[list[dict[str, Any]]]:
        params: dict[str, Any] = {"Resource": "TrainingJob", "MaxResults": 100}
        expression = self.filters.search_expression()
        if expression:
            params["SearchExpression"] = expression
        for page in paginate(self.pair.client, "search", **params):
            yield [r["TrainingJob"] for r in page.get("Results", []) if r.get("TrainingJob")]

    # -- describe ---------------------------------------------------------------------------

    def _list_and_describe(self) -> None:
        summaries: dict[str, dict[str, Any]] = {}
        try:
            for params in self.filters.list_calls():
                for page in paginate(self.pair.client, "list_training_jobs", **params):
                    jobs = [
                        s for s in page.get("TrainingJobSummaries", []) if self.filters.matches(s)
                    ]
                    for job in jobs:
                        summaries[job["TrainingJobArn"]] = job
                    self.progress.update(self.pair.scope, listed=len(jobs))
        except AWS_ERRORS as exc:
            self._pair_problem("ListTrainingJobs", exc, len(summaries))
        if not summaries:
            return
        tags = self._bulk_tags(set(summaries))
        self._describe_all([(s, tags.get(arn)) for arn, s in summaries.items()])

    def _bulk_tags(self, arns: set[str]) -> dict[str, list[dict[str, str]]]:
        """Tags of listed jobs from Search, 100 jobs a call; None-valued jobs get ListTags."""
        found: dict[str, list[dict[str, str]]] = {}
        try:
            for page in self._search_pages():
                for job in page:
                    if job.get("TrainingJobArn") in arns:
                        found[job["TrainingJobArn"]] = job.get("Tags") or []
        except AWS_ERRORS as exc:
            if error_code(exc) not in SEARCH_REFUSED:
                self.note(Note(f"{describe_error('Search', exc)}; tags read per job", self.pair.scope))
            else:
                self.note(Note("Search refused; tags read with one ListTags per job", self.pair.scope))
        return found

    def _list_tags(self, arn: str) -> list[dict[str, str]]:
        tags: list[dict[str, str]] = []
        for page in paginate(self.pair.client, "list_tags", ResourceArn=arn, MaxResults=100):
            tags.extend(page.get("Tags", []))
        return tags

    def _describe_all(self, jobs: list[tuple[dict[str, Any], list[dict[str, str]] | None]]) -> None:
        pending: list[tuple[dict[str, Any], Future[tuple[dict[str, Any], Any]]]] = []
        for job, tags in jobs:
            cached = self._cached(job)
            if cached is not None and tags is not None:
                self._emit_record(cached, tags)
                self.progress.update(self.pair.scope, described=1)
                continue
            pending.append((job, self.pool.submit(self._fetch, job, cached, tags)))
        for job, future in pending:
            arn = str(job.get("TrainingJobArn") or job.get("TrainingJobName"))
            try:
                doc, job_tags = future.result()
            except AWS_ERRORS as exc:
                if is_not_found(exc):
                    self.note(Note(f"job {arn} deleted between list and describe"))
                    self.progress.update(self.pair.scope, described=1)
                    continue
                self.progress.update(self.pair.scope, failed=1)
                self.emit(
                    Problem(
                        source=self.pair.scope,
                        message=describe_error(exc_operation(exc, "DescribeTrainingJob"), exc),
                        resource=arn,
                        kind="aws",
                    )
                )
                continue
            self._emit_record(doc, job_tags, listed_arn=arn)
            self.progress.update(self.pair.scope, described=1)

    def _cached(self, job: Mapping[str, Any]) -> dict[str, Any] | None:
        if self.cache is None or job.get("TrainingJobStatus") not in TERMINAL_STATUSES:
            return None
        return self.cache.get(str(job.get("TrainingJobArn")), job.get("LastModifiedTime"))

    def _fetch(
        self, job: Mapping[str, Any], cached: dict[str, Any] | None, tags: Any
    ) -> tuple[dict[str, Any], Any]:
        """Pool worker: describe (unless cached) and read tags Search did not return."""
        doc = cached
        if doc is None:
            doc = dict(
                self.pair.client.describe_training_job(TrainingJobName=job["TrainingJobName"])
            )
            doc.pop("ResponseMetadata", None)
            if self.cache is not None and doc.get("TrainingJobStatus") in TERMINAL_STATUSES:
                self.cache.put(
                    doc["TrainingJobArn"],
                    doc.get("LastModifiedTime"),
                    doc["TrainingJobStatus"],
                    doc,
                )
        if tags is None:
            tags = self._list_tags(str(doc.get("TrainingJobArn") or job["TrainingJobArn"]))
        return doc, tags

    # -- results ----------------------------------------------------------------------------

    def _emit_record(self, doc: Mapping[str, Any], tags: Any, listed_arn: str | None = None) -> None:
        try:
            self.emit(to_record(doc, self.origin, tags=tags))
        except RecordError as exc:
            arn = str(doc.get("TrainingJobArn") or "") or listed_arn
            # An answer without the job's identity is a malformed response, not a bad job.
            malformed = listed_arn is not None and not doc.get("TrainingJobArn")
            self.emit(
                Problem(
                    source=self.pair.scope,
                    message=f"DescribeTrainingJob: malformed answer ({exc})" if malformed else exc.detail,
                    field=None if malformed else exc.field,
                    resource=arn,
                    kind="aws" if malformed else "record",
                )
            )

    def _pair_problem(self, operation: str, exc: BaseException, seen: int) -> None:
        message = describe_error(operation, exc)
        if seen:
            message += f" (listing stopped after {seen} jobs; those were scanned)"
        self.progress.update(self.pair.scope, failed=1)
        self.emit(Problem(source=self.pair.scope, message=message, kind="aws"))


def exc_operation(exc: BaseException, default: str) -> str:
    return str(getattr(exc, "operation_name", "") or default)
