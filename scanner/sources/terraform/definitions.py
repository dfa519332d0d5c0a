"""State machine and pipeline definitions written in Terraform, as document trees.

`aws_sfn_state_machine.definition` and `aws_sagemaker_pipeline.pipeline_definition`
hold JSON, written as `jsonencode({...})` (an HCL object), as a heredoc or string
(JSON text, often mixing Terraform's `${...}` with ASL's `$$.Execution` and `"Key.$"`
paths), or as `file(...)` / `templatefile(...)` of a file beside the module. Each is
turned into the same YMap tree a JSON file gives, with the `.tf` lines, so
`find_jobs` and `clean` treat it like any other definition. A Terraform
interpolation becomes a RunTime leaf: its value is only known at plan time.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smscan.sources.requests.jsonpos import JsonProblem, parse_json
from smscan.sources.requests.runtime import RunTime
from smscan.sources.terraform.hcl import Call, Expr, Lit, Node, Obj, Template
from smscan.sources.terraform.values import Resolver
from smscan.sources.walk import read_regular
from smscan.yamlpos import Pos, YList, YMap

DEFINITIONS = {"aws_sfn_state_machine": "definition", "aws_sagemaker_pipeline": "pipeline_definition"}
_SENTINEL = "\u2063tf{}\u2063"  # an invisible separator: valid in JSON strings, absent from real ASL
_FOUND = re.compile("\u2063tf(\\d+)\u2063")
_MAX_BYTES = 8 * 1024 * 1024
_PATH_MODULE = re.compile(r'"\$\{path\.module\}/([^"$]+)"')


@dataclass(frozen=True)
class Definition:
    tree: Any  # YMap / YList / RunTime
    file: str  # the file the tree's lines belong to
    note: str = ""


class DefinitionProblem(Exception):
    def __init__(self, message: str, line: int, file: str = "") -> None:
        self.line = line
        self.file = file  # a template's problem is at the template's line
        super().__init__(message)


def read_definition(value: Node, resolver: Resolver, tf_file: str) -> Definition | None:
    """The definition as a tree; None when it is written elsewhere (a note says where)."""
    if isinstance(value, Call) and value.name == "jsonencode" and len(value.args) == 1:
        return Definition(resolver.tree(value.args[0]), tf_file)
    if isinstance(value, Lit) and isinstance(value.value, str):
        return Definition(_json(value.value, value.line, {}), tf_file)
    if isinstance(value, Template):
        return Definition(_template(value.text, value.line, resolver.literal), tf_file)
    if isinstance(value, Call) and value.name in ("file", "templatefile") and value.args:
        return _from_file(value, tf_file, resolver)
    # var.x, a data source's attribute ...: run time (and a bare HCL object, which Terraform
    # refuses but whose intent is clear, is read as jsonencode() would render it)
    return Definition(resolver.tree(value), tf_file)


def template_target(call: Call, tf_file: str) -> str | RunTime:
    """The file a `file()` / `templatefile()` reads, when it is a literal path inside the module."""
    target = call.args[0] if call.args else None
    relative = None
    if isinstance(target, Lit) and isinstance(target.value, str):
        relative = target.value
    elif isinstance(target, Expr) and (match := _PATH_MODULE.fullmatch(target.text)):
        relative = match[1]
    if relative is None:
        return RunTime(f"Terraform {call.name}() of a computed path", call.text)
    folder = os.path.realpath(os.path.dirname(tf_file) or ".")
    path = os.path.join(os.path.dirname(tf_file), os.path.normpath(relative))  # keeps the .tf's "./" prefix
    if os.path.isabs(relative) or not os.path.realpath(path).startswith(folder + os.sep):
        return RunTime(f"Terraform {call.name}() of a file outside the module", call.text)
    return path


def _from_file(call: Call, tf_file: str, resolver: Resolver) -> Definition | None:
    target = template_target(call, tf_file)
    if isinstance(target, RunTime):
        return Definition(target, tf_file)
    if target.lower().endswith((".yaml", ".yml")):
        return Definition(None, tf_file, f"definition is the file {target}, which is scanned on its own")
    try:
        text = read_regular(target, _MAX_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DefinitionProblem(f"cannot read {target} named by {call.name}(): {err}", call.line) from None
    try:
        if call.name == "file":  # read as is: a `${` in it is text, not an interpolation
            return Definition(_json(text, 1, {}), target)
        return Definition(_template(text, 1, _variables(call, resolver)), target)
    except DefinitionProblem as err:
        raise DefinitionProblem(str(err), err.line, target) from None


def _variables(call: Call, resolver: Resolver) -> Callable[[str], Node | None]:
    """What each templatefile() variable is bound to (a literal local counts as its literal)."""
    values = call.args[1] if len(call.args) > 1 else None
    given = {k: v for k, v, _ in values.items} if isinstance(values, Obj) else {}

    def lookup(name: str) -> Node | None:
        bound = given.get(name)
        if isinstance(bound, Expr):
            return resolver.literal(bound.text) or bound
        return bound

    return lookup


def _json(text: str, first_line: int, found: dict[int, str]) -> Any:
    try:
        tree, _ = parse_json(text)
    except JsonProblem as err:
        line = first_line + err.pos.line - 1
        raise DefinitionProblem(f"definition is not valid JSON at line {line}: {err}", line) from None
    return _restore(tree, first_line - 1, found)


def _template(text: str, first_line: int, lookup: Callable[[str], Node | None]) -> Any:
    """JSON text with `${...}`: each interpolation becomes a placeholder, then a RunTime leaf.

    `lookup` gives what an interpolation stands for: a literal (a templatefile()
    variable bound to one, a literal `local`) is substituted, as a JSON string's text
    inside quotes and as JSON outside them; anything else stays run time.
    """
    found: dict[int, str] = {}
    out, index, in_string = [], 0, False
    while index < len(text):
        char = text[index]
        if char == "\\" and in_string:
            out.append(text[index : index + 2])
            index += 2
            continue
        if char == '"':
            in_string = not in_string
        if text.startswith(("$${", "%%{"), index):  # HCL's escape for a literal ${ / %{
            out.append(text[index + 1 : index + 3])
            index += 3
            continue
        if text.startswith("${", index) or text.startswith("%{", index):
            end = _closing(text, index + 2)
            expression = text[index + 2 : end].strip()
            bound = lookup(expression) if text[index] == "$" else None
            if isinstance(bound, Lit) and bound.value is not None:
                as_json = json.dumps(bound.value)
                out.append(as_json[1:-1] if in_string and isinstance(bound.value, str) else as_json)
                index = end + 1
                continue
            if isinstance(bound, (Expr, Call)):
                expression = f"{expression} (= {bound.text})"
            found[len(found)] = expression
            placeholder = _SENTINEL.format(len(found) - 1)
            out.append(placeholder if in_string else f'"{placeholder}"')
            out.append("\n" * text.count("\n", index, end))  # keep the lines of what follows
            index = end + 1
            continue
        out.append(char)
        index += 1
    return _json("".join(out), first_line, found)


def _closing(text: str, at: int) -> int:
    depth = 1
    while at < len(text):
        depth += {"{": 1, "}": -1}.get(text[at], 0)
        if depth == 0:
            return at
        at += 1
    return len(text) - 1


def _restore(value: Any, offset: int, found: dict[int, str]) -> Any:
    """Shift lines to the .tf file's, and turn placeholders back into RunTime leaves."""
    if isinstance(value, YMap):
        out = YMap()
        out.pos, out.key_pos = _shift(value.pos, offset), {}
        for key, item in value.items():
            out[key] = _restore(item, offset, found)
            out.key_pos[key] = _shift(value.key_pos[key], offset)
        return out
    if isinstance(value, YList):
        items = YList(_restore(item, offset, found) for item in value)
        items.pos, items.item_pos = _shift(value.pos, offset), [_shift(p, offset) for p in value.item_pos]
        return items
    if isinstance(value, str) and "\u2063tf" in value:
        expressions = [found[int(n)] for n in _FOUND.findall(value)]
        shown = ", ".join("${" + e + "}" for e in expressions)
        # The whole string stays the expression: a Task's `arn:${...partition}:states:::...`
        # Resource is recognised by its literal parts.
        return RunTime(f"Terraform interpolation {shown}", _FOUND.sub(lambda m: "${" + found[int(m[1])] + "}", value))
    return value


def _shift(pos: Pos, offset: int) -> Pos:
    return Pos(pos.line + offset, pos.col)


def flatten_lines(value: Any, line: int) -> Any:
    """Every position of a tree set to `line`: JSON text held in one string of another file."""
    if isinstance(value, YMap):
        value.pos, value.key_pos = Pos(line, 1), {k: Pos(line, 1) for k in value}
        for item in value.values():
            flatten_lines(item, line)
    elif isinstance(value, YList):
        value.pos, value.item_pos = Pos(line, 1), [Pos(line, 1)] * len(value)
        for item in value:
            flatten_lines(item, line)
    return value
