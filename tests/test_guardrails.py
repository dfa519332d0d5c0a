"""The built-in pack's guardrails: proved on the examples, lint-clean, under the size limit, stable.

Size limit and SCP syntax: AWS Organizations User Guide, "Quotas" and "SCP syntax"
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html,
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html):
5,120 characters, no Principal / NotPrincipal, Sids of [A-Za-z0-9].
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from smscan.errors import ConfigError
from smscan.guardrails.check import check_prevention
from smscan.guardrails.compile import Exemptions, compile_guardrails
from smscan.guardrails.evaluate import denying_statements
from smscan.guardrails.pack import SCP_LIMIT, pack, size
from smscan.guardrails.render import build, render
from smscan.policy.loader import load_policies
from tests.cli_helpers import run_cli

DEMO_CONFIG = Path(__file__).parents[1] / "scanner" / "data" / "demo-config.yaml"
CREATE = "sagemaker:CreateTrainingJob"


def example_params() -> dict[str, dict[str, Any]]:
    """Every built-in policy's example params: the allowlists set, so every statement is made."""
    return {p.id: dict(p.example_params) for p in load_policies() if p.example_params}


def scp_documents(**kwargs: Any) -> list[dict[str, Any]]:
    return list(build(load_policies(overrides=example_params()), "scp", **kwargs).documents)


def test_every_builtin_policy_is_prevented_or_says_why_not() -> None:
    for policy in load_policies():
        assert policy.prevent is not None, f"{policy.id}: no prevent: section"
        assert policy.prevent.preventable or len(policy.prevent.detect_only or "") > 20, policy.id


def test_every_guardrail_agrees_with_its_policys_examples() -> None:
    result = check_prevention(load_policies())
    assert result.failures == ()
    preventable = [p for p in load_policies() if p.prevent and p.prevent.preventable]
    assert result.policies == len(preventable) > 0
    assert result.examples == sum(len(p.examples) for p in preventable)


def test_the_check_catches_a_guardrail_that_lets_a_failing_job_through(tmp_path: Path) -> None:
    path = tmp_path / "network-isolation.yaml"
    text = (Path(__file__).parents[1] / "policies" / "network-isolation.yaml").read_text()
    path.write_text(text.replace("BoolIfExists:", "Bool:"), encoding="utf-8")  # the published form
    failures = check_prevention(load_policies([path])).failures
    assert len(failures) == 1
    assert re.match(rf"{re.escape(str(path))}:\d+: policy network-isolation: guardrail: the fail example is allowed", failures[0])


def test_a_stricter_guardrail_must_say_so(tmp_path: Path) -> None:
    path = tmp_path / "inter-container-encryption.yaml"
    text = (Path(__file__).parents[1] / "policies" / "inter-container-encryption.yaml").read_text()
    path.write_text(re.sub(r"  stricter_than_detection: >-\n(    .*\n)+", "", text), encoding="utf-8")
    failures = check_prevention(load_policies([path])).failures
    assert failures and all("not_applicable example is denied by InterContainerEncryption" in f for f in failures)


def test_policy_list_says_which_policies_have_a_guardrail(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "policy", "list")
    assert code == 0
    assert re.search(r"^network-isolation +high +guardrail +Training containers run with network isolation$", out, re.M)
    assert re.search(r"^retry-limit +low +detect-only +", out, re.M)


def test_policy_test_runs_the_guardrail_check_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "policy", "test")
    assert code == 0
    assert re.search(r"^guardrails: (\d+) of \1 examples denied or allowed as expected across \d+ preventable policies$", out, re.M)


@pytest.mark.parametrize("params", ["defaults", "examples", "demo"])
def test_the_builtin_scps_fit_the_size_limit_and_are_valid(params: str, tmp_path: Path) -> None:
    overrides = {"defaults": None, "examples": example_params(), "demo": None}[params]
    config = ["--config", str(DEMO_CONFIG)] if params == "demo" else []
    policies = load_policies(overrides=overrides) if not config else None
    docs = list(build(policies, "scp").documents) if policies else _cli_docs(tmp_path, config)
    assert docs and all(size(d) <= SCP_LIMIT for d in docs)
    sids = [s["Sid"] for d in docs for s in d["Statement"]]
    assert len(sids) == len(set(sids))
    for doc in docs:
        assert doc["Version"] == "2012-10-17"
        for statement in doc["Statement"]:
            assert re.fullmatch(r"[A-Za-z0-9]+", statement["Sid"])
            assert statement["Effect"] == "Deny" and statement["Resource"] == "*"
            assert not {"Principal", "NotPrincipal", "NotAction"} & set(statement)


