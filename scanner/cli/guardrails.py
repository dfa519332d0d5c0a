"""`smscan guardrails`: write the Deny statements that keep non-compliant training jobs from starting.

The documents go to stdout (one document) or to --output-dir; the summary (sizes, and the
policies that are detect-only or left out) goes to stderr, so stdout stays pure JSON/HCL.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from smscan.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    from smscan.guardrails.render import Guardrails


def add_guardrails_command(sub: Any) -> None:
    from smscan.guardrails.render import FORMATS

    p = sub.add_parser("guardrails", help="write SCP / IAM guardrails that deny non-compliant CreateTrainingJob calls")
    p.add_argument("--policies", "-p", action="append", default=[], metavar="PATH",
                   help="policy file or directory (repeatable; 'builtin' = the built-in pack, the default)")
    p.add_argument("--select", action="append", default=[], metavar="IDS", help="only these policy ids (globs) or severities")
    p.add_argument("--skip", action="append", default=[], metavar="IDS", help="skip these policy ids or severities")
    p.add_argument("--param", action="append", default=[], metavar="ID.NAME=VALUE", help="override a policy param")
    p.add_argument("--config", metavar="FILE", help="settings file (default: ./smscan.yaml when present)")
    p.add_argument("--format", "-f", default="scp", choices=FORMATS, help="output format (default scp)")
    p.add_argument("--exempt-principal", action="append", default=[], metavar="ARN",
                   help="break-glass principal ARN (aws:PrincipalArn, * and ? allowed) the guardrails do not apply to")
    p.add_argument("--exempt-tag", action="append", default=[], metavar="KEY=VALUE",
                   help="principals tagged KEY=VALUE (aws:PrincipalTag) are exempt")
    p.add_argument("--boundary", action="store_true",
                   help="with --format iam: add an Allow-all statement so the document works as a permissions boundary")
    p.add_argument("--max-size", type=_positive, metavar="N",
                   help="characters per document, whitespace excluded (default 5120 for SCPs, 6144 for IAM)")
    p.add_argument("--output-dir", metavar="DIR", help="write the file(s) into DIR")
    p.add_argument("-o", "--output", metavar="FILE", help="write the one file to FILE ('-' for stdout, the default)")
    p.add_argument("--quiet", "-q", action="store_true", help="print no summary")
    p.set_defaults(handler=run_guardrails)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def run_guardrails(args: argparse.Namespace) -> int:
    from smscan.cli.config import load_config, merge_params
    from smscan.cli.output import Target, check_writable, emit
    from smscan.cli.scan import select_policies, split_list
    from smscan.guardrails.compile import Exemptions
    from smscan.guardrails.render import build, render
    from smscan.policy.loader import load_policies

    if args.output and args.output_dir:
        raise UsageError("give -o/--output or --output-dir, not both")
    exemptions = Exemptions.parse(args.exempt_principal, args.exempt_tag)
    config = load_config(args.config)
    loaded = load_policies(args.policies or config.policies, merge_params(config.params, args.param))
    policies = select_policies(loaded, split_list(args.select) or config.select, split_list(args.skip) or config.skip)
    guardrails = build(policies, args.format, exemptions, args.boundary, args.max_size)
    files = render(guardrails)
    if args.output_dir:
        targets = [Target(args.format, Path(args.output_dir) / name) for name, _ in files]
    elif len(files) > 1:
        raise UsageError(f"the guardrails need {len(files)} documents; write them with --output-dir DIR")
    else:
        targets = [Target(args.format, None if args.output in (None, "-") else Path(args.output))]
    check_writable(targets)
    written = [emit(target, _writer(text)) for target, (_, text) in zip(targets, files, strict=True)]
    if not args.quiet:
        _summary(guardrails, written)
    return EXIT_OK


def _writer(text: str) -> Callable[[TextIO], None]:
    def write(stream: TextIO) -> None:
        stream.write(text)

    return write


def _summary(guardrails: Guardrails, written: list[str]) -> None:
    from smscan.guardrails.render import sizes

    compiled, lengths = guardrails.compiled, sizes(guardrails)
    out = sys.stderr
    print(
        f"smscan: {len(compiled.statements)} Deny statement(s) from {len(compiled.preventable)} policies in "
        f"{len(lengths)} document(s) of {', '.join(f'{n:,}' for n in lengths)} characters "
        f"(limit {guardrails.limit:,}, whitespace excluded)",
        file=out,
    )
    for policy_id, reason in compiled.detect_only:
        print(f"smscan: detect-only: {policy_id}: {reason}", file=out)
    for policy_id, why in compiled.skipped:
        print(f"smscan: not generated: {policy_id}: {why}", file=out)
    for policy_id in compiled.unmapped:
        print(f"smscan: no prevent: section: {policy_id} (neither prevented nor declared detect-only)", file=out)
    for path in written:
        if path != "<stdout>":
            print(f"smscan: wrote {path}", file=out)
