"""CloudFormation intrinsic functions, evaluated only as far as a template makes them literal.

Templates are parsed, never executed. `!Ref`, `!Sub`, `!GetAtt`, `!Join`, `!If` ... (YAML
short form) become their long form (`{"Fn::Sub": ...}`) while the file is parsed, so JSON
and YAML templates share one tree. Then:

- `Fn::Sub` and `Fn::Join` whose every part is literal become that string;
- `Ref` to a parameter, a resource or a pseudo parameter (`AWS::Region`), `Fn::GetAtt`,
  `Fn::ImportValue`, `Fn::If`, `Fn::FindInMap`, `Fn::Select` ... are decided at deploy time:
  the value becomes a `RunTime` leaf, so a policy that reads it is UNKNOWN. A parameter's
  `Default` is never used: `--parameter-overrides` replaces it at deploy time.

A string assembled from literal and deploy-time parts (CDK's `Fn::Join` of a state machine
definition) carries tokens (see stepfunctions.Tokens) until it is parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smscan.sources.requests.runtime import RunTime
from smscan.sources.requests.stepfunctions import PLACEHOLDER, Tokens
from smscan.yamlpos import Pos, YList, YMap

_PSEUDO = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)


def cfn_tag(tag: str, value: Any, pos: Pos) -> YMap:
    """A YAML short-form tag (`!GetAtt Role.Arn`) as its long form (`Fn::GetAtt: [Role, Arn]`)."""
    name = tag[1:]
    key = name if name in ("Ref", "Condition") else f"Fn::{name}"
    if name == "GetAtt" and isinstance(value, str):
        parts = YList(value.split(".", 1))
        parts.pos, parts.item_pos = pos, [pos] * len(parts)
        value = parts
    node = YMap({key: value})
    node.pos, node.key_pos = pos, {key: pos}
    return node


def intrinsic(value: Any) -> tuple[str, Any] | None:
    """(function, argument) when `value` is one intrinsic function call."""
    if isinstance(value, YMap) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" or key.startswith("Fn::"):
            return key, arg
    return None


@dataclass(frozen=True)
class Intrinsics:
    """What a template declares, to say what decides each deploy-time value."""

    parameters: frozenset[str]
    defaults: frozenset[str]  # parameters with a Default
    resource_types: Mapping[str, str] = field(default_factory=dict, compare=False)  # logical id -> Type

    @classmethod
    def of(cls, template: YMap) -> Intrinsics:
        declared = template.get("Parameters")
        params = declared if isinstance(declared, YMap) else YMap()
        with_default = {n for n, d in params.items() if isinstance(d, YMap) and "Default" in d}
        resources = template.get("Resources")
        types = {
            name: resource["Type"]
            for name, resource in (resources.items() if isinstance(resources, YMap) else ())
            if isinstance(resource, YMap) and isinstance(resource.get("Type"), str)
        }
        return cls(frozenset(params), frozenset(with_default), types)

    def resolve(self, value: Any) -> Any:
        """The tree with every intrinsic either made literal or replaced by a RunTime leaf."""
        if intrinsic(value) is not None:
            tokens = Tokens()
            return tokens.value(self.text(value, tokens))
        if isinstance(value, YMap):
            result = YMap((k, self.resolve(v)) for k, v in value.items())
            result.pos, result.key_pos = value.pos, value.key_pos
            return result
        if isinstance(value, YList):
            items = YList(self.resolve(v) for v in value)
            items.pos, items.item_pos = value.pos, value.item_pos
            return items
        return value

    def text(self, value: Any, tokens: Tokens) -> str:
        """`value` as text, with a token wherever it depends on the deployment."""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, RunTime):
            return tokens.token(value)
        call = intrinsic(value)
        if call is None:
            return tokens.token(RunTime("a list or object where CloudFormation expects a string"))
        key, arg = call
        if key == "Ref" and isinstance(arg, str):
            return tokens.token(self.ref(arg))
        if key == "Fn::Sub":
            return self.sub(arg, tokens)
        if (
            key == "Fn::Join"
            and isinstance(arg, YList)
            and len(arg) == 2
            and isinstance(arg[0], str)  # a computed delimiter leaves nothing literal
            and isinstance(arg[1], YList)
        ):
            return arg[0].join(self.text(part, tokens) for part in arg[1])
        if key == "Fn::GetAtt" and isinstance(arg, YList):
            name = ".".join(str(p) for p in arg if isinstance(p, str))
            return tokens.token(self.get_att(name))
        if key == "Fn::If" and isinstance(arg, YList) and arg:
            return tokens.token(
                RunTime(f"CloudFormation Fn::If on condition {arg[0]}", "${Fn::If}")
            )
        return tokens.token(RunTime(f"CloudFormation {key}", "${" + key + "}"))

    def ref(self, name: str) -> RunTime:
        if name in _PSEUDO:
            return RunTime(f"CloudFormation pseudo parameter {name}", "${" + name + "}")
        if name in self.defaults:
            how = f"CloudFormation parameter {name}, whose Default can be overridden at deploy time"
            return RunTime(how, "${" + name + "}")
        if name in self.parameters:
            return RunTime(f"CloudFormation parameter {name}", "${" + name + "}")
        return RunTime(
            f"CloudFormation Ref to resource {name}", "${" + name + "}", self.resource_types.get(name, "")
        )

    def get_att(self, name: str) -> RunTime:
        """`Resource.Attribute`: decided at deploy time, of a resource whose Type is known."""
        kind = self.resource_types.get(name.split(".", 1)[0], "")
        return RunTime(f"CloudFormation Fn::GetAtt {name}", "${" + name + "}", kind)

    def sub(self, arg: Any, tokens: Tokens) -> str:
        variables: YMap = YMap()
        if isinstance(arg, YList) and arg and isinstance(arg[0], str):
            template = arg[0]
            if len(arg) > 1 and isinstance(arg[1], YMap):
                variables = arg[1]
        elif isinstance(arg, str):
            template = arg
        else:
            return tokens.token(
                RunTime("CloudFormation Fn::Sub of a computed string", "${Fn::Sub}")
            )

        def fill(match: Any) -> str:
            name = match[1]
            if name.startswith("!"):  # ${!Literal} is written as ${Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                return self.text(variables[name], tokens)
            if "." in name and name not in self.parameters:
                return tokens.token(self.get_att(name))
            return tokens.token(self.ref(name))

        return PLACEHOLDER.sub(fill, template)
