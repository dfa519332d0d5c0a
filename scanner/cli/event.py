"""`smscan event FILE|-`: judge EventBridge / CloudTrail events as a scan would, then act.

Offline by default: the events are judged on what they carry (a field they lack is noted).
`--aws` describes a job whose event lacks a field a policy reads; `--act` runs the actions
of smscan.yaml (each dry-run unless it says `dry_run: false`). Same policies, config,
params, waivers, formats and exit codes as `smscan scan`; an action that failed makes the
run incomplete (exit 3).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from smscan.cli.config import FAIL_ON_CHOICES, load_config, merge_params
from smscan.cli.gate import Gate, add_gate_arguments
from smscan.cli.scan import (
    _add_output_arguments,
    _formats,
    _report,
    byte_size,
    positive_int,
    select_policies,
    split_list,
)
from smscan.errors import EXIT_INCOMPLETE


def add_event_command(sub: Any) -> None:
    p = sub.add_parser("event", help="judge EventBridge / CloudTrail events of training jobs, then act on them")
    p.add_argument("events", nargs="+", metavar="FILE",
                   help="an event, a JSON array of events or JSONL (- for stdin): 'SageMaker Training Job State "
                        "Change', 'AWS API Call via CloudTrail' or CloudTrail CreateTrainingJob records")
    p.add_argument("--policies", "-p", action="append", default=[], metavar="PATH",
                   help="policy file or directory (repeatable; 'builtin' = the built-in pack, the default)")
    p.add_argument("--select", action="append", default=[], metavar="IDS", help="only these policy ids or severities")
    p.add_argument("--skip", action="append", default=[], metavar="IDS", help="skip these policy ids or severities")
    p.add_argument("--param", action="append", default=[], metavar="ID.NAME=VALUE", help="override a policy param")
    p.add_argument("--config", metavar="FILE", help="settings file, with its event: and actions: (default ./smscan.yaml)")
    p.add_argument("--fail-on", choices=FAIL_ON_CHOICES, help="exit 1 when a FAIL is at or above this severity (default high)")
    p.add_argument("--max-input-bytes", type=byte_size, metavar="SIZE", help="largest event file / JSONL line read")
    p.add_argument("--max-depth", type=positive_int, metavar="N", help="deepest JSON nesting accepted (default 200)")
    aws = p.add_argument_group("AWS (enrichment and actions)")
    aws.add_argument("--aws", action="store_true",
                     help="describe / ListTags a job when a policy reads a field its event lacks; needed by live actions")
    aws.add_argument("--act", action="store_true", help="run the actions configured in smscan.yaml (docs/EVENTS.md)")
    aws.add_argument("--profile", help="AWS profile (default: the usual credential chain)")
    aws.add_argument("--endpoint-url", help="send AWS calls here (moto's server, LocalStack)")
    p.add_argument("--allow-partial", action="store_true", help="exit 0/1 even if some event could not be judged")
    _add_output_arguments(p)
    add_gate_arguments(p)
    p.set_defaults(handler=run_event_command)


def run_event_command(args: argparse.Namespace) -> int:
    from smscan.cli.output import check_writable, plan_targets
    from smscan.events.run import Prepared, hub_sender, judge
    from smscan.policy.loader import load_policies

    config = load_config(args.config)
    loaded = load_policies(args.policies or config.policies, merge_params(config.params, args.param))
    policies = select_policies(loaded, split_list(args.select) or config.select, split_list(args.skip) or config.skip)
    gate = Gate.prepare(args, config.waivers, [p.id for p in loaded])
    targets = plan_targets(_formats(args, config), args.output_dir or config.output_dir, args.output)
    check_writable(targets)
    if args.act:
        config.events.check_ready()
    fail_on = args.fail_on or config.fail_on or "high"
    prepared = Prepared(config, policies, gate.waivers, config.events, fail_on, args.include_passed or config.include_passed)
    client_for, counter = _clients(args) if args.aws else (None, None)
    limits = {k: v for k, v in {"max_file_bytes": args.max_input_bytes, "max_depth": args.max_depth}.items() if v}
    hub = hub_sender(client_for) if client_for is not None else None
    run = judge(prepared, paths=args.events, client_for=client_for, counter=counter, act=args.act, hub=hub, limits=limits)
    result = gate.finish(run.result)
    fail_on_unknown = args.fail_on_unknown or config.fail_on_unknown or "never"
    code = _report(result, args, targets, gate.options(fail_on, fail_on_unknown, args.allow_partial))
    if run.outcomes and not args.quiet:
        sys.stderr.write("actions:\n" + "".join(f"  {o.action} {o.outcome}: {o.job}: {o.detail}\n" for o in run.outcomes))
    failed = [o for o in run.outcomes if o.outcome == "error"]
    if failed:
        sys.stderr.write(f"smscan: {len(failed)} action(s) failed\n")
        return max(code, EXIT_INCOMPLETE)
    return code


def _clients(args: argparse.Namespace) -> tuple[Any, Any]:
    import boto3

    from smscan.sources.aws.fetch import ApiCounter, ClientFactory, FetchSettings

    counter = ApiCounter()
    factory = ClientFactory(FetchSettings(endpoint_url=args.endpoint_url or None), counter)
    session = boto3.Session(profile_name=args.profile)
    made: dict[tuple[str, str], Any] = {}

    def client_for(service: str, region: str) -> Any:
        if (service, region) not in made:
            made[(service, region)] = factory.client(session, service, region or session.region_name or "us-east-1")
        return made[(service, region)]

    return client_for, counter
