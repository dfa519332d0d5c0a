"""`smscan policy validate | list | test`: work on policy packs without scanning anything."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from smscan.cli.config import load_config, merge_params
from smscan.errors import EXIT_FAIL, EXIT_OK, UsageError
from smscan.models import Origin, Record, Status
from smscan.policy.model import Policy


def add_policy_commands(sub: Any) -> None:
    policy = sub.add_parser("policy", help="validate, list or test policy packs")
    actions = policy.add_subparsers(dest="policy_command", metavar="ACTION", parser_class=type(policy))
    for name, handler, text in (
        ("validate", run_validate, "load and check every policy; report every problem with FILE:LINE:COL"),
        ("list", run_list, "list policies: id, severity, guardrail or detect-only, title"),
        ("test", run_test, "run every policy's pass/fail examples and report disagreements"),
    ):
        p = actions.add_parser(name, help=text)
        p.add_argument("paths", nargs="*", metavar="PATH", help="policy files or directories (default: built-in pack)")
        p.add_argument("--param", action="append", default=[], metavar="ID.NAME=VALUE")
        p.add_argument("--config", metavar="FILE")
        # validate, list and show only read policy files; `test` runs the engine, which may log.
        p.set_defaults(handler=handler, logs=name == "test")
    show = actions.add_parser("show", help="print one policy: what it checks, params in force, frameworks, remediation, YAML")
    show.add_argument("policy_id", metavar="ID", help="a policy id from `smscan policy list`")
    show.add_argument("paths", nargs="*", metavar="PATH", help="policy files or directories (default: built-in pack)")
    show.add_argument("--param", action="append", default=[], metavar="ID.NAME=VALUE")
    show.add_argument("--config", metavar="FILE")
    show.set_defaults(handler=run_show, logs=False)
    policy.set_defaults(handler=lambda args: (policy.print_help(sys.stderr), 2)[1])


def _load(args: argparse.Namespace) -> list[Policy]:
    from smscan.policy.loader import load_policies

    config = load_config(args.config)
    return load_policies(args.paths or config.policies, merge_params(config.params, args.param))


def run_validate(args: argparse.Namespace) -> int:
    policies = _load(args)
    print(f"{len(policies)} policies valid")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    policies = _load(args)
    width = max((len(p.id) for p in policies), default=2)
    for p in policies:
        # Whether `smscan guardrails` can enforce the policy, too.
        prevent = "-" if p.prevent is None else "guardrail" if p.prevent.preventable else "detect-only"
        print(f"{p.id:<{width}}  {p.severity.value:<8}  {prevent:<11}  {p.info.title}")
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    from smscan.cli.policy_show import describe

    policies = _load(args)
    chosen = next((p for p in policies if p.id == args.policy_id), None)
    if chosen is None:
        import difflib

        close = difflib.get_close_matches(args.policy_id, [p.id for p in policies], n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else " (see `smscan policy list`)"
        raise UsageError(f"no policy {args.policy_id!r}{hint}")
    sys.stdout.write(describe(chosen))
    return EXIT_OK


def run_test(args: argparse.Namespace) -> int:
    from smscan.guardrails.check import check_prevention

    policies = _load(args)
    failures = example_failures(policies)
    total = sum(len(p.examples) for p in policies)
    for line in failures:
        print(line)
    missing = [p.id for p in policies if not {Status.PASS, Status.FAIL} <= {e.expected for e in p.examples}]
    for policy_id in missing:
        print(f"policy {policy_id}: needs at least one pass and one fail example")
    print(f"{total - len(failures)} of {total} examples agree across {len(policies)} policies")
    prevention = check_prevention(policies)
    for line in prevention.failures:
        print(line)
    print(
        f"guardrails: {prevention.examples - len(prevention.failures)} of {prevention.examples} examples "
        f"denied or allowed as expected across {prevention.policies} preventable policies"
    )
    return EXIT_FAIL if failures or missing or prevention.failures else EXIT_OK


def example_failures(policies: list[Policy]) -> list[str]:
    """One line per example whose status is not the one it declares."""
    from smscan.engine import Engine
    from smscan.policy.loader import load_policies

    failures = []
    for policy in policies:
        if policy.example_params:
            # Examples may need params the defaults leave empty (an allowlist, say).
            [policy] = load_policies([policy.info.source_path], {policy.id: dict(policy.example_params)})
        engine = Engine([policy])
        for example in policy.examples:
            record = Record(data=example.data, origin=Origin(policy.info.source_path, example.line))
            verdict = next(engine.evaluate(record))
            if verdict.status is not example.expected:
                detail = f": {verdict.finding.message}" if verdict.finding and verdict.status is Status.ERROR else ""
                failures.append(
                    f"{policy.info.source_path}:{example.line}: policy {policy.id}: example expected "
                    f"{example.expected.value}, got {verdict.status.value}{detail}"
                )
    return failures
