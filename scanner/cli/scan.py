"""`smscan scan`, `smscan demo` and `smscan merge`: sources in, reports out, exit code."""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import os
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from smscan.cli.config import FAIL_ON_CHOICES, Config, load_config, merge_params
from smscan.cli.gate import Gate, add_gate_arguments
from smscan.cli.sinks import (
    add_sink_arguments,
    check_sink_arguments,
    report_sinks,
    run_sinks,
    with_sink_problems,
)
from smscan.errors import EXIT_OK, UsageError
from smscan.gate.verdict import GateOptions, Verdict
from smscan.models import ScanResult, Severity
from smscan.policy.model import Policy
from smscan.reports.interface import Render, RenderOptions
from smscan.scan import ScanSettings, run_scan

DEMO_FLEET = Path(__file__).parents[1] / "data" / "demo_fleet.jsonl"
DEMO_CONFIG = Path(__file__).parents[1] / "data" / "demo-config.yaml"  # the demo fleet's allowlists


def _add_output_arguments(parser: argparse.ArgumentParser) -> None:
    from smscan.reports import FORMATS

    out = parser.add_argument_group("output")
    out.add_argument("--format", "-f", action="append", metavar="FMT",
                     help=f"report format(s), comma-separated or repeated, any case: {', '.join(FORMATS)} "
                          "(default: from the -o suffix, else json)")
    out.add_argument("--output-dir", metavar="DIR", help="write report.<ext> for each format into DIR")
    out.add_argument("-o", "--output", metavar="FILE", help="write the one format to FILE ('-' for stdout); .json .sarif .html .xml .md pick the format")
    out.add_argument("--sarif-root", metavar="DIR", help="make SARIF URIs relative to DIR (default: cwd)")
    out.add_argument("--sarif-category", metavar="NAME", help="SARIF runAutomationDetails category")
    out.add_argument("--include-passed", action="store_true", help="list PASS findings too (they are always counted)")
    out.add_argument("--quiet", "-q", action="store_true",
                     help="print nothing on a clean run; a non-zero exit still prints each problem and the verdict")
    out.add_argument("--verbose", "-v", action="store_true", help="log API calls and retries")


def add_scan_command(sub: Any) -> None:
    p = sub.add_parser("scan", help="scan training jobs from files or AWS and write reports")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="repository files or directories to search for training jobs "
                        "(CreateTrainingJob requests, SageMaker Pipelines, Step Functions, "
                        "CloudFormation/SAM/CDK templates, Terraform .tf and plan JSON, SageMaker "
                        "SDK .py and .ipynb); a tree with none passes with a note, since most "
                        "repositories hold no training job")
    p.add_argument("--input", "-i", action="append", default=[], metavar="PATH",
                   help="JSON, JSON array or JSONL file, a directory of them, or - for stdin (repeatable); "
                        "inputs with no record exit 3: an empty export is a broken pipeline, not a clean fleet")
    p.add_argument("--policies", "-p", action="append", default=[], metavar="PATH",
                   help="policy file or directory (repeatable; 'builtin' = the built-in pack, the default)")
    p.add_argument("--select", action="append", default=[], metavar="IDS",
                   help="only these policy ids (globs) or severities, comma-separated")
    p.add_argument("--skip", action="append", default=[], metavar="IDS", help="skip these policy ids or severities")
    p.add_argument("--param", action="append", default=[], metavar="ID.NAME=VALUE", help="override a policy param")
    p.add_argument("--config", metavar="FILE", help="settings file (default: ./smscan.yaml when present)")
    p.add_argument("--fail-on", choices=FAIL_ON_CHOICES, help="exit 1 when a FAIL is at or above this severity (default high)")
    p.add_argument("--max-input-bytes", type=byte_size, metavar="SIZE",
                   help="largest record file / JSONL line (default 256M) and request file (default 8M) read; K, M, G suffixes")
    p.add_argument("--sdk-config", metavar="FILE",
                   help="SageMaker SDK config.yaml whose SageMaker.TrainingJob defaults apply to the SDK code scanned "
                        "(default: such files found in the scanned tree)")
    p.add_argument("--max-depth", type=positive_int, metavar="N",
                   help="deepest JSON nesting accepted in inputs (default 200 for records, 100 for request files)")
    p.add_argument("--jobs", "-j", type=positive_int, metavar="N",
                   help="processes judging JSON Lines --input files (default: the CPU count; reports are the same for any N)")
    p.add_argument("--findings-in-memory", type=positive_int, metavar="N",
                   help="findings held in memory before the rest go to temporary files on disk (default 50000, shared among --jobs)")
    _add_output_arguments(p)
    add_gate_arguments(p)
    add_sink_arguments(p)
    from smscan.cli.aws_options import add_aws_arguments

    add_aws_arguments(p)
    p.add_argument("--allow-partial", action="store_true",
                   help="exit 0/1 even if some input, account, region or job could not be read (never when none was read)")
    p.set_defaults(handler=run_scan_command)


