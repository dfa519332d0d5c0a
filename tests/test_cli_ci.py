"""What a new user meets in CI: formats from -o, --quiet failures, the summary, annotations,
config and waiver files with several problems, init and policy show."""

from __future__ import annotations

import json
import os
import stat
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from smscan.cli.annotations import MAX_PER_KIND, escape_data, escape_property, workflow_commands
from smscan.models import Location, Severity, Status
from tests.cli_helpers import run_cli, write_jsonl
from tests.factories import make_record

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "tests" / "fixtures" / "examples"
GOOD = dict(
    tags={"owner": "ml", "cost-center": "42"},
    algorithm_specification={"TrainingImage": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3"},
)


def fleet(tmp_path: Path, *records) -> Path:  # type: ignore[no-untyped-def]
    return write_jsonl(tmp_path / "fleet.jsonl", list(records) or [make_record("a", **GOOD)])


# --- formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("report.html", lambda t: t.lstrip().lower().startswith("<!doctype html")),
        ("x.sarif", lambda t: json.loads(t)["version"] == "2.1.0"),
        ("x.sarif.json", lambda t: json.loads(t)["version"] == "2.1.0"),
        ("tests.xml", lambda t: t.startswith("<?xml") and "<testsuites" in t),
        ("summary.md", lambda t: t.startswith("#") or "smscan" in t),
        ("REPORT.JSON", lambda t: "findings" in json.loads(t)),
    ],
)
def test_the_output_suffix_picks_the_format(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, check) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / name
    code, _, err = run_cli(capsys, "scan", "-i", fleet(tmp_path), "-o", out)
    assert code == 0, err
    assert check(out.read_text())


def test_a_suffix_contradicting_format_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.sarif"
    code, _, err = run_cli(capsys, "scan", "-i", fleet(tmp_path), "--format", "json", "-o", out)
    assert code == 2 and "the suffix says sarif but --format says json" in err
    assert not out.exists()
    # SARIF is JSON: a .json name for it is not a contradiction.
    assert run_cli(capsys, "scan", "-i", fleet(tmp_path), "-f", "sarif", "-o", tmp_path / "r.json")[0] == 0
    assert json.loads((tmp_path / "r.json").read_text())["version"] == "2.1.0"


def test_an_unknown_suffix_without_format_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "scan", "-i", fleet(tmp_path), "-o", tmp_path / "findings.pdf")
    assert code == 2 and "smscan writes no PDF report" in err
    # No suffix (or /dev/null) keeps the default, JSON.
    assert run_cli(capsys, "scan", "-i", fleet(tmp_path), "-o", tmp_path / "report")[0] == 0
    assert "findings" in json.loads((tmp_path / "report").read_text())


def test_format_names_are_case_insensitive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "scan", "-i", fleet(tmp_path), "--format", "HTML,Sarif", "--output-dir", tmp_path / "o")
    assert code == 0, err
    assert {p.name for p in (tmp_path / "o").iterdir()} == {"report.html", "report.sarif"}


# --- --quiet -------------------------------------------------------------------------------


def test_a_report_named_as_a_fifo_is_written_into_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    code, _, err = run_cli(capsys, "scan", "-i", fleet(tmp_path), "-q", "-o", fifo, "--fail-on", "never")
    reader.join(timeout=60)
    assert code == 0, err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert "findings" in json.loads(got[0])


@pytest.mark.parametrize("linux", [True, False])
def test_a_large_report_is_put_on_disk_as_it_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linux: bool) -> None:
    # Every few megabytes the kernel is asked to start writing what came before (Linux),
    # range after range with none left out; without that call the report is the same.
    from smscan.cli import output

    asked: list[tuple[int, int, int]] = []
    call = (lambda fd, start, size, flags: asked.append((start, size, flags)) or 0) if linux else None
    monkeypatch.setattr(output, "_sync_file_range", lambda: call)
    text = "".join(f"{i:09d} {'x' * 990}\n" for i in range(20_000))  # 20 MB, in writes of 1,000 bytes
    path = tmp_path / "report.json"
    output.write_atomic(path, lambda out: [out.write(text[i : i + 1000]) for i in range(0, len(text), 1000)])
    assert path.read_text() == text
    if linux:
        assert [start for start, _, _ in asked] == [sum(size for _, size, _ in asked[:i]) for i in range(len(asked))]
        assert all(size >= output._WRITEBACK_BYTES and flags == 2 for _, size, flags in asked)
        assert len(asked) == len(text) // output._WRITEBACK_BYTES
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_quiet_still_says_why_an_incomplete_run_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, out, err = run_cli(capsys, "scan", "--input", bad, "-q", "-o", "/dev/null")
    assert code == 3 and out == ""
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # written to, never renamed over
    lines = err.splitlines()
    assert any(str(bad) in line for line in lines[:-1])  # each problem
    assert lines[-1].startswith("smscan: INCOMPLETE:")  # then the verdict