def _cli_docs(tmp_path: Path, config: list[str]) -> list[dict[str, Any]]:
    from smscan.cli.main import main

    assert main(["guardrails", "-q", "--output-dir", str(tmp_path), *config]) == 0
    return [json.loads(p.read_text()) for p in sorted(tmp_path.glob("*.scp.json"))]


def test_the_builtin_scps_are_parliament_clean() -> None:
    parliament = pytest.importorskip("parliament")
    exemptions = Exemptions.parse(["arn:aws:iam::*:role/BreakGlass"], ["break-glass=true"])
    for doc in scp_documents() + scp_documents(exemptions=exemptions):
        policy = parliament.analyze_policy_string(json.dumps(doc), include_community_auditors=True)
        assert [(f.issue, f.detail) for f in policy.findings] == []


def test_the_output_is_deterministic() -> None:
    policies = load_policies(overrides=example_params())
    first = render(build(policies, "scp"))
    assert render(build(list(reversed(policies)), "scp")) == first
    assert render(build(policies, "scp")) == first


def test_packing_splits_under_a_smaller_limit_and_keeps_every_statement() -> None:
    compiled = compile_guardrails(load_policies(overrides=example_params()))
    docs = pack(compiled.statements, 900)
    assert len(docs) > 1 and all(size(d) <= 900 for d in docs)
    assert sorted(s["Sid"] for d in docs for s in d["Statement"]) == sorted(s.sid for s in compiled.statements)
    with pytest.raises(ConfigError, match="alone makes a .*-character document, over the 300-character limit"):
        pack(compiled.statements, 300)


def test_break_glass_principals_are_not_denied() -> None:
    exemptions = Exemptions.parse(["arn:aws:iam::*:role/BreakGlass"], ["break-glass=true"])
    docs = scp_documents(exemptions=exemptions)
    noncompliant: dict[str, tuple[Any, ...]] = {}  # nothing set: most guardrails deny this request
    someone = {"aws:PrincipalArn": ("arn:aws:iam::111122223333:role/DataScientist",)}
    assert denying_statements(docs, CREATE, {**noncompliant, **someone})
    assert denying_statements(docs, CREATE, {"aws:PrincipalArn": ("arn:aws:iam::111122223333:role/BreakGlass",)}) == []
    assert denying_statements(docs, CREATE, {**someone, "aws:PrincipalTag/break-glass": ("true",)}) == []
    assert denying_statements(docs, CREATE, {**someone, "aws:PrincipalTag/break-glass": ("no",)})


def test_remote_debug_is_denied_on_update_too() -> None:
    # UpdateTrainingJob carries sagemaker:EnableRemoteDebug (Service Authorization Reference).
    docs = scp_documents()
    turn_on = {"sagemaker:EnableRemoteDebug": (True,)}
    assert denying_statements(docs, "sagemaker:UpdateTrainingJob", turn_on) == ["RemoteDebugDisabled"]
    assert denying_statements(docs, "sagemaker:UpdateTrainingJob", {"sagemaker:EnableRemoteDebug": (False,)}) == []


@pytest.mark.parametrize(("arn", "tag"), [("bob", None), ("arn:aws:iam:111122223333:role/x", None), (None, "break-glass"), (None, "=x"), (None, "team=${aws:username}")])
def test_a_bad_exemption_is_a_one_line_error(arn: str | None, tag: str | None) -> None:
    with pytest.raises(ConfigError, match="expected"):
        Exemptions.parse([arn] if arn else [], [tag] if tag else [])


def test_the_iam_format_is_the_same_documents_indented() -> None:
    policies = load_policies(overrides=example_params())
    [(name, text)] = render(build(policies, "iam"))
    assert name.endswith(".iam.json") and text.startswith("{\n  ")
    assert [json.loads(text)] == list(build(policies, "scp").documents)
    [(_, boundary)] = render(build(policies, "iam", boundary=True))
    first = json.loads(boundary)["Statement"][0]
    assert first == {"Sid": "AllowWithinBoundary", "Effect": "Allow", "Action": "*", "Resource": "*"}


def test_the_cloudformation_template_is_cfn_lint_clean(tmp_path: Path) -> None:
    cfnlint = pytest.importorskip("cfnlint.api")
    policies = load_policies(overrides=example_params())
    [(name, text)] = render(build(policies, "cloudformation"))
    template = json.loads(text)
    resources = template["Resources"]
    assert [r["Properties"]["Content"] for r in resources.values()] == list(build(policies, "scp").documents)
    assert all(r["Type"] == "AWS::Organizations::Policy" and r["Properties"]["Type"] == "SERVICE_CONTROL_POLICY" for r in resources.values())
    assert "approved-image-registry" in template["Metadata"]["smscan"]["detect_only"]
    assert [str(m) for m in cfnlint.lint(text)] == []