def add_demo_command(sub: Any) -> None:
    p = sub.add_parser("demo", help="scan the bundled demo fleet offline and write every report format")
    p.add_argument("--output-dir", default="smscan-demo", metavar="DIR", help="where to write (default ./smscan-demo)")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(handler=run_demo_command)


def add_merge_command(sub: Any) -> None:
    p = sub.add_parser("merge", help="combine shard JSON results into one result and render it")
    p.add_argument("results", nargs="+", metavar="RESULT.json")
    p.add_argument("--fail-on", choices=FAIL_ON_CHOICES, default="high")
    p.add_argument("--fail-on-unknown", choices=FAIL_ON_CHOICES, default="never", metavar="SEVERITY|never")
    p.add_argument("--allow-partial", action="store_true")
    _add_output_arguments(p)
    p.set_defaults(handler=run_merge_command)


def byte_size(text: str) -> int:
    units = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
    number, unit = text.strip().upper().removesuffix("IB").removesuffix("B"), ""
    if number and number[-1] in "KMG":
        number, unit = number[:-1], number[-1]
    if not number.isdigit() or int(number) == 0:
        raise argparse.ArgumentTypeError(f"expected a size such as 64M or 1048576, got {text!r}")
    return int(number) * units[unit]


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def split_list(values: Sequence[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def select_policies(policies: list[Policy], select: list[str], skip: list[str]) -> list[Policy]:
    severities = {s.value for s in Severity}

    def matches(policy: Policy, pattern: str) -> bool:
        if pattern in severities:
            return policy.severity.value == pattern
        return fnmatch.fnmatchcase(policy.id, pattern)

    for pattern in select + skip:
        if pattern not in severities and not any(matches(p, pattern) for p in policies):
            raise UsageError(f"--select/--skip {pattern!r} matches no policy (see `smscan policy list`)")
    chosen = [p for p in policies if not select or any(matches(p, s) for s in select)]
    chosen = [p for p in chosen if not any(matches(p, s) for s in skip)]
    if not chosen:
        raise UsageError("no policy left to run after --select/--skip")
    return chosen


def run_scan_command(args: argparse.Namespace) -> int:
    from smscan.cli.output import check_writable, plan_targets
    from smscan.cli.progress import Progress
    from smscan.cli.sources import build_sources
    from smscan.policy.loader import load_policies

    config = load_config(args.config)
    params = merge_params(config.params, args.param)
    loaded = load_policies(args.policies or config.policies, params)
    policies = select_policies(loaded, split_list(args.select) or config.select, split_list(args.skip) or config.skip)
    gate = Gate.prepare(args, config.waivers, [p.id for p in loaded])
    targets = plan_targets(_formats(args, config), args.output_dir or config.output_dir, args.output)
    check_writable(targets)  # before any scanning, and before any AWS call
    check_sink_arguments(args)
    progress = Progress.create(stream=sys.stderr, quiet=args.quiet)
    sources = build_sources(args, policies, progress)
    fail_on = args.fail_on or config.fail_on or "high"
    fail_on_unknown = args.fail_on_unknown or config.fail_on_unknown or "never"
    settings = ScanSettings(include_passed=args.include_passed or config.include_passed, fail_on=fail_on)
    if args.findings_in_memory:
        settings = dataclasses.replace(settings, findings_in_memory=args.findings_in_memory)
    from smscan.chunks import default_jobs

    json_texts = any(target.fmt == "json" for target in targets)
    settings = dataclasses.replace(
        settings, jobs=args.jobs or default_jobs(), json_texts=json_texts, findings_read=_findings_read(args, targets)
    )
    result = run_scan(
        sources, policies, settings, waivers=gate.waivers, present=gate.present, on_record=progress.evaluated
    )
    progress.close()
    result = gate.finish(result)
    # Sinks run before the verdict: a finding that did not reach Security Hub is a problem of
    # this run, so every report and the exit code say INCOMPLETE alike.
    sent = run_sinks(args, result, gate.present if gate.present is not None else set(), sources)
    report_sinks(sent, args.quiet)
    result = with_sink_problems(result, sent)
    return _report(result, args, targets, gate.options(fail_on, fail_on_unknown, args.allow_partial))


def _findings_read(args: argparse.Namespace, targets: list[Any]) -> bool:
    """Whether anything but the JSON report reads every finding after the scan: then the
    --jobs workers keep each finding decoded as well (smscan.findings_runs). A reader missed
    here still gets every finding, decoded from its JSON text; only slower."""
    return (
        any(target.fmt != "json" for target in targets)
        or any(getattr(args, name, None) for name in ("baseline", "history", "security_hub", "security_hub_only_failed"))
        or os.environ.get("GITHUB_ACTIONS") == "true"
    )


def _formats(args: argparse.Namespace, config: Config) -> list[str]:
    from smscan.cli.formats import choose

    return choose(split_list(args.format or []), args.output, config.formats)


def _report(result: ScanResult, args: argparse.Namespace, targets: list[Any], gate: GateOptions) -> int:
    """Decide the verdict once, hand it to every report and the summary, return its exit code."""
    from smscan.cli.output import append_text
    from smscan.cli.summary import format_summary, quiet_failure
    from smscan.gate.verdict import decide
    from smscan.reports import render_text, renderer

    verdict = decide(result, gate)
    options = RenderOptions(
        generated_at=result.meta.finished_at,
        sarif_root=Path(getattr(args, "sarif_root", None) or Path.cwd()),
        sarif_category=getattr(args, "sarif_category", None),
        include_passed=getattr(args, "include_passed", False),
    )
    from smscan.chunks import default_jobs
    from smscan.cli.emit_parallel import can_fork_with, emit_all

    jobs = (getattr(args, "jobs", None) or default_jobs()) if can_fork_with(result.findings) else 1
    written = emit_all(targets, lambda t: partial(_write, renderer(t.fmt), result, verdict, options), jobs)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file and any(target.fmt == "markdown" for target in targets):
        append_text(Path(summary_file), render_text("markdown", result, verdict, options))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from smscan.cli.annotations import workflow_commands

        sys.stderr.write(workflow_commands(result))
    if not getattr(args, "quiet", False):
        sys.stderr.write(format_summary(result, [w for w in written if w != "<stdout>"], verdict, gate))
    elif verdict.exit_code != EXIT_OK:
        sys.stderr.write(quiet_failure(result, verdict, gate))
    return verdict.exit_code


def _write(render: Render, result: ScanResult, verdict: Verdict, options: RenderOptions, out: TextIO) -> None:
    render(result, verdict, options, out)


def run_demo_command(args: argparse.Namespace) -> int:
    from smscan.cli.output import check_writable, plan_targets
    from smscan.policy.loader import load_policies
    from smscan.reports import FORMATS
    from smscan.sources.files import FileOptions, FileSource

    policies = load_policies((), load_config(str(DEMO_CONFIG)).params)
    targets = plan_targets(list(FORMATS), args.output_dir, None)
    check_writable(targets)
    demo_args = argparse.Namespace(quiet=args.quiet, include_passed=False, sarif_root=None, sarif_category="demo")
    result = run_scan([FileSource(FileOptions((str(DEMO_FLEET),)))], policies, ScanSettings(fail_on="never"))
    _report(result, demo_args, targets, GateOptions(fail_on="never"))
    if not args.quiet:
        html = next(t.path for t in targets if t.fmt == "html")
        print(f"Open {html} in a browser to read the audit report.", file=sys.stderr)
    return EXIT_OK


def run_merge_command(args: argparse.Namespace) -> int:
    from smscan.cli.output import check_writable, plan_targets
    from smscan.gate.merge import merge_results

    targets = plan_targets(_formats(args, Config()), args.output_dir, args.output)
    check_writable(targets)
    result = merge_results([Path(p) for p in args.results])
    return _report(result, args, targets, GateOptions(args.fail_on, allow_partial=args.allow_partial,
                                                      fail_on_unknown=args.fail_on_unknown))
