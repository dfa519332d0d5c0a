"""boto3 plumbing for the AWS source: client settings, API-call counting, error wording.

Every client the source creates goes through `ClientFactory.client`, so every one has
adaptive retries, bounded timeouts and the counting hooks. Counting uses botocore's
event hooks: `before-call` fires once per operation (retries are not new calls) and
`after-call` carries `RetryAttempts`, which is how throttling that was absorbed shows up.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config
from botocore.parsers import ResponseParserError

from .answers import check_answer, unreadable_reason

log = logging.getLogger("smscan.aws")

ClientHook = Callable[[Any, str, str], None]  # (client, account_id, region): tests inject faults

NOT_FOUND_CODES = frozenset({"ResourceNotFound", "ResourceNotFoundException"})


@dataclass(frozen=True)
class FetchSettings:
    endpoint_url: str | None = None
    max_attempts: int = 10
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    concurrency: int = 8

    def config(self) -> Config:
        return Config(
            # total_max_attempts counts the first try; botocore's max_attempts key does not.
            retries={"mode": "adaptive", "total_max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            # Describe workers share one client per (account, region): give each a connection.
            max_pool_connections=max(10, self.concurrency + 2),
        )


class ApiCounter:
    """Thread-safe tallies of operations called and retry attempts botocore made."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._retries: Counter[str] = Counter()

    def attach(self, client: Any) -> None:
        # register_first: a Stubber or moto answering in before-call/before-send must not hide
        # the call from the count.
        client.meta.events.register_first("before-call.*.*", self._before_call)
        client.meta.events.register_first("after-call.*.*", self._after_call)

    def _before_call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self._calls[model.name] += 1
        log.debug("call %s", model.name)

    def _after_call(self, model: Any, parsed: Mapping[str, Any] | None = None, **_: Any) -> None:
        attempts = int(((parsed or {}).get("ResponseMetadata") or {}).get("RetryAttempts") or 0)
        if attempts:
            with self._lock:
                self._retries[model.name] += attempts
            log.debug("%s retried %d time(s)", model.name, attempts)

    def calls(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._calls.items()))

    def retries(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._retries.items()))


class ClientFactory:
    """Creates clients from a session, in the calling thread (sessions are not thread-safe)."""

    def __init__(
        self, settings: FetchSettings, counter: ApiCounter, hook: ClientHook | None = None
    ) -> None:
        self.settings = settings
        self.counter = counter
        self.hook = hook
        self._config = settings.config()

    def client(self, session: boto3.Session, service: str, region: str, account: str = "") -> Any:
        client = session.client(
            service,
            region_name=region,
            endpoint_url=self.settings.endpoint_url,
            config=self._config,
        )
        self.counter.attach(client)
        client.meta.events.register_first("before-parse.*.*", check_answer)
        if self.hook is not None:
            self.hook(client, account, region)
        return client


def paginate(client: Any, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Pages of `operation`, following NextToken by hand (Search has no boto3 paginator
    in every version, and one loop for all keeps the call counting obvious)."""
    token: str | None = None
    while True:
        page = getattr(client, operation)(**params, **({"NextToken": token} if token else {}))
        yield page
        token = page.get("NextToken")
        if not token:
            return


def error_code(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def is_not_found(exc: BaseException) -> bool:
    """DescribeTrainingJob on a deleted job answers ValidationException 'not found' on AWS
    (and moto); other SageMaker operations use ResourceNotFound."""
    if not isinstance(exc, botocore.exceptions.ClientError):
        return False
    code = error_code(exc)
    text = str(exc.response.get("Error", {}).get("Message") or "").lower()
    return code in NOT_FOUND_CODES or (
        code == "ValidationException" and ("not found" in text or "could not find" in text)
    )


def describe_error(operation: str, exc: BaseException) -> str:
    """One line naming the operation, the error code and, for throttling, the attempts made.

    AWS error messages name ARNs and actions, never credentials; they are cut short anyway.
    """
    if isinstance(exc, botocore.exceptions.ClientError):
        code = error_code(exc)
        attempts = int(exc.response.get("ResponseMetadata", {}).get("RetryAttempts") or 0) + 1
        message = str(exc.response.get("Error", {}).get("Message") or "").strip()
        if len(message) > 200:
            message = message[:197] + "..."
        if attempts > 1:
            return f"{operation}: {code} after {attempts} attempts" + (
                f": {message}" if message else ""
            )
        return f"{operation}: {code}" + (f": {message}" if message else "")
    if isinstance(
        exc, botocore.exceptions.ConnectTimeoutError | botocore.exceptions.ReadTimeoutError
    ):
        return f"{operation}: timeout ({type(exc).__name__})"
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return f"{operation}: cannot connect to the endpoint (EndpointConnectionError)"
    if isinstance(exc, ResponseParserError):
        return f"{operation}: unreadable answer ({unreadable_reason(exc)})"
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return f"{operation}: no AWS credentials found (env, --profile or instance role)"
    return f"{operation}: {type(exc).__name__}"


# What a per-job or per-region call may raise that the scan survives; anything else is a bug.
AWS_ERRORS: tuple[type[BaseException], ...] = (
    botocore.exceptions.BotoCoreError,
    botocore.exceptions.ClientError,
    ResponseParserError,  # a proxy's page, a cut body: botocore does not make it a BotoCoreError
)
