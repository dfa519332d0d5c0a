"""Building the scan's sources from the command line: arguments -> options values -> Sources.

The only place that reads the source options of `smscan scan` (request-file PATHs,
--sdk-config, --input, --max-input-bytes, --max-depth, --aws and its options). Each source gets a
frozen options value; a limit the user did not set keeps the source's own default,
since records and request files have different ones.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING, Any

from smscan.errors import UsageError
from smscan.sources.interface import Source

if TYPE_CHECKING:
    from smscan.cli.progress import Progress
    from smscan.policy.model import Policy


def build_sources(args: argparse.Namespace, policies: list[Policy], progress: Progress) -> list[Source]:
    sources: list[Source] = []
    if args.paths:
        from smscan.sources.requests.source import RequestFileSource, RequestOptions

        options = RequestOptions(tuple(args.paths), sdk_config=args.sdk_config)
        sources.append(RequestFileSource(_limited(options, args)))
    if args.input:
        from smscan.engine import fields_needed
        from smscan.sources.files import FileOptions, FileSource

        # Only the fields the policies read are coerced (record/normalize.py, lazy mode).
        records = FileOptions(tuple(args.input), read=fields_needed(policies))
        sources.append(FileSource(_limited(records, args)))
    if getattr(args, "aws", False):
        from smscan.cli.aws_options import aws_options
        from smscan.engine import fields_of_policies
        from smscan.policy.scope import expensive_scope
        from smscan.sources.aws.plans import describe_only_fields
        from smscan.sources.aws.source import AwsSource

        # Describe only the jobs some policy reading a describe-only field applies to.
        scope = expensive_scope(policies, describe_only_fields())
        sources.append(
            AwsSource(aws_options(args), fields_of_policies(policies), progress, describe_scope=scope)
        )
    if not sources:
        raise UsageError("nothing to scan: give request-file PATHs, --input PATH (records; - for stdin) or --aws")
    return sources


def _limited(options: Any, args: argparse.Namespace) -> Any:
    """`options` with the limits the user set on the command line."""
    limits = {"max_file_bytes": args.max_input_bytes, "max_depth": args.max_depth}
    return dataclasses.replace(options, **{k: v for k, v in limits.items() if v is not None})
