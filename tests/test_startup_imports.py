"""Start-up stays light: each command imports only what it uses (issue 14's target 6).

Checked as states, not times: which heavy modules a fresh interpreter has imported once
the command has run. The one-record input is a DescribeTrainingJob answer trimmed to the
fields the built-in pack reads, shaped like the example response of
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeTrainingJob.html
(written through bench/fleet.py's generator, which follows that page).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.fleet import write_jsonl

# Runs the command in a fresh interpreter, then prints the heavy modules it imported.
PROBE = """
import json, sys
from smscan.cli.main import main
code = main(sys.argv[1:])
heavy = ("boto3", "botocore", "yaml", "jinja2", "sqlite3", "smscan.events.settings", "smscan.gate.history")
print(json.dumps({"code": code, "imported": [m for m in heavy if m in sys.modules]}))
"""


def _imported(tmp_path: Path, *argv: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=tmp_path, capture_output=True, text=True,
        env=env or {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["code"], set(report["imported"])


def test_version_imports_none_of_the_heavy_modules(tmp_path: Path) -> None:
    code, imported = _imported(tmp_path, "--version")
    assert code == 0 and imported == set()


def test_policy_validate_needs_no_aws_sdk(tmp_path: Path) -> None:
    code, imported = _imported(tmp_path, "policy", "validate")
    assert code == 0
    assert not imported & {"boto3", "botocore", "sqlite3", "smscan.events.settings", "smscan.gate.history"}


def test_a_file_scan_needs_no_aws_sdk(tmp_path: Path) -> None:
    records = write_jsonl(tmp_path / "one.jsonl", 1)
    code, imported = _imported(tmp_path, "scan", "--input", str(records), "-o", str(tmp_path / "r.json"), "--quiet")
    assert code in (0, 1)  # 1: the generated job has FAILs
    assert json.loads((tmp_path / "r.json").read_text())["summary"]
    assert not imported & {"boto3", "botocore", "smscan.events.settings", "smscan.gate.history"}


def test_with_the_pack_cache_warm_policy_validate_never_imports_pyyaml(tmp_path: Path) -> None:
    prefix = tmp_path / "pycache"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(prefix)  # bytecode and the pack cache go here, not into the checkout
    first = _imported(tmp_path, "policy", "validate", env=env)
    assert first[0] == 0 and "yaml" in first[1]  # cold: parsed, and the cache written
    assert list(prefix.rglob("smscan-pack-trees.json"))
    code, imported = _imported(tmp_path, "policy", "validate", env=env)
    assert code == 0 and "yaml" not in imported