def test_quiet_still_says_why_strict_waivers_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "waivers:\n  - policy: network-isolation\n    job_name: nothing-.*\n    reason: r\n    owner: o\n    expires: 2099-01-01\n"
    )
    code, _, err = run_cli(capsys, "scan", "-i", fleet(tmp_path), "--waivers", waivers, "--strict-waivers", "-q", "-o", tmp_path / "r.json")
    assert code == 1
    assert "waiver for network-isolation matched no finding" in err
    assert err.splitlines()[-1].startswith("smscan: FAILED:")


def test_quiet_prints_nothing_when_the_run_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "scan", "-i", fleet(tmp_path), "-q", "-o", tmp_path / "r.json")
    assert (code, out, err) == (0, "", "")


# --- the terminal summary ------------------------------------------------------------------


def test_summary_puts_path_line_first_and_says_what_decides_the_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = EXAMPLES / "insecure" / "training" / "legacy-train.json"
    code, _, err = run_cli(capsys, "scan", request, "-o", tmp_path / "r.json")
    assert code == 1
    line = next(n for n, t in enumerate(request.read_text().splitlines(), 1) if "EnableNetworkIsolation" in t)
    assert f"    {request}:{line}: [high] network-isolation: " in err
    assert "1 training job x " in err and "1 training jobs" not in err
    gate = err[err.index("the gate, in the order it decides:"):].splitlines()
    assert [g.strip()[:2] for g in gate[1:4]] == ["1.", "2.", "3."]
    assert "2. findings: 1 FAIL/ERROR at or above high" in gate[2]
    assert gate[-1].strip().startswith("FAILED:")


def test_summary_prints_baseline_counts_and_history_trend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = fleet(tmp_path, make_record("a", enable_network_isolation=False, **GOOD), make_record("b", **GOOD))
    history = tmp_path / "h.sqlite"
    run_cli(capsys, "scan", "-i", first, "-o", tmp_path / "base.json", "--history", history, "--fail-on", "never")
    second = write_jsonl(tmp_path / "second.jsonl", [make_record("a", **GOOD), make_record("c", enable_network_isolation=False, **GOOD)])
    code, _, err = run_cli(capsys, "scan", "-i", second, "-o", tmp_path / "r.json", "--baseline", tmp_path / "base.json", "--fail-on", "never")
    assert code == 0
    assert "since the baseline: 1 new, 0 unchanged, 1 fixed" in err
    _, _, err = run_cli(capsys, "scan", "-i", second, "-o", tmp_path / "r.json", "--history", history, "--fail-on", "never")
    assert "history (2 scans): score " in err and "FAIL 1 -> 1" in err


def test_progress_says_1_job(tmp_path: Path) -> None:
    import io

    from smscan.cli.progress import Progress

    out = io.StringIO()
    progress = Progress(stream=out, live=False, interval=0.0)
    progress.evaluated(1)
    progress.close()
    assert "1 job evaluated" in out.getvalue() and "1 jobs" not in out.getvalue()


# --- GitHub annotations ---------------------------------------------------------------------


def test_github_actions_annotations_for_request_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "training").mkdir(parents=True)
    request = json.loads((EXAMPLES / "insecure" / "training" / "legacy-train.json").read_text())
    request["MaxRetryAttempts"] = 9  # a low-severity failure too
    (repo / "training" / "job.json").write_text(json.dumps(request, indent=2))
    monkeypatch.chdir(repo)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo))
    code, out, err = run_cli(capsys, "scan", ".", "-o", "-", "--fail-on", "never")
    assert code == 0 and "::" not in out.split("\n", 1)[0]  # stdout keeps the report clean
    commands = [line for line in err.splitlines() if line.startswith("::")]
    assert any(c.startswith("::error file=training/job.json,line=") and "title=smscan high%3A network-isolation fails::" in c for c in commands)
    assert all(c.startswith(("::error ", "::warning ", "::notice ")) for c in commands)


