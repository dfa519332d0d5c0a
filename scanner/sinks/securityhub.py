"""The Security Hub sink: send a scan's findings with BatchImportFindings, and keep them current.

Per (account, region), with that account's own credentials (Security Hub accepts a finding
from the default product only from the account it names):

1. GetFindings: the active smscan findings already there (filtered on the service side by
   product, account, region and Id prefix, and again here: an aggregation region also
   returns other regions' findings);
2. BatchImportFindings: batches of at most 100 findings and 6 MB, at most `rate` calls a
   second (Security Hub allows 10 a second per account and region, burst 30; GetFindings 3); throttling is
   retried by the client's adaptive retry mode; every FailedFindings entry and every batch
   that still fails is counted and reported;
3. BatchUpdateFindings: suppression (Workflow SUPPRESSED and a Note with the waiver's
   reason) for waived findings, the documented way to set customer-side fields.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions

from smscan.models import ScanResult

from . import asff
from .interface import SinkResult
from .lifecycle import Plan, Suppression, plan_sync

ClientFor = Callable[[str, str], Any]  # (account id, region) -> a securityhub client
UPDATE_BATCH = 100  # BatchUpdateFindings: at most 100 FindingIdentifiers a call
# Security Hub's throttling limits per account and region (API Reference, "Welcome"):
# BatchImportFindings and BatchUpdateFindings 10 a second (burst 30), GetFindings 3 (burst 6).
GET_FINDINGS_RATE = 3.0
AWS_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


class RateLimit:
    """At most `per_second` calls, spaced evenly; time is injectable so tests need no sleep."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second
        self.clock, self.sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            if now < self._next:
                self.sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


