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

import pytest

import smscan.cli.main as cli_main
from bench.fleet import write_jsonl

# Runs the command in a fresh interpreter, then prints the heavy modules it imported.
PROBE = """
import json, sys
from smscan.cli.main import main
code = main(sys.argv[1:])
heavy = (
    "boto3", "botocore", "yaml", "jinja2", "sqlite3", "smscan.events.settings", "smscan.gate.history",
    "logging", "datetime",
)
print(json.dumps({"code": code, "imported": [m for m in heavy if m in sys.modules]}))
"""


def _run(tmp_path: Path, *argv: str, env: dict[str, str] | None = None) -> tuple[int, set[str], str]:
    """(exit code, heavy modules imported, stderr) of one command in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=tmp_path, capture_output=True, text=True,
        env=env or {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["code"], set(report["imported"]), done.stderr


def _imported(tmp_path: Path, *argv: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    code, imported, _ = _run(tmp_path, *argv, env=env)
    return code, imported


def _cached_env(tmp_path: Path) -> dict[str, str]:
    """As an installed smscan runs: bytecode and the pack's caches written, here under tmp_path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")  # not into the checkout
    return env


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


def test_with_the_caches_warm_policy_validate_imports_neither_pyyaml_nor_jinja2(tmp_path: Path) -> None:
    env = _cached_env(tmp_path)
    first = _imported(tmp_path, "policy", "validate", env=env)
    assert first[0] == 0 and {"yaml", "jinja2"} <= first[1]  # cold: parsed and checked, the caches written
    assert list(tmp_path.rglob("smscan-pack-trees.json")) and list(tmp_path.rglob("smscan-template-checks.json"))
    code, imported = _imported(tmp_path, "policy", "validate", env=env)
    # Nor logging (nothing in validate logs) nor datetime (the pack holds no dates).
    assert code == 0 and not imported & {"yaml", "jinja2", "logging", "datetime"}


def test_with_the_caches_warm_a_broken_template_is_still_refused(tmp_path: Path) -> None:
    env = _cached_env(tmp_path)
    assert _imported(tmp_path, "policy", "validate", env=env)[0] == 0  # the caches hold the built-in pack
    builtin = Path(__file__).resolve().parents[1] / "policies" / "vpc-configured.yaml"
    mine = tmp_path / "mine"
    mine.mkdir()
    text = builtin.read_text(encoding="utf-8").replace("message: >-\n", "message: >-\n  {{ job_name.__class__ }}\n", 1)
    (mine / "vpc-configured.yaml").write_text(text, encoding="utf-8")
    line = text.splitlines().index("message: >-") + 1
    for _ in range(2):  # and again: a refused template is never cached
        code, imported, stderr = _run(tmp_path, "policy", "validate", str(mine), env=env)
        assert code == 2 and "jinja2" in imported
        assert stderr.startswith(f"{mine / 'vpc-configured.yaml'}:{line}:1: policy vpc-configured: message: template reaches")


def test_only_commands_that_never_log_skip_setting_up_logging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configured: list[bool] = []
    monkeypatch.setattr(cli_main, "_configure_logging", configured.append)
    monkeypatch.chdir(tmp_path)  # no smscan.yaml of the checkout's
    assert cli_main.main(["policy", "validate"]) == 0
    assert cli_main.main(["policy", "list"]) == 0
    assert configured == []
    one = Path(__file__).resolve().parents[1] / "policies" / "vpc-configured.yaml"
    assert cli_main.main(["policy", "test", str(one)]) == 0  # runs the engine, which may log
    records = write_jsonl(tmp_path / "one.jsonl", 1)
    assert cli_main.main(["scan", "--input", str(records), "-o", str(tmp_path / "r.json"), "--quiet", "--verbose"]) in (0, 1)
    assert configured == [False, True]
