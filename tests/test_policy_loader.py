"""Loading reports every problem at once, each as FILE:LINE:COL: policy ID: field: problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from smscan.errors import ConfigError, PolicyError
from smscan.policy.loader import load_policies
from tests.policy_helpers import write_policy


def problems(tmp_path: Path, body: str, header: bool = True) -> list[str]:
    path = write_policy(tmp_path, body, header=header)
    with pytest.raises(PolicyError) as info:
        load_policies([path])
    return [str(p).replace(str(path), "P") for p in info.value.problems]


def test_every_problem_of_a_file_is_reported_with_position(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
colour: blue
check:
  all:
    - path: $.enable_network_isolation
      equalz: true
    - path: $.vpc_config.Subnets[
      exists: true
    - path: $.no_such_field
      exists: true
    - path: $.tags.x
      matches: "(a+)+$"
    - path: $.tags.y
      le: {param: missing}
""",
    )
    assert found == [
        "P:5:1: policy test-policy: colour: unknown key (expected one of id, title, severity, description, check, rationale, remediation, references, frameworks, params, when, message, examples)",
        "P:9:7: policy test-policy: check.all[0].equalz: unknown operator 'equalz' (expected one of exists, absent, empty, not_empty, no_secrets, equals, not_equals, in, not_in, matches, not_matches, contains, starts_with, has_keys, gt, ge, lt, le, length_ge, length_le)",
        "P:10:7: policy test-policy: check.all[1].path: invalid JSONPath '$.vpc_config.Subnets[': Parse error near the end of string!",
        "P:12:7: policy test-policy: check.all[2].path: unknown record field 'no_such_field' (expected a seed-schema field such as enable_network_isolation)",
        "P:15:7: policy test-policy: check.all[3].matches: nested unbounded quantifier (like (a+)+) can take exponential time; rewrite it without a repeat inside a repeat (expected a regular expression)",
        "P:17:7: policy test-policy: check.all[4].le.param: unknown param 'missing' (declared: none)",
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("check:\n  path: $.x\n\texists: true\n", "P:7:1: policy test-policy: invalid YAML: tab characters are not allowed for indentation"),
        ("check: {path: $.tags, exists: true}\ncheck: {path: $.tags, absent: true}\n", "P:6:1: policy test-policy: duplicate key 'check' (first defined at line 5)"),
        ("x: &a [1]\ncheck: *a\n", "P:5:4: policy test-policy: anchors (&name) are not supported"),
        ("check: {path: $.tags, exists: false}\n", "P:5:23: policy test-policy: check.exists: expected true (write the opposite operator instead of exists: false)"),
        ("check: {path: $.tags, in: 3}\n", "P:5:23: policy test-policy: check.in: expected a list (expected a list)"),
        ("check: {path: $.tags, exists: true, absent: true}\n", "P:5:8: policy test-policy: check: expected exactly one operator, got 2 (exists, absent)"),
        ("check: {path: $.tags, exists: true}\nmessage: '{{ x.__class__ }}'\n", "P:6:1: policy test-policy: message: template reaches for a private attribute (names starting with '_' are refused by the sandbox)"),
        ("check: {path: $.tags, exists: true}\nreferences: [ftp://x]\n", "P:6:14: policy test-policy: references[0]: expected an http(s) URL"),
    ],
)
def test_single_problems(tmp_path: Path, body: str, expected: str) -> None:
    # The queried policy file has the 4-line header, so the body starts at line 5.
    assert expected in problems(tmp_path, body)


def test_wrong_id_and_severity(tmp_path: Path) -> None:
    body = "id: Other_Id\ntitle: t\nseverity: urgent\ndescription: d\ncheck: {path: $.tags, exists: true}\n"
    found = problems(tmp_path, body, header=False)
    assert found == [
        "P:1:1: policy Other_Id: id: expected a kebab-case id such as network-isolation",
        "P:3:1: policy Other_Id: severity: unknown severity 'urgent' (expected info|low|medium|high|critical)",
    ]


def test_problems_of_several_files_and_duplicate_ids_are_all_reported(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    write_policy(a, "check: {path: $.tags, exists: true}\n")
    write_policy(b, "check: {path: $.tags, exists: true}\n")
    write_policy(b, "check: {path: $.tags, bogus: true}\n", policy_id="other")
    with pytest.raises(PolicyError) as info:
        load_policies([a, b])
    found = sorted(str(p) for p in info.value.problems)
    assert len(found) == 2
    assert "unknown operator 'bogus'" in found[0]
    assert found[1].startswith(f"{b / 'test-policy.yaml'}:1:1: policy test-policy: id: duplicate policy id (first defined at {a / 'test-policy.yaml'}:1)")


def test_non_utf8_and_bom_and_size_limit(tmp_path: Path) -> None:
    bad = tmp_path / "bad-bytes.yaml"
    bad.write_bytes(b"id: bad-bytes\ntitle: \xff\xfe\n")
    with pytest.raises(PolicyError) as info:
        load_policies([bad])
    assert [str(p) for p in info.value.problems] == [f"{bad}:2:8: policy bad-bytes: not valid UTF-8"]
    bom = write_policy(tmp_path, "check: {path: $.tags, exists: true}\n", policy_id="bom")
    bom.write_bytes(b"\xef\xbb\xbf" + bom.read_bytes())
    assert [p.id for p in load_policies([bom])] == ["bom"]


def test_param_overrides_are_type_checked(tmp_path: Path) -> None:
    path = write_policy(tmp_path, "params: {limit: 10}\ncheck: {path: $.tags, length_le: {param: limit}}\n")
    [policy] = load_policies([path], {"test-policy": {"limit": 3}})
    assert policy.info.params == {"limit": 3}
    with pytest.raises(ConfigError, match="param test-policy.limit: expected a number like the default 10, got a list"):
        load_policies([path], {"test-policy": {"limit": [1]}})
    with pytest.raises(ConfigError, match="has no param 'nope'"):
        load_policies([path], {"test-policy": {"nope": 1}})
    with pytest.raises(ConfigError, match="unknown policy 'ghost'"):
        load_policies([path], {"ghost": {"x": 1}})


def test_builtin_pack_loads_with_metadata() -> None:
    policies = load_policies()
    assert len(policies) >= 16
    for policy in policies:
        info = policy.info
        assert info.title and info.description and info.rationale, info.id
        assert info.remediation.get("summary"), info.id
        assert info.references and info.frameworks, info.id
        assert Path(info.source_path).stem == info.id
        assert info.pack_relpath == f"policies/{info.id}.yaml"
        assert Path(info.source_path).read_text().splitlines()[info.source_line - 1].startswith("id:")


def test_builtin_policy_examples_all_agree() -> None:
    from smscan.cli.policy import example_failures

    policies = load_policies()
    assert example_failures(policies) == []
    for policy in policies:
        kinds = {e.expected.value for e in policy.examples}
        assert {"PASS", "FAIL"} <= kinds, policy.id