@dataclass
class _Tally:
    created: int = 0
    updated: int = 0
    archived: int = 0
    suppressed: int = 0
    failed: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class SecurityHubSink:
    name = "Security Hub"

    def __init__(
        self,
        client_for: ClientFor,
        *,
        only_failed: bool = False,
        rate: float = 10.0,
        generated_at: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client_for = client_for
        self.only_failed = only_failed
        self.rate = rate
        self.generated_at = generated_at
        self.sleep = sleep

    def send(self, result: ScanResult, seen: Collection[str]) -> SinkResult:
        tally = _Tally()
        generated_at = self.generated_at or result.meta.finished_at
        for (account, region), findings in sorted(_by_pair(result).items()):
            where = f"{account}/{region}"
            try:
                client = self.client_for(account, region)
                # read even with only_failed: a rescan then updates (and keeps CreatedAt)
                existing = list(self._existing(client, account, region))
            except AWS_ERRORS as exc:
                sendable = sum(1 for f in findings if f.status.value in asff.SENT_STATUSES)
                tally.failed += sendable
                hint = ""
                if _code(exc) == "InvalidAccessException":  # the account has not enabled Security Hub there
                    hint = "; enable Security Hub in this account and region, or leave the region out of the scan"
                tally.problems.append(f"{where}: securityhub:GetFindings failed ({_why(exc)}); {sendable} finding(s) not sent{hint}")
                continue
            plan = plan_sync(
                result, seen, existing, generated_at=generated_at, only_failed=self.only_failed, findings=findings
            )
            tally.skipped += plan.skipped
            tally.notes.extend(f"{where}: {n}" for n in plan.notes)
            not_sent = self._import(client, where, plan, tally)
            self._suppress(client, where, [s for s in plan.suppressions if s.finding_id not in not_sent], tally)
        tally.skipped += sum(1 for f in result.findings if f.status.value in asff.SENT_STATUSES and not asff.can_send(f))
        return SinkResult(
            name=self.name, created=tally.created, updated=tally.updated, archived=tally.archived,
            suppressed=tally.suppressed, failed=tally.failed, skipped=tally.skipped,
            problems=tuple(tally.problems), notes=tuple(dict.fromkeys(tally.notes)),
        )

    # -- the three calls ----------------------------------------------------------------

    def _existing(self, client: Any, account: str, region: str) -> Iterator[dict[str, Any]]:
        arn = asff.product_arn(account, region)
        filters = {
            "ProductArn": [{"Value": arn, "Comparison": "EQUALS"}],
            "AwsAccountId": [{"Value": account, "Comparison": "EQUALS"}],
            "Region": [{"Value": region, "Comparison": "EQUALS"}],
            "Id": [{"Value": asff.ID_PREFIX, "Comparison": "PREFIX"}],
            "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
        }
        limit = RateLimit(min(self.rate, GET_FINDINGS_RATE), sleep=self.sleep)
        token: str | None = None
        while True:
            limit.wait()
            page = client.get_findings(Filters=filters, MaxResults=100, **({"NextToken": token} if token else {}))
            for doc in page.get("Findings", []):
                if (doc.get("ProductArn"), doc.get("AwsAccountId"), doc.get("Region")) == (arn, account, region):
                    yield doc
            token = page.get("NextToken")
            if not token:
                return

    def _import(self, client: Any, where: str, plan: Plan, tally: _Tally) -> set[str]:
        """Send the plan's findings; return the Ids Security Hub did not take."""
        limit = RateLimit(self.rate, sleep=self.sleep)
        docs = []
        not_sent: set[str] = set()
        for doc in plan.imports:
            if asff.size_of(doc) > asff.FINDING_MAX_BYTES:
                tally.failed += 1
                not_sent.add(str(doc["Id"]))
                tally.problems.append(f"{where}: {doc['Id']}: over Security Hub's 240 KB a finding; not sent")
            else:
                docs.append(doc)
        for batch in asff.batches(docs):
            limit.wait()
            try:
                answer = client.batch_import_findings(Findings=batch)
            except AWS_ERRORS as exc:
                tally.failed += len(batch)
                not_sent.update(str(d["Id"]) for d in batch)
                tally.problems.append(f"{where}: securityhub:BatchImportFindings failed ({_why(exc)}); {len(batch)} finding(s) not sent")
                continue
            failed = {str(f.get("Id")): f for f in answer.get("FailedFindings", [])}
            for f in failed.values():
                tally.problems.append(f"{where}: {f.get('Id')}: {f.get('ErrorCode')}: {f.get('ErrorMessage')}")
            tally.failed += len(failed)
            not_sent.update(failed)
            for doc in batch:
                if str(doc["Id"]) not in failed:
                    kind = plan.kinds.get(str(doc["Id"]), "updated")
                    setattr(tally, kind, getattr(tally, kind) + 1)
        return not_sent

    def _suppress(self, client: Any, where: str, suppressions: list[Suppression], tally: _Tally) -> None:
        groups: dict[tuple[str, str], list[Suppression]] = defaultdict(list)
        for s in suppressions:
            groups[(s.workflow, s.note)].append(s)
        limit = RateLimit(self.rate, sleep=self.sleep)
        for (workflow, note), items in sorted(groups.items()):
            for start in range(0, len(items), UPDATE_BATCH):
                chunk = items[start : start + UPDATE_BATCH]
                limit.wait()
                try:
                    answer = client.batch_update_findings(
                        FindingIdentifiers=[{"Id": s.finding_id, "ProductArn": s.product_arn} for s in chunk],
                        Workflow={"Status": workflow},
                        Note={"Text": note, "UpdatedBy": "smscan"},
                    )
                except AWS_ERRORS as exc:
                    tally.failed += len(chunk)
                    tally.problems.append(f"{where}: securityhub:BatchUpdateFindings failed ({_why(exc)}); {len(chunk)} finding(s) not suppressed")
                    continue
                unprocessed = answer.get("UnprocessedFindings", [])
                for u in unprocessed:
                    ident = (u.get("FindingIdentifier") or {}).get("Id")
                    tally.problems.append(f"{where}: {ident}: {u.get('ErrorCode')}: {u.get('ErrorMessage')}")
                tally.failed += len(unprocessed)
                if workflow == "SUPPRESSED":
                    tally.suppressed += len(chunk) - len(unprocessed)


def _by_pair(result: ScanResult) -> dict[tuple[str, str], list[Any]]:
    """Findings per (account, region), and every scanned pair, even one with no finding left:
    its old findings may need archiving."""
    pairs: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for name in result.meta.scope.get("scanned_pairs") or ():
        account, _, region = str(name).partition("/")
        pairs[(account, region)]
    for f in result.findings:
        if asff.can_send(f):
            pairs[(f.resource.account_id, f.resource.region)].append(f)
    return pairs


def _code(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def _why(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return type(exc).__name__
