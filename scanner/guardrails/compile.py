"""Policies -> Deny statements: one per `deny_when` entry, named after its policy, exemptions added.

Statements whose actions and conditions are identical (two policies asking for the same
thing) are merged into one. Everything is sorted, so the same pack and params always give
byte-identical output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smscan.errors import ConfigError
from smscan.policy.model import Policy
from smscan.policy.prevent import DenyRule

ConditionBlock = Mapping[str, Mapping[str, Any]]
_ARN = re.compile(r"^arn:[a-z*?-]*:[a-z0-9*?-]*:[a-z0-9*?-]*:[0-9*?]*:.+$")
_TAG_KEY = re.compile(r"^[\w.:/=+@ -]{1,128}$")


@dataclass(frozen=True)
class Exemptions:
    """Break-glass principals that no guardrail statement applies to (either kind suffices)."""

    principal_arns: tuple[str, ...] = ()
    principal_tags: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, arns: Sequence[str], tags: Sequence[str]) -> Exemptions:
        for arn in arns:
            if not _ARN.match(arn):
                raise ConfigError(f"--exempt-principal {arn!r}: expected an IAM ARN such as arn:aws:iam::111122223333:role/BreakGlass (* and ? allowed)")
        pairs = []
        for text in tags:
            key, sep, value = text.partition("=")
            if not sep or not _TAG_KEY.match(key) or not value:
                raise ConfigError(f"--exempt-tag {text!r}: expected KEY=VALUE, e.g. break-glass=true")
            if "${" in value:
                raise ConfigError(f"--exempt-tag {text!r}: expected a value without ${{...}}, which IAM reads as a policy variable")
            pairs.append((key, value))
        return cls(tuple(sorted(set(arns))), tuple(sorted(set(pairs))))

    def condition(self) -> dict[str, dict[str, Any]]:
        block: dict[str, dict[str, Any]] = {}
        if self.principal_arns:
            block["ArnNotLike"] = {"aws:PrincipalArn": _one_or_list(self.principal_arns)}
        if self.principal_tags:
            by_key: dict[str, list[str]] = {}
            for key, value in self.principal_tags:
                by_key.setdefault(f"aws:PrincipalTag/{key}", []).append(value)
            block["StringNotEquals"] = {k: _one_or_list(v) for k, v in by_key.items()}
        return block


@dataclass(frozen=True)
class Statement:
    sid: str
    policy_ids: tuple[str, ...]
    actions: tuple[str, ...]
    condition: Mapping[str, Mapping[str, Any]] = field(hash=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "Sid": self.sid,
            "Effect": "Deny",
            "Action": list(self.actions),
            "Resource": "*",
            "Condition": {op: dict(block) for op, block in self.condition.items()},
        }


@dataclass(frozen=True)
class Compiled:
    statements: tuple[Statement, ...]
    preventable: tuple[str, ...]  # policy ids with at least one statement
    detect_only: tuple[tuple[str, str], ...]  # (policy id, reason)
    skipped: tuple[tuple[str, str], ...]  # (policy id, why a statement was left out)
    unmapped: tuple[str, ...]  # policies without a prevent: section


def compile_guardrails(policies: Iterable[Policy], exemptions: Exemptions | None = None) -> Compiled:
    exemptions = exemptions or Exemptions()
    statements: list[Statement] = []
    detect_only, skipped, unmapped, preventable = [], [], [], []
    for policy in sorted(policies, key=lambda p: p.id):
        prevent = policy.prevent
        if prevent is None:
            unmapped.append(policy.id)
            continue
        if prevent.detect_only is not None:
            detect_only.append((policy.id, prevent.detect_only))
            continue
        made = 0
        live = [r for r in prevent.rules if r.empty_param is None]
        for rule in prevent.rules:
            if rule.empty_param is not None:
                skipped.append((policy.id, f"param {rule.empty_param} is empty"))
                continue
            statements.append(_statement(policy.id, rule, live, exemptions))
            made += 1
        if made:
            preventable.append(policy.id)
    return Compiled(_merge(statements), tuple(preventable), tuple(detect_only), tuple(skipped), tuple(unmapped))


def rule_condition(rule: DenyRule) -> dict[str, dict[str, Any]]:
    block: dict[str, dict[str, Any]] = {}
    for cond in rule.conditions:
        block.setdefault(cond.operator, {})[cond.key] = _one_or_list(cond.values)
    return block


def _statement(policy_id: str, rule: DenyRule, rules: list[DenyRule], exemptions: Exemptions) -> Statement:
    condition = rule_condition(rule)
    for operator, keys in exemptions.condition().items():
        condition.setdefault(operator, {}).update(keys)
    sid = camel(policy_id)
    if rule.label:
        sid += camel(rule.label)
    elif len(rules) > 1:
        sid += str(rules.index(rule) + 1)
    ordered = {op: dict(sorted(condition[op].items())) for op in sorted(condition)}
    return Statement(sid, (policy_id,), rule.actions, ordered)


def camel(text: str) -> str:
    """`network-isolation` -> `NetworkIsolation`: a Sid allows only [A-Za-z0-9]."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def _merge(statements: list[Statement]) -> tuple[Statement, ...]:
    merged: dict[str, Statement] = {}
    for st in statements:
        key = json.dumps([st.actions, st.condition], sort_keys=True)
        if key in merged:
            first = merged[key]
            st = Statement(first.sid + st.sid, first.policy_ids + st.policy_ids, st.actions, st.condition)
        merged[key] = st
    out = sorted(merged.values(), key=lambda s: s.sid)
    seen: set[str] = set()
    for st in out:
        if st.sid in seen:
            raise ConfigError(f"two guardrail statements are both named {st.sid}: rename one of the policies")
        seen.add(st.sid)
    return tuple(out)


def _one_or_list(values: Sequence[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else list(values)
