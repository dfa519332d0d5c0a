"""The live AWS source: every training job in every selected account and region.

`items()` resolves accounts (caller, --role-arn, --accounts, --org) and regions, keeps
this shard's (account, region) pairs, creates every client up front in this thread
(boto3 sessions are not thread-safe, clients are), then scans the pairs concurrently and
yields records and problems as they arrive. Module map:

    source.py    AwsOptions -> AwsSource (the Source interface)
    accounts.py  accounts, assume-role, Organizations, regions, --shard
    plans.py     fetch plans, describe-only fields, filters
    pair.py      scanning one (account, region) pair with a plan
    fetch.py     client settings, retries, API-call counting, error wording
    cache.py     the incremental-scan cache of finished jobs

smscan/cli/aws_options.py turns the `--aws` command-line options into AwsOptions.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from smscan.models import Problem
from smscan.sources.aws.cache import Cache
from smscan.sources.interface import (
    NoProgress,
    Note,
    ScopeProgress,
    Source,
    SourceItem,
    SourceReport,
)

from .accounts import (
    Account,
    AccountSpec,
    Shard,
    assume,
    enabled_regions,
    org_accounts,
    role_arn,
)
from .fetch import AWS_ERRORS, ApiCounter, ClientFactory, ClientHook, FetchSettings
from .fetch import describe_error as _describe_error
from .pair import Pair, PairScan
from .plans import Filters, PlanChoice, choose_plan, unknown_fields

_DONE = object()


@dataclass(frozen=True)
class AwsOptions:
    profile: str | None = None
    regions: tuple[str, ...] = ()
    all_regions: bool = False
    filters: Filters = Filters()
    fetch: str = "auto"
    settings: FetchSettings = FetchSettings()
    accounts: tuple[AccountSpec, ...] = ()  # empty: the caller's account
    org: bool = False
    org_role_name: str = "OrganizationAccountAccessRole"
    external_id: str | None = None
    shard: Shard | None = None
    cache_path: Path | None = None


@dataclass
class _Run:
    accounts: list[str] = field(default_factory=list)
    regions: set[str] = field(default_factory=set)
    pairs: int = 0
    pairs_skipped_by_shard: int = 0
    pair_names: list[str] = field(default_factory=list)  # "account/region", in scan order
    sessions: dict[str, boto3.Session] = field(default_factory=dict)  # account id -> its credentials


class AwsSource(Source):
    def __init__(
        self,
        options: AwsOptions,
        fields_read: frozenset[str] | None,
        progress: ScopeProgress | None = None,
        session: boto3.Session | None = None,
        client_hook: ClientHook | None = None,
    ) -> None:
        self.options = options
        self.choice: PlanChoice = choose_plan(options.fetch, fields_read)
        self.progress = progress or NoProgress()
        self._session = session
        self._counter = ApiCounter()
        self._factory = ClientFactory(options.settings, self._counter, client_hook)
        self._notes: list[Note] = []
        self._notes_lock = threading.Lock()
        self._run = _Run()
        self._cache_hits = 0
        if self.choice.missing:
            self._note(
                "--fetch search: Search does not return "
                + ", ".join(self.choice.missing)
                + "; policies reading them see the fields as absent"
            )
        unknown = unknown_fields(fields_read)
        if unknown:
            self._note("policies read fields outside the seed schema: " + ", ".join(unknown))

    # -- the Source interface ---------------------------------------------------------------

    def describe(self) -> str:
        accounts = len(self._run.accounts) or len(self.options.accounts) or 1
        regions = len(self._run.regions) or len(self.options.regions)
        where = f"{accounts} account(s) x {regions or 'all'} region(s)"
        return f"AWS SageMaker training jobs: {where}, {self.choice.plan.value} plan"

    def items(self) -> Generator[SourceItem, None, None]:
        """Records and problems as they arrive; close() stops the workers and returns."""
        base = self._session or boto3.Session(profile_name=self.options.profile)
        home = self.options.regions[0] if self.options.regions else base.region_name or "us-east-1"
        problems: list[Problem] = []
        pairs = self._pairs(base, home, problems)
        yield from problems
        if not pairs:
            return
        cache = self._open_cache()
        try:
            yield from self._scan(pairs, cache)
        finally:
            if cache is not None:
                cache.close()
                self._cache_hits = cache.hits
                if cache.hits:
                    self._note(f"cache saved {cache.hits} DescribeTrainingJob calls")
            self.progress.close()

    def report(self) -> SourceReport:
        return SourceReport(scope=self._scope(), api_calls=self._counter.calls(), notes=self._all_notes())

    def session_for(self, account_id: str) -> boto3.Session | None:
        """The credentials this scan used for an account (assumed role or the caller's): a sink
        sends an account's findings with them."""
        return self._run.sessions.get(account_id)

    # -- internals --------------------------------------------------------------------------

    def _scope(self) -> dict[str, Any]:
        return {
            "source": "aws",
            "accounts": sorted(self._run.accounts),
            "regions": sorted(self._run.regions),
            "all_regions": self.options.all_regions,
            "pairs": self._run.pairs,
            "scanned_pairs": list(self._run.pair_names),
            "fetch_plan": self.choice.plan.value,
            "fetch_plan_reason": self.choice.reason,
            "filters": self.options.filters.as_scope(),
            "shard": str(self.options.shard) if self.options.shard else None,
            "pairs_in_other_shards": self._run.pairs_skipped_by_shard,
            "cache": str(self.options.cache_path) if self.options.cache_path else None,
            "cache_hits": self._cache_hits,
            "endpoint_url": self.options.settings.endpoint_url,
        }

    def _all_notes(self) -> tuple[Note, ...]:
        with self._notes_lock:
            notes = list(self._notes)
        retries = self._counter.retries()
        if retries:
            shown = ", ".join(f"{op} {n}" for op, n in retries.items())
            notes.append(Note(f"throttling or transient errors absorbed by retries: {shown}"))
        return tuple(notes)

    def _note(self, note: Note | str) -> None:
        with self._notes_lock:
            self._notes.append(note if isinstance(note, Note) else Note(note))

    def _pairs(self, base: boto3.Session, home: str, problems: list[Problem]) -> list[Pair]:
        """Resolve accounts and regions into clients, in this thread, before any fan-out."""
        factory = self._factory
        try:
            identity = factory.client(base, "sts", home).get_caller_identity()
        except AWS_ERRORS as exc:
            problems.append(
                Problem("aws", _describe_error("sts:GetCallerIdentity", exc), kind="aws")
            )
            return []
        caller = str(identity["Account"])
        partition = base.get_partition_for_region(home)
        specs = list(self.options.accounts) or [AccountSpec(None)]
        if self.options.org:
            ids, error = org_accounts(base, factory, home)
            if error:
                problems.append(Problem("aws:org", error, kind="aws"))
            name = self.options.org_role_name
            ext = self.options.external_id
            specs = [
                AccountSpec(caller)
                if i == caller  # the management account has no OrganizationAccountAccessRole
                else AccountSpec(i, role_arn(partition, i, name), ext)
                for i in ids
            ]
        resolution = assume(base, factory, specs, caller, home)
        problems.extend(Problem(src, msg, kind="aws") for src, msg in resolution.problems)
        pairs: list[Pair] = []
        for account in resolution.accounts:
            self._run.sessions[account.account_id] = account.session
            for region in self._account_regions(account, home, problems):
                shard = self.options.shard
                if shard is not None and not shard.keeps(account.account_id, region):
                    self._run.pairs_skipped_by_shard += 1
                    continue
                client = factory.client(account.session, "sagemaker", region, account.account_id)
                pairs.append(Pair(account.account_id, region, client))
        self._run.accounts = sorted({p.account_id for p in pairs})
        self._run.regions = {p.region for p in pairs}
        self._run.pairs = len(pairs)
        self._run.pair_names = [f"{p.account_id}/{p.region}" for p in pairs]
        return pairs

    def _account_regions(
        self, account: Account, home: str, problems: list[Problem]
    ) -> tuple[str, ...]:
        if account.regions:
            return account.regions
        if not self.options.all_regions:
            return self.options.regions or (home,)
        regions, error = enabled_regions(account.session, self._factory, home)
        if error:
            self._note(Note(f"{error}; scanning every SageMaker region", f"aws:{account.account_id}"))
        return tuple(regions)

    def _open_cache(self) -> Cache | None:
        path = self.options.cache_path
        if path is None:
            return None
        if not self.choice.plan.describes:
            self._note("cache unused: the search plan makes no DescribeTrainingJob calls")
            return None
        cache = Cache(path)
        for text in cache.notes:
            self._note(text)
        return cache

    def _scan(self, pairs: list[Pair], cache: Cache | None) -> Iterator[SourceItem]:
        results: queue.Queue[Any] = queue.Queue()
        settings = self.options.settings
        stop = threading.Event()  # set when the consumer stops early: workers wind down
        for pair in pairs:
            self.progress.start(pair.scope)

        def emit(item: SourceItem) -> None:
            if stop.is_set():
                raise _Stopped
            results.put(item)

        def work(pair: Pair) -> None:
            try:
                PairScan(
                    pair,
                    self.choice.plan,
                    self.options.filters,
                    describers,
                    cache,
                    self.progress,
                    emit,
                    self._note,
                ).run()
            except _Stopped:
                pass
            except BaseException as exc:  # a bug, not an AWS error: re-raised in items()
                results.put(exc)
            finally:
                self.progress.finish(pair.scope)
                results.put(_DONE)

        describers = ThreadPoolExecutor(settings.concurrency, "smscan-describe")
        lanes = ThreadPoolExecutor(min(len(pairs), settings.concurrency), "smscan-pair")
        try:
            for pair in pairs:
                lanes.submit(work, pair)
            remaining = len(pairs)
            while remaining:
                item = results.get()
                if item is _DONE:
                    remaining -= 1
                    if cache is not None:
                        cache.flush()
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item
        finally:
            stop.set()
            describers.shutdown(wait=True, cancel_futures=True)
            lanes.shutdown(wait=True, cancel_futures=True)


class _Stopped(Exception):
    """Raised inside a worker when items() was closed before the scan finished."""