def _located(n: int, severity: Severity, path: str = "jobs/j.json"):  # type: ignore[no-untyped-def]
    from tests.factories import make_finding

    return [
        replace(make_finding(f"p-{i}", f"job-{i}", Status.FAIL, severity=severity.value), location=Location(path, i + 1))
        for i in range(n)
    ]


def test_annotations_are_capped_as_github_caps_them(tmp_path: Path) -> None:
    from tests.factories import make_result

    findings = _located(15, Severity.HIGH, str(tmp_path / "a.json")) + _located(12, Severity.MEDIUM, str(tmp_path / "b.json"))
    text = workflow_commands(make_result(findings), tmp_path)
    lines = text.splitlines()
    assert sum(line.startswith("::error ") for line in lines) == MAX_PER_KIND
    assert sum(line.startswith("::warning ") for line in lines) == MAX_PER_KIND
    assert lines[-1].startswith("::notice ") and "7 more finding(s) not annotated" in lines[-1]


def test_annotation_escaping_and_masking(tmp_path: Path) -> None:
    from tests.factories import make_finding, make_result

    assert escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    secret = "AKIAIOSFODNN7EXAMPLE"
    f = replace(
        make_finding("no-secrets-in-environment", "j", Status.FAIL, severity="critical"),
        location=Location(str(tmp_path / "x, y.json"), 3), message=f"key {secret} found\nsecond line",
    )
    text = workflow_commands(make_result([f]), tmp_path)
    assert secret not in text
    assert "file=x%2C y.json,line=3," in text and "%0Asecond line" not in text.replace("found second line", "")
    assert "\n" not in text.rstrip("\n")


def test_outside_github_actions_no_workflow_command(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    _, _, err = run_cli(capsys, "scan", EXAMPLES / "insecure", "-o", tmp_path / "r.json")
    assert "::error" not in err


# --- config and waivers: every problem at once -------------------------------------------


def test_a_waivers_file_reports_every_problem_with_an_unquoted_impossible_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    waivers = tmp_path / ".smscan-waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - policy: network-isolaton\n"
        "    arn: 'arn:aws:sagemaker:*:*:training-job/legacy-*'\n"
        "    reason: Legacy jobs.\n"
        "    expire: 2027-01-31\n"
        "  - policy: network-isolation\n"
        "    arn: 'arn:aws:sagemaker:*:*:training-job/etl-*'\n"
        "    reason: ETL jobs.\n"
        "    expires: 2027-02-30\n"
    )
    code, _, err = run_cli(capsys, "scan", "-i", fleet(tmp_path), "--waivers", waivers, "-o", tmp_path / "r.json")
    assert code == 2
    w = str(waivers)
    assert err.splitlines() == [
        f"{w}:2:5: waiver 1: policy: matches no loaded policy 'network-isolaton' (expected an id from `smscan policy list`)",
        f"{w}:2:5: waiver 1: expires: missing required key (expected a date YYYY-MM-DD)",
        f"{w}:5:5: waiver 1: expire: unknown key (expected one of policy, arn, job_name, account, region, tag, reason, owner, expires)",
        f"{w}:9:14: waiver 2: expires: invalid date '2027-02-30' (day is out of range for month; expected a date YYYY-MM-DD)",
        "smscan: 4 waiver problem(s); nothing was scanned",
    ]


