"""IAM condition operator names: parsed once, shared by the `prevent:` validator and the evaluator.

Only the operators a training-job guardrail needs (String*, Numeric*, Bool, Arn*, Null, with
the ForAnyValue:/ForAllValues: set prefixes and the IfExists suffix); anything else is
refused, never guessed. Reference:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from __future__ import annotations

from dataclasses import dataclass

from smscan.guardrails.keys import ConditionKey, KeyType

_BASES = {
    "StringEquals": "String", "StringNotEquals": "String",
    "StringEqualsIgnoreCase": "String", "StringNotEqualsIgnoreCase": "String",
    "StringLike": "String", "StringNotLike": "String",
    "NumericEquals": "Numeric", "NumericNotEquals": "Numeric",
    "NumericLessThan": "Numeric", "NumericLessThanEquals": "Numeric",
    "NumericGreaterThan": "Numeric", "NumericGreaterThanEquals": "Numeric",
    "Bool": "Bool",
    "ArnEquals": "Arn", "ArnLike": "Arn", "ArnNotEquals": "Arn", "ArnNotLike": "Arn",
    "Null": "Null",
}
_SET_PREFIXES = ("ForAnyValue", "ForAllValues")
_FAMILY_OF_KEY = {KeyType.STRING: "String", KeyType.ARN: "Arn", KeyType.NUMERIC: "Numeric", KeyType.BOOL: "Bool"}


@dataclass(frozen=True)
class Operator:
    text: str
    base: str
    set_op: str | None
    if_exists: bool

    @property
    def family(self) -> str:
        return _BASES[self.base]

    @property
    def negated(self) -> bool:
        return "Not" in self.base


def parse_operator(text: str) -> Operator:
    """Raises ValueError with a message fit for a policy problem."""
    set_op, _, rest = text.rpartition(":")
    if set_op and set_op not in _SET_PREFIXES:
        raise ValueError(f"unknown set operator {set_op!r} (expected ForAnyValue or ForAllValues)")
    base = rest.removesuffix("IfExists")
    if base not in _BASES:
        raise ValueError(f"unknown condition operator {text!r} (expected one of {', '.join(_BASES)}, "
                         "optionally with ForAnyValue:/ForAllValues: or IfExists)")
    operator = Operator(text, base, set_op or None, rest.endswith("IfExists"))
    if base == "Null" and (operator.set_op or operator.if_exists):
        raise ValueError("Null takes no set operator and no IfExists")
    return operator


def fits(operator: Operator, key: ConditionKey) -> str | None:
    """Why `operator` cannot be used on `key`, or None when it can."""
    if operator.family == "Null":
        return None
    wanted = _FAMILY_OF_KEY[key.type]
    if operator.family != wanted:
        return f"{key.name} is of type {key.type.value}: use a {wanted}* operator"
    if key.multivalued and not operator.set_op:
        return f"{key.name} is multivalued: prefix the operator with ForAnyValue: or ForAllValues:"
    if not key.multivalued and operator.set_op:
        # With a single-valued key a set operator changes what an absent key means (IAM docs:
        # "can result in overly permissive policies"), so it is refused rather than second-guessed.
        return f"{key.name} is single-valued: use {operator.base} without {operator.set_op}:"
    return None
