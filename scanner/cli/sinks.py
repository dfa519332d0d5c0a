"""`scan --security-hub`: the sink options, checked before the scan, run after it."""

from __future__ import annotations

import argparse
from collections.abc import Collection, Sequence
from typing import Any

from smscan.errors import UsageError
from smscan.models import ScanResult
from smscan.sinks.interface import SinkResult


def add_sink_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sinks")
    group.add_argument(
        "--security-hub", action="store_true",
        help="send FAIL, ERROR, UNKNOWN and WAIVED findings of an --aws scan to AWS Security Hub "
             "(each account's with its own credentials); archive fixed ones (docs/INTEGRATIONS.md)",
    )
    group.add_argument(
        "--security-hub-only-failed", action="store_true",
        help="with --security-hub: send FAIL, ERROR and UNKNOWN findings only; suppress and archive nothing",
    )


def check_sink_arguments(args: argparse.Namespace) -> None:
    """Before any scanning: a sink that cannot run is a usage error, not a failed night."""
    wanted = getattr(args, "security_hub", False) or getattr(args, "security_hub_only_failed", False)
    if wanted and not getattr(args, "aws", False):
        raise UsageError("--security-hub sends findings of live AWS scans: add --aws")


def run_sinks(args: argparse.Namespace, result: ScanResult, seen: Collection[str], sources: Sequence[Any]) -> list[SinkResult]:
    if not (getattr(args, "security_hub", False) or getattr(args, "security_hub_only_failed", False)):
        return []
    from smscan.sinks.securityhub import SecurityHubSink
    from smscan.sources.aws.fetch import ApiCounter, ClientFactory, FetchSettings
    from smscan.sources.aws.source import AwsSource

    aws = next(s for s in sources if isinstance(s, AwsSource))
    factory = ClientFactory(
        FetchSettings(endpoint_url=getattr(args, "endpoint_url", None) or None, max_attempts=args.max_attempts),
        ApiCounter(),
    )
    clients: dict[tuple[str, str], Any] = {}

    def client_for(account: str, region: str) -> Any:
        if (account, region) not in clients:
            session = aws.session_for(account)
            if session is None:
                import boto3

                session = boto3.Session(profile_name=getattr(args, "profile", None))
            clients[(account, region)] = factory.client(session, "securityhub", region, account)
        return clients[(account, region)]

    sink = SecurityHubSink(client_for, only_failed=getattr(args, "security_hub_only_failed", False))
    return [sink.send(result, seen)]


def format_sink_results(results: Sequence[SinkResult], limit: int = 10) -> str:
    lines: list[str] = []
    for r in results:
        lines.append(f"  {r.summary()}")
        lines.extend(f"    note: {n}" for n in r.notes[:limit])
        if r.problems:
            lines.append(f"    {len(r.problems)} problem(s):")
            lines.extend(f"      {p}" for p in r.problems[:limit])
            if len(r.problems) > limit:
                lines.append(f"      ... and {len(r.problems) - limit} more")
    return "\n".join(lines) + "\n" if lines else ""


def finish_sinks(code: int, results: Sequence[SinkResult], quiet: bool) -> int:
    """Print what the sinks did; a finding that did not arrive makes the run incomplete (exit 3)."""
    import sys

    from smscan.errors import EXIT_INCOMPLETE

    if results and not quiet:
        sys.stderr.write(format_sink_results(results))
    if any(r.failed for r in results):
        if quiet:  # --quiet prints errors only, and this is one
            sys.stderr.write("".join(f"  {r.name}: {r.failed} finding(s) not delivered\n" for r in results if r.failed))
        return max(code, EXIT_INCOMPLETE)
    return code
