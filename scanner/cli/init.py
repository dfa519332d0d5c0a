"""`smscan init`: a starting smscan.yaml for a repository, and optionally a copy of the pack.

Why copy the pack: a SARIF result for a live or inventory job must point at a file in the
repository, and the built-in pack lives in site-packages, which no upload can resolve.
With `--with-pack` the policies are copied into the repository (default `.smscan/policies`,
a hidden directory, so a request-file scan of `.` does not walk it) and smscan.yaml names
that directory: from then on every alert opens the policy file it came from, and a team
can review pack changes in its own pull requests. docs/SARIF.md explains the choice.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from smscan.errors import EXIT_OK, UsageError

DEFAULT_PACK_DIR = ".smscan/policies"

CONFIG_TEMPLATE = """\
# smscan settings (docs/GATE.md). Command-line flags override these.
{policies}
# Exit 1 when a FAIL (or an ERROR: a check that could not be judged) is at or above this.
fail_on: high
# Report formats written by --output-dir (json sarif html junit markdown).
# formats: [json, sarif, html]
# waivers: .smscan-waivers.yaml
# params:
#   approved-image-registry:
#     approved_registries: ["123456789012.dkr.ecr.us-east-1."]
"""


def add_init_command(sub: Any) -> None:
    p = sub.add_parser("init", help="write a starting smscan.yaml (and, with --with-pack, a copy of the pack)")
    p.add_argument("--with-pack", action="store_true",
                   help="copy the built-in policies into the repository so SARIF alerts resolve to them")
    p.add_argument("--pack-dir", default=DEFAULT_PACK_DIR, metavar="DIR",
                   help=f"where --with-pack copies the policies (default {DEFAULT_PACK_DIR})")
    p.add_argument("--config", default="smscan.yaml", metavar="FILE", help="settings file to write (default smscan.yaml)")
    p.add_argument("--force", action="store_true", help="overwrite an existing settings file or pack copy")
    p.set_defaults(handler=run_init)


def run_init(args: argparse.Namespace) -> int:
    config = Path(args.config)
    pack = Path(args.pack_dir)
    if config.exists() and not args.force:
        raise UsageError(f"{config}: already exists (use --force to overwrite)")
    if args.with_pack:
        _copy_pack(pack, args.force)
    policies = f"policies: [{pack.as_posix()}]" if args.with_pack else "# policies: [builtin]  (the default)"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG_TEMPLATE.format(policies=policies), encoding="utf-8")
    print(f"wrote {config}", file=sys.stderr)
    if args.with_pack:
        print(f"copied the built-in policies into {pack}; SARIF alerts now point at them", file=sys.stderr)
    return EXIT_OK


def _copy_pack(pack: Path, force: bool) -> None:
    from smscan.policy.loader import builtin_pack_dir

    source = builtin_pack_dir()
    files = sorted(source.glob("*.yaml"))
    clash = [pack / f.name for f in files if (pack / f.name).exists()]
    if clash and not force:
        raise UsageError(f"{clash[0]}: already exists (use --force to overwrite the pack copy)")
    try:
        pack.mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copyfile(f, pack / f.name)
    except OSError as exc:
        raise UsageError(f"{pack}: cannot copy the policy pack ({exc.strerror})") from None
