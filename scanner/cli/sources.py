"""Building the scan's sources from the command line: arguments -> options values -> Sources.

The only place that reads the source options of `smscan scan` (request-file PATHs,
--input, --max-input-bytes, --max-depth, --aws and its options). Each source gets a
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

        sources.append(RequestFileSource(_limited(RequestOptions(tuple(args.paths)), args)))
    if args.input:
        from smscan.sources.files import FileOptions, FileSource

        sources.append(FileSource(_limited(FileOptions(tuple(args.input)), args)))
    if getattr(args, "aws", False):
        from smscan.cli.aws_options import aws_options
        from smscan.engine import Engine
        from smscan.sources.aws.source import AwsSource

        sources.append(AwsSource(aws_options(args), Engine(policies).fields_read(), progress))
    if not sources:
        raise UsageError("nothing to scan: give request-file PATHs, --input PATH (records; - for stdin) or --aws")
    return sources


def _limited(options: Any, args: argparse.Namespace) -> Any:
    """`options` with the limits the user set on the command line."""
    limits = {"max_file_bytes": args.max_input_bytes, "max_depth": args.max_depth}
    return dataclasses.replace(options, **{k: v for k, v in limits.items() if v is not None})
