"""Every example workflow's smscan command lines, run as written against fixtures.

The workflows are parsed as YAML, each `run:` script is split into commands, and every
`smscan ...` command runs in-process with GitHub's environment (GITHUB_ACTIONS, the step
summary file) against a fixture repository or moto's in-process AWS. An example that
stops doing what the docs recommend, or a flag that stops existing, fails here. The SARIF
each writes must also pass Microsoft's SARIF multitool when it is installed.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from tests.cli_helpers import run_cli
from tests.moto_server import aws_env, create_jobs, sagemaker
from tests.sarif_multitool import ENV as MULTITOOL_ENV
from tests.sarif_multitool import validate

__all__ = ["aws_env"]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yml"))
FIXTURES = ROOT / "tests" / "fixtures" / "examples"
_EXPR = re.compile(r"\$\{\{\s*env\.(\w+)\s*\}\}")
_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)")
SEPARATORS = {"&&", "||", ";", "|"}


def steps(workflow: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """(run script, env) of every step, with the workflow's and job's env merged."""
    doc = yaml.safe_load(workflow.read_text())
    for job in doc["jobs"].values():
        env = {**doc.get("env", {}), **job.get("env", {})}
        for step in job["steps"]:
            if "run" in step:
                yield step["run"], {**env, **step.get("env", {})}


def commands(script: str, env: dict[str, str]) -> list[list[str]]:
    """The script's commands, `${{ env.X }}` and `$X` expanded from the workflow's env."""
    text = _EXPR.sub(lambda m: str(env[m.group(1)]), script)
    text = _VAR.sub(lambda m: str(env[m.group(1) or m.group(2)]), text)
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    out: list[list[str]] = [[]]
    for token in lexer:
        if token in SEPARATORS:
            out.append([])
        else:
            out[-1].append(token)
    return [c for c in out if c]


def smscan_lines(workflow: Path) -> list[tuple[list[str], list[list[str]]]]:
    """Each step that runs smscan: (its smscan argv, the commands that come before it)."""
    found = []
    for script, env in steps(workflow):
        cmds = commands(script, env)
        for i, cmd in enumerate(cmds):
            if cmd[0] == "smscan":
                found.append((cmd, cmds[:i]))
    return found


def test_every_example_runs_smscan() -> None:
    assert EXAMPLES, "no example workflow found"
    for workflow in EXAMPLES:
        assert smscan_lines(workflow), f"{workflow.name}: no smscan command line"


def test_the_pull_request_gate_does_not_fail_on_waivers_for_live_jobs() -> None:
    # docs/GATE.md: "Do not run it [--strict-waivers] on a pull-request scan".
    [(argv, _)] = smscan_lines(ROOT / "examples" / "pull-request-gate.yml")
    assert "--strict-waivers" not in argv


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A GitHub Actions runner's environment: a workspace and a step summary file."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    summary = tmp_path / "step_summary.md"
    summary.write_text("")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.chdir(workspace)
    return workspace


def run_example(capsys: pytest.CaptureFixture[str], workflow: str) -> list[tuple[int, str]]:
    """Run the workflow's smscan lines in the current directory; (exit code, stderr) each."""
    results = []
    for argv, before in smscan_lines(ROOT / "examples" / workflow):
        for cmd in before:
            # Only the preparation the examples use; anything else must be taught here.
            assert cmd[:2] == ["mkdir", "-p"], f"{workflow}: unexpected command {cmd}"
            for directory in cmd[2:]:
                Path(directory).mkdir(parents=True, exist_ok=True)
        code, _out, err = run_cli(capsys, *argv[1:])
        results.append((code, err))
    return results


def sarif_files(where: Path) -> list[Path]:
    return sorted(where.rglob("*.sarif"))


def check_sarif(where: Path, tmp_path: Path) -> None:
    files = sarif_files(where)
    assert files, "the example wrote no SARIF"
    for path in files:
        doc = json.loads(path.read_text())
        for res in doc["runs"][0]["results"]:
            uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert not uri.startswith("/") and ".." not in uri.split("/") and "site-packages" not in uri
    import os

    if os.environ.get(MULTITOOL_ENV):
        for path in files:
            serious, _notes = validate(path, tmp_path)
            assert serious == [], f"{path.name}: {serious}"


def test_pull_request_gate_passes_a_compliant_change_with_a_waiver_for_a_live_job(
    github: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(FIXTURES / "repo", github, dirs_exist_ok=True)
    [(code, err)] = run_example(capsys, "pull-request-gate.yml")
    assert code == 0, err
    assert "matched no finding" in err  # the stale-looking waiver is reported, not failed on
    assert (tmp_path / "step_summary.md").read_text().strip()  # the Markdown summary
    assert {p.name for p in (github / "smscan-out").iterdir()} >= {"report.sarif", "report.md", "report.junit.xml"}
    check_sarif(github, tmp_path)


def test_pull_request_gate_fails_an_insecure_change_and_annotates_its_line(
    github: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(FIXTURES / "insecure", github, dirs_exist_ok=True)
    [(code, err)] = run_example(capsys, "pull-request-gate.yml")
    assert code == 1, err
    line = next(n for n, text in enumerate((github / "training/legacy-train.json").read_text().splitlines(), 1)
                if "EnableNetworkIsolation" in text)
    assert f"::error file=training/legacy-train.json,line={line}," in err
    assert f"training/legacy-train.json:{line}: [high] network-isolation:" in err
    check_sarif(github, tmp_path)


@pytest.fixture
def moto_account(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        create_jobs(sagemaker("us-east-1"), 6)
        yield boto3


def test_code_scanning_example_against_moto(
    moto_account: Any, github: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [(code, err)] = run_example(capsys, "github-code-scanning.yml")
    assert code == 0, err  # --fail-on never: alerts, not a red workflow
    doc = json.loads((github / "smscan.sarif").read_text())
    assert doc["runs"][0]["results"] and doc["runs"][0]["automationDetails"]["id"] == "smscan/aws-123456789012/"
    check_sarif(github, tmp_path)


def test_nightly_org_audit_example_against_moto(
    moto_account: Any, github: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    results = run_example(capsys, "nightly-org-audit.yml")
    [(code, err)] = results
    assert code == 0, err
    assert {p.name for p in (github / "audit").iterdir()} >= {"report.json", "report.sarif", "report.html", "report.md"}
    assert (github / "state" / "history.sqlite").exists()
    check_sarif(github, tmp_path)


def test_code_scanning_alerts_open_a_file_after_init_with_pack(
    moto_account: Any, github: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "init", "--with-pack")[0] == 0
    [(code, err)] = run_example(capsys, "github-code-scanning.yml")
    assert code == 0, err
    doc = json.loads((github / "smscan.sarif").read_text())
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert uris and all((github / uri).is_file() for uri in uris), uris
    check_sarif(github, tmp_path)
