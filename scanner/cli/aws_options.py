"""The `scan --aws` command-line options, and turning parsed arguments into AwsOptions.

Values are checked here, before any AWS call: a bad --shard, an unreadable --accounts
file or an unknown --profile is a UsageError with one line naming the option. The
source itself (smscan.sources.aws) never sees argparse.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from smscan.errors import UsageError
from smscan.sources.aws.plans import ALL_STATUSES

if TYPE_CHECKING:
    from smscan.sources.aws.source import AwsOptions

DEFAULT_CONCURRENCY = 8
DEFAULT_MAX_ATTEMPTS = 10


def add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS (live scan)")
    add = group.add_argument
    add("--aws", action="store_true", help="scan training jobs through the AWS API")
    add("--profile", help="AWS profile (default: the usual credential chain)")
    add(
        "--region",
        action="append",
        default=[],
        metavar="REGION",
        help="region to scan (repeatable; default: the profile's region)",
    )
    add(
        "--all-regions",
        action="store_true",
        help="every region where SageMaker is available and enabled for the account",
    )
    add("--endpoint-url", help="send AWS calls here (moto's server, LocalStack)")
    add(
        "--status",
        action="append",
        default=[],
        choices=ALL_STATUSES,
        help="only jobs in this status (repeatable; default: all statuses)",
    )
    add(
        "--created-after",
        "--since",
        dest="created_after",
        metavar="WHEN",
        help="only jobs created at or after WHEN: ISO date/time, or an age like 7d or 12h",
    )
    add("--name-contains", metavar="TEXT", help="only jobs whose name contains TEXT")
    add(
        "--fetch",
        choices=("auto", "search", "describe"),
        default="auto",
        help="fetch plan (default auto: Search alone unless a policy reads a describe-only field)",
    )
    add(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"parallel API calls (default {DEFAULT_CONCURRENCY})",
    )
    add(
        "--max-attempts",
        type=int,
        default=DEFAULT_MAX_ATTEMPTS,
        metavar="N",
        help=f"attempts per call, adaptive retry mode (default {DEFAULT_MAX_ATTEMPTS})",
    )
    add(
        "--role-arn",
        action="append",
        default=[],
        metavar="ARN",
        help="assume this role and scan its account (repeatable)",
    )
    add("--accounts", metavar="FILE", help="YAML list of accounts to scan (see docs/AWS.md)")
    add("--org", action="store_true", help="scan every ACTIVE account of the AWS Organization")
    add(
        "--org-role-name",
        default="OrganizationAccountAccessRole",
        metavar="NAME",
        help="role assumed in each organization account",
    )
    add("--external-id", help="ExternalId for --role-arn and --org assume-role calls")
    add("--shard", metavar="K/N", help="scan only shard K of N of the (account, region) pairs")
    add("--cache", metavar="PATH", help="SQLite cache of finished jobs for incremental scans")


def aws_options(args: argparse.Namespace) -> AwsOptions:
    # boto3 is a third of a second of imports: only a scan that uses AWS pays for it.
    import boto3
    import botocore.exceptions

    from smscan.sources.aws.accounts import AccountSpec, Shard, load_accounts_file, role_arn_account
    from smscan.sources.aws.fetch import FetchSettings
    from smscan.sources.aws.plans import Filters
    from smscan.sources.aws.source import AwsOptions

    concurrency = _positive(args.concurrency, "--concurrency", 256)
    attempts = _positive(args.max_attempts, "--max-attempts", 100)
    if args.profile:
        try:
            boto3.Session(profile_name=args.profile)
        except botocore.exceptions.ProfileNotFound as exc:
            raise UsageError(f"--profile {args.profile}: no such profile") from exc
    modes = [
        m
        for m, on in (
            ("--role-arn", bool(args.role_arn)),
            ("--accounts", bool(args.accounts)),
            ("--org", args.org),
        )
        if on
    ]
    if len(modes) > 1:
        raise UsageError(f"{' and '.join(modes)} cannot be combined: pick one way to list accounts")
    accounts: list[AccountSpec] = []
    for arn in args.role_arn:
        accounts.append(AccountSpec(role_arn_account(arn), arn, args.external_id))
    if args.accounts:
        accounts = load_accounts_file(Path(args.accounts))
    if args.all_regions and args.region:
        raise UsageError("--region and --all-regions cannot be combined")
    return AwsOptions(
        profile=args.profile,
        regions=tuple(dict.fromkeys(args.region)),
        all_regions=args.all_regions,
        filters=Filters(
            statuses=tuple(dict.fromkeys(args.status)),
            created_after=parse_when(args.created_after) if args.created_after else None,
            name_contains=args.name_contains or None,
        ),
        fetch=args.fetch,
        settings=FetchSettings(
            endpoint_url=args.endpoint_url or None, max_attempts=attempts, concurrency=concurrency
        ),
        accounts=tuple(accounts),
        org=args.org,
        org_role_name=args.org_role_name,
        external_id=args.external_id,
        shard=Shard.parse(args.shard) if args.shard else None,
        cache_path=Path(args.cache) if args.cache else None,
    )


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """ISO date or date-time (UTC unless it says otherwise), or an age: 30m, 12h, 7d, 2w."""
    text = text.strip()
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    if len(text) > 1 and text[-1] in units and text[:-1].isdigit():
        now = now or datetime.now(timezone.utc)
        return now - timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--created-after {text!r}: expected an ISO date like 2026-01-31 or an age like 7d"
        ) from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _positive(value: int, option: str, ceiling: int) -> int:
    if not 1 <= value <= ceiling:
        raise UsageError(f"{option} {value}: expected a number from 1 to {ceiling}")
    return value
