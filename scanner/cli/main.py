"""The `smscan` command line. The only place that writes reports and picks the exit code.

Exit codes: 0 no FAIL at or above --fail-on; 1 FAILs at or above it; 2 usage,
config, policy or input error (nothing was scanned); 3 the scan was incomplete
(some input, job or region could not be read) unless --allow-partial.
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from smscan import __version__
from smscan.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_TERMINATED, PolicyError, ScannerError


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad usage already; keep its message to one line plus usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"smscan: error: {message}\n")


# Each command's module is imported only when that command runs: `smscan --version` and
# `smscan policy validate` must not pay for boto3 (the scan command's --aws options).
COMMANDS = {
    "scan": ("smscan.cli.scan", "add_scan_command", "scan training jobs from files or AWS and write reports"),
    "policy": ("smscan.cli.policy", "add_policy_commands", "validate, list, show or test policy packs"),
    "init": ("smscan.cli.init", "add_init_command", "write a starting smscan.yaml (and, with --with-pack, a copy of the pack)"),
    "demo": ("smscan.cli.scan", "add_demo_command", "scan the bundled demo fleet offline and write every report format"),
    "event": ("smscan.cli.event", "add_event_command", "judge EventBridge / CloudTrail events of training jobs, then act on them"),
    "merge": ("smscan.cli.scan", "add_merge_command", "combine shard JSON results into one result and render it"),
    "guardrails": ("smscan.cli.guardrails", "add_guardrails_command", "write SCP / IAM guardrails that deny non-compliant CreateTrainingJob calls"),
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given argv, only the command it names is built in full (the others are
    listed by name and help, which is all `smscan --help` shows of them)."""
    import importlib

    wanted = next((a for a in argv if not a.startswith("-")), None) if argv is not None else None
    parser = _Parser(prog="smscan", description="Policy-as-code compliance scanner for SageMaker training jobs.")
    parser.add_argument("--version", action="version", version=f"smscan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, adder, text) in COMMANDS.items():
        if argv is None or name == wanted:
            getattr(importlib.import_module(module), adder)(sub)
        else:
            sub.add_parser(name, help=text)
    return parser


class Terminated(Exception):
    """SIGTERM, turned into an exception so temporary report files are cleaned up."""


def _exit_cleanly_on_sigterm() -> None:
    def handler(signum: int, frame: object) -> None:
        raise Terminated()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


def _configure_logging(verbose: bool) -> None:
    import logging  # here, not at the top: `smscan --version` and `--help` never log

    logging.basicConfig(level=logging.WARNING, format="smscan: %(levelname)s: %(message)s", stream=sys.stderr)
    if verbose:
        # Our own API-call and retry log only; botocore's debug output would drown it.
        logging.getLogger("smscan").setLevel(logging.DEBUG)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: return, not exit, when embedded
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    if getattr(args, "logs", True):  # commands that never log (policy validate) say so, and skip importing logging
        _configure_logging(getattr(args, "verbose", False))
    _exit_cleanly_on_sigterm()
    try:
        code: int = args.handler(args)
        return code
    except PolicyError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"smscan: {len(exc.problems)} {exc.kind} problem(s); nothing was scanned", file=sys.stderr)
        return EXIT_ERROR
    except ScannerError as exc:
        print(f"smscan: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (KeyboardInterrupt, Terminated) as exc:
        # Reports are renamed into place whole, so each one is either new or as it was.
        print("smscan: interrupted; reports not listed as written were left as they were", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - last resort: a bug must still not print a traceback
        if os.environ.get("SMSCAN_DEBUG"):
            raise
        print(
            f"smscan: internal error: {type(exc).__name__} (a bug; rerun with SMSCAN_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return EXIT_ERROR


def run() -> NoReturn:
    """The `smscan` command (the console script and `python -m smscan`): main(), then exit.

    The exit handlers run and the standard streams are flushed, as at any exit; what is
    left out is the interpreter freeing every object and module one by one, which nothing
    observes and which costs a large scan about a twentieth of a second after its reports
    are written. Embedders and tests call main(), which returns."""
    code = main()
    try:
        try:
            sys.stdout.flush()
        finally:
            sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or stream: what it should have said is lost
        code = code or EXIT_ERROR
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    try:
        atexit._run_exitfuncs()  # logging.shutdown, multiprocessing's joins, finalizers
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    os._exit(code)
