"""Every SARIF smscan writes passes Microsoft's SARIF multitool (`Gh;Sarif` rules) with no
error and no warning, and none of its URIs points into site-packages, a virtualenv, `..`
or an absolute path.

The kinds of SARIF: the demo, a record export, request files, live AWS (moto in-process),
a merge of shards, a truncated run (more results than GitHub keeps) and an empty run.
The multitool is skipped, with the reason, when it is not installed (see .ci/run).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from moto import mock_aws

from tests.cli_helpers import run_cli, write_jsonl
from tests.factories import make_record
from tests.moto_server import aws_env, create_jobs, sagemaker
from tests.sarif_multitool import validate

__all__ = ["aws_env"]

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = ROOT / "tests" / "fixtures" / "requests" / "repo"


def _uris(doc: dict) -> list[str]:
    out = []
    for run in doc["runs"]:
        for res in run["results"]:
            for loc in res["locations"]:
                out.append(loc["physicalLocation"]["artifactLocation"]["uri"])
    return out


def assert_clean_uris(path: Path) -> None:
    for uri in _uris(json.loads(path.read_text())):
        parts = uri.split("/")
        assert not uri.startswith("/") and ":" not in parts[0], uri
        assert ".." not in parts and "site-packages" not in parts and "dist-packages" not in parts, uri
        assert not any(p in (".venv", "venv", ".ci-venv") for p in parts), uri


def demo(tmp: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    run_cli(capsys, "demo", "--output-dir", tmp / "demo", "-q")
    return tmp / "demo" / "report.sarif"


def records(tmp: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = write_jsonl(tmp / "fleet.jsonl", [make_record("a", enable_network_isolation=False), make_record("b")])
    run_cli(capsys, "scan", "-i", path, "-o", tmp / "records.sarif", "--fail-on", "never")
    return tmp / "records.sarif"


def requests(tmp: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    run_cli(capsys, "scan", REQUESTS, "-o", tmp / "requests.sarif", "--sarif-root", ROOT, "--fail-on", "never")
    return tmp / "requests.sarif"


def merged(tmp: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    a = write_jsonl(tmp / "a.jsonl", [make_record("a", enable_network_isolation=False)])
    b = write_jsonl(tmp / "b.jsonl", [make_record("b", enable_network_isolation=False)])
    run_cli(capsys, "scan", "-i", a, "-o", tmp / "a.json", "--fail-on", "never")
    run_cli(capsys, "scan", "-i", b, "-o", tmp / "b.json", "--fail-on", "never")
    run_cli(capsys, "merge", tmp / "a.json", tmp / "b.json", "-o", tmp / "merged.sarif", "--fail-on", "never")
    return tmp / "merged.sarif"


def empty(tmp: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    (tmp / "nothing").mkdir()
    run_cli(capsys, "scan", tmp / "nothing", "-o", tmp / "empty.sarif")
    return tmp / "empty.sarif"


def incomplete(tmp: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    bad = tmp / "bad.jsonl"
    bad.write_text(json.dumps(make_record("a").data) + "\n{not json\n")
    run_cli(capsys, "scan", "-i", bad, "-o", tmp / "incomplete.sarif", "--fail-on", "never")
    return tmp / "incomplete.sarif"


KINDS: dict[str, Callable[[Path, pytest.CaptureFixture[str]], Path]] = {
    "demo": demo, "records": records, "requests": requests, "merge": merged, "empty": empty,
    "incomplete": incomplete,
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_sarif_passes_the_multitool(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sarif = KINDS[kind](tmp_path, capsys)
    assert sarif.exists()
    assert_clean_uris(sarif)
    serious, _notes = validate(sarif, tmp_path)
    assert serious == []


def test_truncated_sarif_passes_the_multitool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from smscan.reports.sarif import render

    monkeypatch.setattr(render, "MAX_RESULTS", 3)
    path = write_jsonl(tmp_path / "fleet.jsonl", [make_record(f"j{i}", enable_network_isolation=False) for i in range(4)])
    run_cli(capsys, "scan", "-i", path, "-o", tmp_path / "t.sarif", "--fail-on", "never")
    doc = json.loads((tmp_path / "t.sarif").read_text())
    assert doc["runs"][0]["properties"]["resultsOmitted"] > 0
    serious, _ = validate(tmp_path / "t.sarif", tmp_path)
    assert serious == []


def test_live_aws_sarif_passes_the_multitool(aws_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        create_jobs(sagemaker("us-east-1"), 8)
        code, _, err = run_cli(capsys, "scan", "--aws", "--region", "us-east-1", "-o", tmp_path / "aws.sarif", "--fail-on", "never")
    assert code == 0, err
    assert_clean_uris(tmp_path / "aws.sarif")
    serious, _ = validate(tmp_path / "aws.sarif", tmp_path)
    assert serious == []


def test_notifications_carry_what_github_requires() -> None:
    # GH2012 (GitHub Advanced Security): every descriptor, notifications included, needs a
    # fullDescription and a help; SARIF2012: a friendly name. Checked without the multitool.
    from smscan.reports.sarif.notifications import descriptors

    for d in descriptors():
        assert d["fullDescription"]["text"] and d["help"]["text"] and d["help"]["markdown"]
        assert d["name"][0].isupper() and "-" not in d["name"]


def test_a_virtualenv_inside_the_root_never_becomes_a_uri(tmp_path: Path) -> None:
    # The README's `.venv` inside the checkout: the built-in pack then lies under the root.
    from smscan.models import PolicyInfo, Severity
    from smscan.reports.sarif.paths import locate
    from tests.factories import make_finding

    venv = tmp_path / ".venv"
    pack = venv / "lib" / "python3.11" / "site-packages" / "smscan" / "policies"
    pack.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (pack / "network-isolation.yaml").write_text("id: network-isolation\n")
    info = PolicyInfo(
        id="network-isolation", title="t", severity=Severity.HIGH, description="d",
        source_path=str(pack / "network-isolation.yaml"), pack_relpath="policies/network-isolation.yaml",
    )
    where = locate(make_finding(), info, tmp_path)
    assert where.uri == "policies/network-isolation.yaml" and not where.inside_root
    # Without site-packages in the path, the pyvenv.cfg alone marks a virtualenv.
    other = tmp_path / "env2"
    (other / "pkgs").mkdir(parents=True)
    (other / "pyvenv.cfg").write_text("home = /usr/bin\n")
    info2 = PolicyInfo(id="x", title="t", severity=Severity.HIGH, description="d",
                       source_path=str(other / "pkgs" / "x.yaml"), pack_relpath="policies/x.yaml")
    assert locate(make_finding("x"), info2, tmp_path).uri == "policies/x.yaml"
