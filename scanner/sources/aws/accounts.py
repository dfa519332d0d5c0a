"""Which (account, region) pairs a scan covers, and the credentials for each account.

Accounts come from the default credential chain, `--role-arn`, an `--accounts` file or
an AWS Organization (`--org`). `--shard K/N` keeps the pairs whose stable hash falls in
shard K: the same pair lands in the same shard on every machine whatever else is listed,
so no pair is scanned twice or skipped when shards see slightly different account lists.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml

from smscan.errors import UsageError

from .fetch import AWS_ERRORS, ClientFactory, describe_error, paginate

ACCOUNT_RE = re.compile(r"^\d{12}$")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+$")


@dataclass(frozen=True)
class AccountSpec:
    """One account to scan; role_arn None means the caller's own credentials."""

    account_id: str | None
    role_arn: str | None = None
    external_id: str | None = None
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Account:
    account_id: str
    session: boto3.Session
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match:
            raise UsageError(f"--shard {text!r}: expected K/N, e.g. 2/4")
        index, count = int(match[1]), int(match[2])
        if count < 1 or not 1 <= index <= count:
            raise UsageError(f"--shard {text}: K must be between 1 and N (N >= 1)")
        return cls(index, count)

    def keeps(self, account_id: str, region: str) -> bool:
        digest = hashlib.sha256(f"{account_id}/{region}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def role_arn_account(arn: str) -> str:
    match = ROLE_ARN_RE.match(arn)
    if not match:
        raise UsageError(f"--role-arn {arn!r}: expected arn:aws:iam::ACCOUNT_ID:role/NAME")
    return match[1]


def role_arn(partition: str, account_id: str, role_name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


class _DigitsAsText(yaml.SafeLoader):
    """YAML 1.1 reads an unquoted 012345678901 as an int (or octal!): keep digits as text."""


_DigitsAsText.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _account_id(value: Any, where: str) -> str:
    text = value
    if not isinstance(text, str) or not ACCOUNT_RE.match(text):
        raise UsageError(f"{where}: account id should be 12 digits")
    return text


def _regions(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(r, str) and r for r in value):
        raise UsageError(f"{where}: regions should be a list of region names")
    return tuple(value)


def load_accounts_file(path: Path, partition: str = "aws") -> list[AccountSpec]:
    """Parse the --accounts YAML file (format in docs/AWS.md); errors name file and entry."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_DigitsAsText)  # noqa: S506
    except OSError as exc:
        raise UsageError(f"--accounts {path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"--accounts {path}: invalid YAML: {str(exc).splitlines()[0]}") from exc
    if isinstance(doc, list):
        doc = {"accounts": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("accounts"), list):
        raise UsageError(f"--accounts {path}: expected a mapping with an `accounts` list")
    unknown = set(doc) - {"accounts", "role_name", "external_id", "regions"}
    if unknown:
        raise UsageError(f"--accounts {path}: unknown key {sorted(unknown)[0]!r}")
    default_role = doc.get("role_name")
    default_external = doc.get("external_id")
    default_regions = _regions(doc.get("regions"), f"--accounts {path}")
    specs = []
    for i, entry in enumerate(doc["accounts"], 1):
        where = f"--accounts {path}: entry {i}"
        if not isinstance(entry, dict):
            entry = {"id": entry}
        extra = set(entry) - {"id", "role_name", "external_id", "regions"}
        if extra:
            raise UsageError(f"{where}: unknown key {sorted(extra)[0]!r}")
        account = _account_id(entry.get("id"), where)
        name = entry.get("role_name", default_role)
        if not isinstance(name, str) or not name:
            raise UsageError(f"{where}: role_name is required (per entry or at the top)")
        external = entry.get("external_id", default_external)
        if external is not None and not isinstance(external, str):
            raise UsageError(f"{where}: external_id should be a string")
        regions = _regions(entry.get("regions"), where) or default_regions
        specs.append(AccountSpec(account, role_arn(partition, account, name), external, regions))
    if not specs:
        raise UsageError(f"--accounts {path}: the accounts list is empty")
    return specs


@dataclass
class Resolution:
    accounts: list[Account] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (source, message)


def org_accounts(
    session: boto3.Session, factory: ClientFactory, region: str
) -> tuple[list[str], str | None]:
    """ACTIVE member accounts of the caller's organization, or an error message."""
    client = factory.client(session, "organizations", region)
    ids: list[str] = []
    try:
        for page in paginate(client, "list_accounts"):
            for account in page.get("Accounts", []):
                state = account.get("State") or account.get("Status")
                if state == "ACTIVE":
                    ids.append(str(account["Id"]))
    except AWS_ERRORS as exc:
        return ids, describe_error("organizations:ListAccounts", exc)
    return sorted(set(ids)), None


def assume(
    base: boto3.Session,
    factory: ClientFactory,
    specs: Sequence[AccountSpec],
    caller_account: str,
    region: str,
) -> Resolution:
    """Sessions for each spec: the caller's own for role-less specs, else an assumed role."""
    result = Resolution()
    sts = factory.client(base, "sts", region)
    seen: set[str] = set()
    for spec in specs:
        account_id = spec.account_id or caller_account
        if account_id in seen:
            continue
        seen.add(account_id)
        if spec.role_arn is None:
            result.accounts.append(Account(account_id, base, spec.regions))
            continue
        params: dict[str, Any] = {"RoleArn": spec.role_arn, "RoleSessionName": "smscan"}
        if spec.external_id:
            params["ExternalId"] = spec.external_id
        try:
            creds = sts.assume_role(**params)["Credentials"]
        except AWS_ERRORS as exc:
            result.problems.append((f"aws:{account_id}", describe_error("sts:AssumeRole", exc)))
            continue
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=region,
        )
        result.accounts.append(Account(account_id, session, spec.regions))
    return result


def enabled_regions(
    session: boto3.Session, factory: ClientFactory, region: str
) -> tuple[list[str], str | None]:
    """Regions where SageMaker exists (botocore's endpoint data) and the account has enabled
    (EC2 DescribeRegions lists only enabled ones); botocore's list alone if EC2 refuses."""
    partition = session.get_partition_for_region(region)
    known = set(session.get_available_regions("sagemaker", partition_name=partition))
    try:
        answer = factory.client(session, "ec2", region).describe_regions()
    except AWS_ERRORS as exc:
        return sorted(known), describe_error("ec2:DescribeRegions", exc)
    enabled = {r["RegionName"] for r in answer.get("Regions", [])}
    return sorted(known & enabled), None
