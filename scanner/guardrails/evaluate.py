"""A small evaluator of IAM Deny statements: enough to prove a guardrail on a policy's examples.

It implements the documented semantics of the operators `prevent:` may use
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):

- A Condition is the AND of its operators; an operator block is the AND of its keys; a key's
  list of policy values is an OR for positive operators and a NOR for negated ones
  (StringNotEquals [a, b] holds when the value is neither a nor b).
- A key absent from the request context: positive operators are false, negated operators
  (StringNotEquals, StringNotLike, ArnNotLike, NumericNotEquals ...) are TRUE, ...IfExists is true.
- ForAnyValue: false when the key is absent (even with a negated operator), else true when
  some value satisfies the operator. ForAllValues: TRUE when the key is absent, else true
  when every value does.
- Null "true" holds when the key is absent, Null "false" when it is present.
- ArnEquals and ArnLike both compare the six colon-separated parts one by one, with * and ?.

What it cannot decide (a single-valued operator given several context values, a number that
is not a number, a policy variable) raises EvaluationError: never a guessed allow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from smscan.guardrails.operators import Operator, parse_operator

Context = Mapping[str, Sequence[Any]]  # key -> its values (never empty); an absent key is not in it


class EvaluationError(ValueError):
    """The evaluator cannot decide a condition; the caller must treat it as a failed check."""


def denying_statements(documents: Iterable[Mapping[str, Any]], action: str, context: Context) -> list[str]:
    """Sids of the Deny statements of `documents` that match `action` in `context`."""
    sids = []
    for document in documents:
        statements = document.get("Statement", [])
        for statement in [statements] if isinstance(statements, dict) else statements:
            if statement.get("Effect") == "Deny" and statement_matches(statement, action, context):
                sids.append(str(statement.get("Sid", "")))
    return sids


def statement_matches(statement: Mapping[str, Any], action: str, context: Context) -> bool:
    if "NotAction" in statement or "NotResource" in statement:
        raise EvaluationError("NotAction / NotResource statements are not evaluated")
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    if not any(_like(action.lower(), pattern.lower()) for pattern in actions):
        return False
    return all(
        condition_holds(operator, key, values, context)
        for operator, block in statement.get("Condition", {}).items()
        for key, values in block.items()
    )


def condition_holds(operator_text: str, key: str, policy_values: Any, context: Context) -> bool:
    try:
        operator = parse_operator(operator_text)
    except ValueError as exc:
        raise EvaluationError(str(exc)) from None
    wanted = [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(policy_values)]
    if any("${" in v for v in wanted):
        raise EvaluationError(f"{key}: policy variables are not evaluated")
    present = key in context and len(context[key]) > 0
    if operator.base == "Null":
        return any((v.lower() == "true") != present for v in wanted)
    if not present:
        if operator.if_exists:
            return True
        if operator.set_op == "ForAllValues":
            return True
        if operator.set_op == "ForAnyValue":
            return False
        return operator.negated
    values = list(context[key])
    if operator.set_op == "ForAnyValue":
        return any(_one(operator, v, wanted) for v in values)
    if operator.set_op == "ForAllValues":
        return all(_one(operator, v, wanted) for v in values)
    if len(values) > 1:
        raise EvaluationError(f"{key} has {len(values)} values in the request but {operator.text} is single-valued")
    return _one(operator, values[0], wanted)


def _as_list(values: Any) -> list[Any]:
    return list(values) if isinstance(values, (list, tuple)) else [values]


def _one(operator: Operator, value: Any, wanted: list[str]) -> bool:
    """One context value against the policy values: OR of matches, negated for Not operators."""
    matched = any(_match(operator, value, w) for w in wanted)
    return not matched if operator.negated else matched


def _match(operator: Operator, value: Any, wanted: str) -> bool:
    family, base = operator.family, operator.base
    if family == "Bool":
        return _text(value).lower() == wanted.lower()
    if family == "Numeric":
        return _compare(base.removeprefix("Numeric").replace("Not", ""), _number(value), _number(wanted))
    text = _text(value)
    if family == "Arn":
        return _arn_like(text, wanted)
    if "IgnoreCase" in base:
        return text.lower() == wanted.lower()
    if "Like" in base:
        return _like(text, wanted)
    return text == wanted


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise EvaluationError(f"{value!r} is not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise EvaluationError(f"{value!r} is not a number") from None


def _compare(relation: str, left: float, right: float) -> bool:
    return {
        "Equals": left == right,
        "LessThan": left < right,
        "LessThanEquals": left <= right,
        "GreaterThan": left > right,
        "GreaterThanEquals": left >= right,
    }[relation]


@lru_cache(maxsize=512)
def _pattern(wildcard: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in wildcard)
    return re.compile("".join(parts), re.DOTALL)


def _like(text: str, wildcard: str) -> bool:
    return _pattern(wildcard).fullmatch(text) is not None


def _arn_like(text: str, wildcard: str) -> bool:
    have, want = text.split(":", 5), wildcard.split(":", 5)
    if len(have) != 6 or len(want) != 6:
        return False
    return all(_like(h, w) for h, w in zip(have, want, strict=True))