def test_smscan_yaml_reports_every_problem_with_file_line_col(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from smscan.cli.config import _KEYS as SETTINGS
    from smscan.reports import FORMATS

    monkeypatch.chdir(tmp_path)
    Path("smscan.yaml").write_text("fail_on: urgent\nformats: [HTML, pdf]\noutputdir: x\nwaivers: 2027-02-30\n")
    code, _, err = run_cli(capsys, "scan", "-i", fleet(tmp_path), "-o", "r.json")
    assert code == 2
    assert err.splitlines() == [
        "smscan.yaml:1:1: fail_on: expected one of info|low|medium|high|critical|never",
        f"smscan.yaml:2:1: formats: unknown format 'pdf' (expected one of {', '.join(FORMATS)})",
        f"smscan.yaml:3:1: outputdir: unknown setting (expected one of {', '.join(SETTINGS)})",
        "smscan.yaml:4:10: waivers: invalid value '2027-02-30' (day is out of range for month)",
        "smscan: 4 config problem(s); nothing was scanned",
    ]


# --- init and policy show -------------------------------------------------------------------


def test_init_with_pack_makes_sarif_point_at_the_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "init", "--with-pack")[0] == 0
    assert "policies: [.smscan/policies]" in Path("smscan.yaml").read_text()
    assert (tmp_path / ".smscan/policies/network-isolation.yaml").is_file()
    code, _, err = run_cli(capsys, "init")
    assert code == 2 and "already exists" in err
    records = fleet(tmp_path, make_record("open", enable_network_isolation=False, **GOOD))
    run_cli(capsys, "scan", "-i", records, "-o", "r.sarif", "--fail-on", "never")
    doc = json.loads(Path("r.sarif").read_text())
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert ".smscan/policies/network-isolation.yaml" in uris
    assert all(u.startswith(".smscan/policies/") for u in uris)
    assert "pack-relative-location" not in json.dumps(doc["runs"][0]["invocations"])


def test_policy_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "policy", "show", "approved-image-registry", "--param",
                           "approved-image-registry.approved_registries=[\"111122223333.dkr.ecr.\"]")
    assert code == 0
    assert out.startswith("approved-image-registry  [high]")
    for heading in ("What it checks:", "Params in force:", "Frameworks:", "Remediation:", "--- approved-image-registry.yaml"):
        assert heading in out
    assert 'approved_registries: ["111122223333.dkr.ecr."]' in out  # the param in force, not the default
    code, _, err = run_cli(capsys, "policy", "show", "network-isolaton")
    assert code == 2 and "did you mean network-isolation?" in err


# --- empty inputs and output directories ---------------------------------------------------


def test_empty_dir_as_records_is_incomplete_but_as_request_paths_passes_and_help_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(capsys, "scan", "--input", empty, "-o", tmp_path / "a.json")
    assert code == 3 and "no training job record in the inputs" in err
    code, _, err = run_cli(capsys, "scan", empty, "-o", tmp_path / "b.json")
    assert code == 0 and "no training-job request found" in err
    _, out, _ = run_cli(capsys, "scan", "--help")
    flat = " ".join(out.split())
    assert "an empty export is a broken pipeline, not a clean fleet" in flat
    assert "a tree with none passes with a note" in flat


def test_output_dir_inside_the_package_is_warned_about(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from smscan import reports

    target = Path(reports.__file__).parent / "i12-test-out"
    try:
        code, _, err = run_cli(capsys, "scan", "-i", fleet(tmp_path), "--output-dir", target)
        assert code == 0
        assert f"smscan: warning: {target} is inside smscan's own package directory" in err
    finally:
        import shutil

        shutil.rmtree(target, ignore_errors=True)
    _, _, err = run_cli(capsys, "scan", "-i", fleet(tmp_path), "--output-dir", tmp_path / "out")
    assert "warning" not in err


def test_output_dir_in_a_source_checkouts_package_folder_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "smscan-checkout"
    (checkout / "reports").mkdir(parents=True)
    (checkout / "pyproject.toml").write_text('[project]\nname = "smscan"\n')
    monkeypatch.chdir(checkout)
    _, _, err = run_cli(capsys, "scan", "-i", fleet(tmp_path), "--output-dir", "reports/")
    assert "smscan: warning: reports is inside smscan's own package directory" in err


def test_a_virtualenv_in_the_repository_is_not_walked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `python -m venv venv` in a checkout: its site-packages hold JSON that mentions
    # AlgorithmSpecification (SDK test data, say), which is not the repository's job.
    repo = tmp_path / "repo"
    pkg = repo / "venv" / "lib" / "python3.11" / "site-packages" / "sdk"
    pkg.mkdir(parents=True)
    (repo / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    request = (EXAMPLES / "insecure" / "training" / "legacy-train.json").read_text()
    (pkg / "example.json").write_text(request)
    (repo / "jobs").mkdir()
    (repo / "jobs" / "train.json").write_text(request)
    code, _, err = run_cli(capsys, "scan", repo, "-o", tmp_path / "r.json", "--fail-on", "never")
    doc = json.loads((tmp_path / "r.json").read_text())
    assert code == 0 and doc["summary"]["records"] == 1
    assert all("site-packages" not in (f.get("location") or {}).get("path", "") for f in doc["findings"])
