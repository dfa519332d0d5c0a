"""Write a policy file and judge records with it, yamllint-style: check(policy, record) -> status."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from smscan.engine import Engine, Verdict
from smscan.models import Origin, Record
from smscan.policy.loader import load_policies
from smscan.policy.model import Policy

HEADER = """\
id: {id}
title: Test policy
severity: high
description: A policy written by a test.
"""


def write_policy(tmp_path: Path, body: str, policy_id: str = "test-policy", header: bool = True) -> Path:
    text = (HEADER.format(id=policy_id) if header else "") + textwrap.dedent(body)
    path = tmp_path / f"{policy_id}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_one(tmp_path: Path, body: str, **overrides: Any) -> Policy:
    path = write_policy(tmp_path, body)
    [policy] = load_policies([path], {"test-policy": overrides} if overrides else None)
    return policy


def judge(policy: Policy, data: dict[str, Any], explain: bool = True) -> Verdict:
    record = Record(data=data, origin=Origin("test", 1))
    return next(Engine([policy], explain_passed=explain).evaluate(record))
