"""Step Functions spellings: which Task states create a training job, and `${...}` placeholders.

A Task creates a SageMaker training job when its Resource is the optimized integration
`arn:PARTITION:states:::sagemaker:createTrainingJob` (request-response, `.sync`,
`.waitForTaskToken`) or the SDK integration `arn:PARTITION:states:::aws-sdk:sagemaker:createTrainingJob`.
Real definitions write PARTITION as `aws`, `aws-cn`, `aws-us-gov` ..., or as a placeholder
filled at deploy time: `${AWS::Partition}` (Fn::Sub), `${partition}` (SAM/CloudFormation
DefinitionSubstitutions), or CDK's `Fn::Join` of "arn:", {"Ref": "AWS::Partition"} and
":states:::sagemaker:createTrainingJob.sync". Every one of them is the same kind of task:
matching only the literal `arn:aws` would let a training job pass the gate unchecked.

A definition held outside a template (a SAM `DefinitionUri` file, an `.asl.json` next to a
Terraform module) keeps its `${Name}` placeholders: `substitute_tree` fills the literal ones
and turns the others into `RunTime` leaves, so a policy that reads them is UNKNOWN.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smscan.sources.requests.runtime import RunTime
from smscan.yamlpos import YList, YMap

_PARTITION = r"(?:aws(?:-[a-z]+)*|\$\{[^}]{1,100}\})"
TRAINING_RESOURCE = re.compile(
    rf"arn:{_PARTITION}:states:::(?:aws-sdk:)?sagemaker:createTrainingJob"
    r"(?:\.sync(?::2)?|\.waitForTaskToken)?"
)
PLACEHOLDER = re.compile(r"\$\{([^}]{1,200})\}")
# Private-use characters mark a value computed at deploy time inside a string being
# assembled (Fn::Join, Fn::Sub, DefinitionSubstitutions); they cannot occur in AWS names.
OPEN, CLOSE = "\ue000", "\ue001"
_TOKEN = re.compile(f"{OPEN}(\\d{{1,6}}){CLOSE}")
_MATTERS = re.compile(f'["\\\\]|\\$\\{{|{OPEN}')


def is_training_resource(resource: Any) -> bool:
    """True for every spelling of the createTrainingJob integration (see the module doc)."""
    if isinstance(resource, RunTime):
        # Assembled at deploy time: only its partition may be unknown, the rest must match.
        resource = _template_text(resource.expression)
    return isinstance(resource, str) and TRAINING_RESOURCE.fullmatch(resource) is not None


def _template_text(expression: str) -> str:
    """A Terraform string template keeps its quotes in its source text
    (`"arn:${data.aws_partition.current.partition}:states:::..."`): the string is inside them."""
    quoted = len(expression) >= 2 and expression[0] == expression[-1] == '"'
    return expression[1:-1] if quoted and "${" in expression else expression


# What a Task runs when its Resource is a reference to one of these (a CloudFormation Ref /
# GetAtt in the same template, a Terraform `aws_lambda_function.x.arn`): that resource's
# ARN, never a service integration such as sagemaker:createTrainingJob.
TASK_TARGET_TYPES = frozenset(
    {
        "AWS::Lambda::Function",
        "AWS::Lambda::Alias",
        "AWS::Lambda::Version",
        "AWS::Serverless::Function",
        "AWS::StepFunctions::Activity",
        "aws_lambda_function",
        "aws_lambda_alias",
        "aws_sfn_activity",
    }
)
_TRAINING_SPELLINGS = tuple(
    f"arn:aws:states:::{sdk}sagemaker:createTrainingJob{suffix}"
    for sdk in ("", "aws-sdk:")
    for suffix in ("", ".sync", ".sync:2", ".waitForTaskToken")
)
_LITERAL_PARTITION = re.compile(r"^arn:aws(?:-[a-z]+)+:")
_SHOWN_PART = re.compile(r"\$\{[^}]*\}")


def undecided_resource(resource: Any) -> str | None:
    """What decides a Task's Resource when it is decided at deploy time and may still be a
    createTrainingJob integration (`!Ref TaskArn`, `"${TaskArn}"`, `arn:aws:states:::${Api}`);
    None when it is literal, is a training resource already, or cannot be one (a Lambda
    function of the template, `arn:aws:lambda:${AWS::Region}:...`)."""
    if isinstance(resource, RunTime):
        if resource.resource_type in TASK_TARGET_TYPES:
            return None
        expression, how = _template_text(resource.expression), resource.how
        if expression and "${" not in expression and not expression.startswith("arn:"):
            return how  # a whole expression (Terraform's var.task_arn): nothing to rule it out
    elif isinstance(resource, str) and PLACEHOLDER.search(resource):
        expression, how = resource, "a placeholder filled at deploy time"  # read without its template
    else:
        return None
    if is_training_resource(resource) or (expression and not _may_be_training(expression)):
        return None
    return how


def _may_be_training(expression: str) -> bool:
    """True when some value of the `${...}` parts makes `expression` a training resource."""
    literal = _LITERAL_PARTITION.sub("arn:aws:", expression)
    pattern = ".*".join(re.escape(part) for part in _SHOWN_PART.split(literal))
    return any(re.fullmatch(pattern, spelling, re.DOTALL) for spelling in _TRAINING_SPELLINGS)


@dataclass
class Tokens:
    """Values known only at deploy time, each standing in a string as OPEN n CLOSE."""

    parts: list[RunTime] = field(default_factory=list)

    def token(self, value: RunTime) -> str:
        self.parts.append(value)
        return f"{OPEN}{len(self.parts) - 1}{CLOSE}"

    def shown(self, text: str) -> str:
        """The text as a person reads it: each token written as ${...}."""
        return _TOKEN.sub(lambda m: "${" + _name(self.part(m)) + "}", text)

    def part(self, match: re.Match[str]) -> RunTime:
        index = int(match[1])
        if index < len(self.parts):
            return self.parts[index]
        # The file itself holds these private-use characters: whatever it means, it is no
        # literal smscan can vouch for.
        return RunTime("characters smscan reserves for deploy-time values", "${?}")

    def value(self, text: str) -> Any:
        """A literal string, or a RunTime naming what decides it."""
        found = [self.part(m) for m in _TOKEN.finditer(text)]
        if not found:
            return text
        if len(found) == 1 and _TOKEN.fullmatch(text):
            return found[0]
        how = found[0].how + (f" and {len(found) - 1} more value(s)" if len(found) > 1 else "")
        return RunTime(how, self.shown(text))


def _name(value: RunTime) -> str:
    return value.expression.removeprefix("${").removesuffix("}") if value.expression else value.how


def placeholder(name: str) -> RunTime:
    return RunTime(f"placeholder ${{{name}}} filled at deploy time", "${" + name + "}")


def substitute_text(text: str, substitutions: Mapping[str, Any], tokens: Tokens) -> str:
    """`${Name}` in JSON text replaced by its literal value, or a token when not literal.

    Outside a JSON string a token is written as a quoted string, so the text still parses
    (SAM allows `"TimeoutSeconds": ${Timeout}`). Line breaks are never added or removed,
    so line numbers stay those of the file.
    """
    if "${" not in text and OPEN not in text:
        return text
    out: list[str] = []
    in_string = False
    at = 0
    # Jump from one character that matters to the next: definitions run to megabytes.
    for match in _MATTERS.finditer(text):
        if match.start() < at:
            continue  # inside a piece already handled
        out.append(text[at : match.start()])
        at, char = match.start(), match[0]
        if char == "\\" and in_string:  # an escape: the next character is never a delimiter
            out.append(text[at : at + 2])
            at += 2
        elif char == '"':
            in_string = not in_string
            out.append(char)
            at += 1
        elif char == "${" and (placeholder_match := PLACEHOLDER.match(text, at)):
            out.append(_filled(placeholder_match[1], substitutions, tokens, in_string))
            at = placeholder_match.end()
        elif char == OPEN and (token := _TOKEN.match(text, at)):
            # a token already in the text (Fn::Join): keep it, quoted outside a string
            out.append(token[0] if in_string else f'"{token[0]}"')
            at = token.end()
        else:
            out.append(char)
            at += len(char)
    out.append(text[at:])
    return "".join(out)


def _filled(name: str, substitutions: Mapping[str, Any], tokens: Tokens, in_string: bool) -> str:
    value = substitutions.get(name, placeholder(name))
    if isinstance(value, RunTime):
        piece = tokens.token(value)
        return piece if in_string else f'"{piece}"'
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = str(value)
    else:
        text = str(value)
        return json.dumps(text)[1:-1] if in_string else json.dumps(text)
    return text


def substitute_tree(value: Any, substitutions: Mapping[str, Any], tokens: Tokens) -> Any:
    """The same for a parsed definition: strings with `${Name}` or tokens are resolved."""
    if isinstance(value, YMap):
        result = YMap((k, substitute_tree(v, substitutions, tokens)) for k, v in value.items())
        result.pos, result.key_pos = value.pos, value.key_pos
        return result
    if isinstance(value, YList):
        items = YList(substitute_tree(v, substitutions, tokens) for v in value)
        items.pos, items.item_pos = value.pos, value.item_pos
        return items
    if not isinstance(value, str) or ("${" not in value and OPEN not in value):
        return value
    whole = PLACEHOLDER.fullmatch(value)
    if whole is not None:
        literal = substitutions.get(whole[1])
        if literal is not None and not isinstance(literal, RunTime):
            return literal  # a number or boolean keeps its type, as DefinitionSubstitutions do
    text = PLACEHOLDER.sub(lambda m: _filled_tree(m[1], substitutions, tokens), value)
    return tokens.value(text)


def _filled_tree(name: str, substitutions: Mapping[str, Any], tokens: Tokens) -> str:
    value = substitutions.get(name, placeholder(name))
    if isinstance(value, RunTime):
        return tokens.token(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