def test_the_terraform_file_parses_and_carries_the_same_documents() -> None:
    hcl2 = pytest.importorskip("hcl2")
    policies = load_policies(overrides=example_params())
    [(name, text)] = render(build(policies, "terraform"))
    parsed = hcl2.loads(text)
    policy_blocks = [b for r in parsed["resource"] for t, named in r.items() if "aws_organizations_policy\"" in t or t == "aws_organizations_policy" for b in named.values()]
    contents = [json.loads(re.sub(r"^<<-EOT\s*|\s*EOT$", "", b["content"].strip('"'))) for b in policy_blocks]
    assert contents == list(build(policies, "scp").documents)
    assert "# Detect-only: approved-image-registry:" in text


def test_terraform_escapes_template_sequences() -> None:
    policies = load_policies()
    exemptions = Exemptions.parse([], ["team=%{x}"])  # %{ starts an HCL template directive
    text = render(build(policies, "terraform", exemptions))[0][1]
    assert "%%{x}" in text and re.search(r"(?<!%)%\{x\}", text) is None


def test_cli_writes_the_documents_and_reports_what_it_left_out(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "guardrails", "--format", "scp")
    assert code == 0
    doc = json.loads(out)
    assert doc["Statement"]
    assert re.search(r"^smscan: \d+ Deny statement\(s\) from \d+ policies in 1 document\(s\) of [\d,]+ characters \(limit 5,120", err, re.M)
    assert "smscan: detect-only: no-secrets-in-environment:" in err
    assert "smscan: not generated: vpc-allowed-subnets: param allowed_subnets is empty" in err
    code, _, err = run_cli(capsys, "guardrails", "--max-size", "900", "--output-dir", tmp_path, "-q")
    assert code == 0 and err == ""
    assert len(list(tmp_path.glob("smscan-guardrails-*.scp.json"))) > 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--select", "no-such-policy"], "smscan: error: --select/--skip 'no-such-policy' matches no policy"),
        (["--param", "max-runtime-limit.max_runtime_seconds=a day"], "smscan: error: param max-runtime-limit.max_runtime_seconds: expected a number"),
        (["--param", "no-such-policy.x=1"], "smscan: error: param override for unknown policy 'no-such-policy'"),
        (["--param", "oops"], "smscan: error: --param 'oops': expected POLICY-ID.NAME=VALUE"),
        (["--exempt-principal", "bob"], "smscan: error: --exempt-principal 'bob': expected an IAM ARN"),
        (["--boundary"], "smscan: error: --boundary applies to --format iam only"),
        (["--max-size", "900"], "smscan: error: the guardrails need"),
        (["--select", "no-secrets-*"], "smscan: error: no guardrail statement to write: no-secrets-in-environment (detect-only)"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, out, err = run_cli(capsys, "guardrails", *argv)
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1


def test_the_docs_quote_the_builtin_figures_as_they_are() -> None:
    text = (Path(__file__).parents[1] / "docs" / "GUARDRAILS.md").read_text()
    found = re.search(r"(\d+) Deny statements from (\d+) policies in \*\*one SCP of ([\d,]+)\s+characters\*\*", text)
    assert found, "docs/GUARDRAILS.md no longer states the built-in figures"
    guardrails = build(load_policies(), "scp")
    assert len(guardrails.documents) == 1
    assert (int(found[1]), int(found[2]), int(found[3].replace(",", ""))) == (
        len(guardrails.compiled.statements), len(guardrails.compiled.preventable), size(guardrails.documents[0])
    )
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert f"{found[1]} statements from {found[2]} policies in one {found[3]}-character SCP" in readme


def test_volume_kms_guardrail_exempts_exactly_the_instance_families_its_check_does() -> None:
    # The detective `when` and the guardrail each list the instance families with local NVMe
    # storage (where AWS refuses a volume key); the two lists must not drift apart.
    [policy] = [p for p in load_policies() if p.id == "volume-kms-encryption"]
    text = Path(policy.info.source_path).read_text()
    families = set(re.findall(r"\^ml\\\.\(([a-z0-9|]+)\)\\\.", text)[0].split("|"))
    [rule] = policy.prevent.rules if policy.prevent else []
    [types] = [c.values for c in rule.conditions if c.key == "sagemaker:InstanceTypes"]
    assert {t.removeprefix("ml.").removesuffix(".*") for t in types} == families
