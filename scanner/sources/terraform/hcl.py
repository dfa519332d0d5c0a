"""Read a Terraform `.tf` file into blocks, attributes and values that remember their lines.

python-hcl2 parses HCL2 faithfully, but its dict output drops line numbers (its
`with_meta` option is not honoured by the 8.x serializer) and turns every
expression into `"${...}"` text. Findings must point at the argument that set a
value, so this module walks python-hcl2's rule tree instead, whose every rule keeps
the line where it starts, and keeps only what a reader needs: literals, objects,
tuples, function calls (by name, with their arguments), heredoc templates, and the
source text of anything else. Nothing is evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import hcl2
from hcl2.rules.base import AttributeRule, BlockRule, BodyRule
from hcl2.rules.containers import ObjectRule, TupleRule
from hcl2.rules.expressions import ExprTermRule
from hcl2.rules.functions import FunctionCallRule
from hcl2.rules.literal_rules import FloatLitRule, IntLitRule, LiteralValueRule
from hcl2.rules.strings import HeredocTemplateRule, InterpolationRule, StringRule
from hcl2.utils import SerializationOptions
from lark.exceptions import LarkError, UnexpectedInput

_AS_VALUE = SerializationOptions(with_comments=False, strip_string_quotes=True)
_AS_SOURCE = SerializationOptions(with_comments=False)
_HEREDOC = re.compile(r"<<(-?)([A-Za-z][\w.-]*)\r?\n(.*)", re.DOTALL)
_NUMBER = re.compile(r"-\s*\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


class HclProblem(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        self.line = line
        super().__init__(message)


@dataclass(frozen=True)
class Lit:
    """A literal: str, int, float, bool or None."""

    value: Any
    line: int


@dataclass(frozen=True)
class Expr:
    """Anything Terraform computes: a reference, an operator, a string with `${...}`."""

    text: str
    line: int


@dataclass(frozen=True)
class Template:
    """A heredoc holding `${...}` interpolations; `line` is its first content line."""

    text: str
    line: int


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    text: str
    line: int


@dataclass(frozen=True)
class Obj:
    items: tuple[tuple[str, Node, int], ...]  # key, value, line of the key
    line: int

    def get(self, key: str) -> Node | None:
        for name, value, _ in self.items:
            if name == key:
                return value
        return None


@dataclass(frozen=True)
class Tup:
    items: tuple[Node, ...]
    line: int


Node = Lit | Expr | Template | Call | Obj | Tup


@dataclass(frozen=True)
class Attr:
    name: str
    value: Node
    line: int


@dataclass
class Block:
    type: str
    labels: tuple[str, ...]
    line: int
    attrs: dict[str, Attr] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def children(self, type_: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_]


def parse_tf(text: str) -> Block:
    """The file as one body block (type ""). Raises HclProblem."""
    try:
        tree = hcl2.parses(text, discard_comments=True)
    except UnexpectedInput as err:
        token = getattr(err, "token", None) or getattr(err, "char", None) or ""
        shown = repr(str(token).rstrip()[:20]) if str(token).strip() else "end of file"
        raise HclProblem(f"invalid HCL at line {err.line} column {err.column}: unexpected {shown}", err.line) from None
    except LarkError as err:
        raise HclProblem(f"invalid HCL: {str(err).strip().splitlines()[0] if str(err).strip() else 'cannot be parsed'}", None) from None
    except RecursionError:
        raise HclProblem("invalid HCL: nested too deeply to read", None) from None
    except RuntimeError as err:  # python-hcl2 refuses an argument defined twice this way
        raise HclProblem(f"invalid HCL: {err}", None) from None
    root = Block("", (), 1)
    try:
        _body(tree.body, root)
    except RecursionError:
        raise HclProblem("invalid HCL: nested too deeply to read", None) from None
    return root


def _line(rule: Any, default: int) -> int:
    return int(getattr(getattr(rule, "_meta", None), "line", default) or default)


def _body(body: BodyRule, into: Block) -> None:
    for child in body.children:
        if isinstance(child, AttributeRule):
            name = str(child.identifier.serialize(_AS_VALUE))
            line = _line(child, into.line)
            into.attrs[name] = Attr(name, node(child.expression, line), line)
        elif isinstance(child, BlockRule):
            labels = [_label(label) for label in child.labels]
            block = Block(labels[0], tuple(labels[1:]), _line(child, into.line))
            _body(child.body, block)
            into.blocks.append(block)


def _label(rule: Any) -> str:
    return str(rule.serialize(_AS_VALUE))


def node(rule: Any, line: int) -> Node:
    """One expression as a Node; `line` is used where the rule has no position."""
    line = _line(rule, line)
    while isinstance(rule, ExprTermRule) and not rule.parentheses:
        rule = rule.expression
    if isinstance(rule, StringRule):
        if any(_is_dynamic_part(part) for part in rule.string_parts):
            return Expr(source(rule), line)
        # `$${` and `%%{` are HCL's escapes for a literal `${` / `%{`
        return Lit(str(rule.serialize(_AS_VALUE)).replace("$${", "${").replace("%%{", "%{"), line)
    if isinstance(rule, (LiteralValueRule, IntLitRule, FloatLitRule)):
        value = rule.serialize(_AS_VALUE)
        if isinstance(value, (bool, int, float)) or value is None:
            return Lit(value, line)
        return Lit(None, line) if value == "null" else Expr(str(value), line)
    if isinstance(rule, HeredocTemplateRule):
        text = _heredoc_body(str(rule.heredoc.serialize()))
        content_line = line + 1  # the body starts on the line after <<EOF
        return Template(text, content_line) if "${" in text or "%{" in text else Lit(text, content_line)
    if isinstance(rule, ObjectRule):
        items = []
        for element in rule.elements:
            key = element.key.serialize(_AS_VALUE)
            key_line = _line(element, line)
            items.append((str(key), node(element.expression, key_line), key_line))
        return Obj(tuple(items), line)
    if isinstance(rule, TupleRule):
        return Tup(tuple(node(item, line) for item in rule.elements), line)
    if isinstance(rule, FunctionCallRule):
        name = "::".join(str(i.serialize(_AS_VALUE)) for i in rule.identifiers)
        arguments = rule.arguments
        args = tuple(node(a, line) for a in arguments.arguments) if arguments is not None else ()
        return Call(name, args, source(rule), line)
    text = source(rule)
    if _NUMBER.fullmatch(text):  # a negative number is an operator applied to a literal
        number = text.replace(" ", "")
        return Lit(float(number) if "." in number or "e" in number.lower() else int(number), line)
    return Expr(text, line)


def _heredoc_body(raw: str) -> str:
    """The text of `<<EOT ... EOT` / `<<-EOT ... EOT` as Terraform gives it.

    python-hcl2's own value of a `<<-` heredoc escapes its quotes (8.1.4), which would
    turn a JSON definition into invalid JSON; the token is cut here instead.
    """
    match = _HEREDOC.match(raw)
    if match is None:
        return raw
    trim, marker, body = match.groups()
    lines = body.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and lines[-1].strip() == marker:
        lines.pop()
    if trim:
        cut = min((len(line) - len(line.lstrip(" ")) for line in lines if line.strip()), default=0)
        lines = [line[cut:] for line in lines]
    return "\n".join(line.rstrip("\r") for line in lines)


def _is_dynamic_part(part: Any) -> bool:
    content = getattr(part, "content", None)
    if isinstance(content, InterpolationRule):
        return True
    name = content.lark_name() if content is not None and hasattr(content, "lark_name") else ""
    return name not in ("STRING_CHARS", "ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE")


def source(rule: Any) -> str:
    """The expression as Terraform source text (without the "${...}" wrapper of the serializer)."""
    try:
        text = str(rule.serialize(_AS_SOURCE))
    except (RuntimeError, ValueError, TypeError, AttributeError):  # text for a message only
        return "(expression)"
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    return text if len(text) <= 120 else text[:117] + "..."

