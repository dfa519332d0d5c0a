"""Terraform values as request values: literals are read, everything else is run time.

A Terraform argument is known before `apply` only when it is a literal, or a
`local` bound to a literal. A `var.x` is never taken as known even with a literal
default: a `-var`, a `TF_VAR_x`, a tfvars file or the calling module can change it,
so it becomes a `RunTime` leaf whose message names the default and any
`terraform.tfvars` / `*.auto.tfvars` value found beside the module. References to
resources, `count.index`, `each.value`, function calls (`lookup`, `try`, ...) and
strings with `${...}` are run time too. `null` means "argument not set".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from smscan.sources.requests.runtime import RunTime
from smscan.sources.terraform.hcl import Attr, Block, Call, Expr, Lit, Node, Obj, Template, Tup
from smscan.yamlpos import Pos, YList, YMap

_VAR = re.compile(r"var\.([A-Za-z_][\w-]*)")
_LOCAL = re.compile(r"local\.([A-Za-z_][\w-]*)")
# `aws_lambda_function.prep.arn`, `data.aws_lambda_function.prep.arn`: an attribute of a resource
_REFERENCE = re.compile(r"(?:data\.)?(aws_[a-z0-9_]+)\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?\.[\w.\[\]\"-]+")
_INTERPOLATION = re.compile(r"\$\{\s*([^{}]*?)\s*\}")


@dataclass
class Module:
    """What one directory of .tf files declares: its variables, locals and tfvars values."""

    defaults: dict[str, Node] = field(default_factory=dict)  # variable -> default
    locals: dict[str, Node] = field(default_factory=dict)
    tfvars: dict[str, tuple[str, Node]] = field(default_factory=dict)  # variable -> (file, value)
    default_tags: Node | None = None  # provider "aws" { default_tags { tags = ... } }, no alias
    default_tags_at: str = ""  # where, for the note

    def add(self, body: Block, file: str = "") -> None:
        for block in body.blocks:
            if block.type == "provider" and block.labels == ("aws",) and "alias" not in block.attrs:
                for defaults in block.children("default_tags"):
                    tags = defaults.attrs.get("tags")
                    if tags is not None:
                        self.default_tags, self.default_tags_at = tags.value, f"{file}:{tags.line}"
            if block.type == "variable" and block.labels and "default" in block.attrs:
                self.defaults[block.labels[0]] = block.attrs["default"].value
            elif block.type == "locals":
                self.locals.update({name: attr.value for name, attr in block.attrs.items()})


def block_to_obj(block: Block) -> Obj:
    """A resource body as one object: nested blocks become lists of objects, as in plan JSON.

    A `dynamic "x"` block becomes an expression: how many `x` blocks it renders
    depends on its `for_each`, known only at plan time.
    """
    items: list[tuple[str, Node, int]] = [(a.name, a.value, a.line) for a in block.attrs.values()]
    grouped: dict[str, list[Block]] = {}
    for child in block.blocks:
        if child.type == "dynamic" and child.labels:
            for_each = child.attrs.get("for_each")
            text = f'dynamic "{child.labels[0]}" block (for_each = {_text(for_each)})'
            items.append((child.labels[0], Expr(text, child.line), child.line))
        else:
            grouped.setdefault(child.type, []).append(child)
    for type_, blocks in grouped.items():
        objs = tuple(block_to_obj(b) for b in blocks)
        items.append((type_, Tup(objs, blocks[0].line), blocks[0].line))
    return Obj(tuple(sorted(items, key=lambda item: item[2])), block.line)


def _text(attr: Attr | None) -> str:
    if attr is None:
        return "?"
    value = attr.value
    return value.text if isinstance(value, (Expr, Call)) else _show(value)



class Resolver:
    """Turns Nodes into request values (YMap / YList / scalars / RunTime) for one module."""

    def __init__(self, module: Module) -> None:
        self.module = module

    def __call__(self, value: Node) -> Any:
        return self.tree(value)

    def tree(self, value: Node, depth: int = 0) -> Any:
        if isinstance(value, Lit):
            return value.value
        if isinstance(value, Obj):
            out = YMap()
            out.pos, out.key_pos = Pos(value.line, 1), {}
            for key, item, line in value.items:
                resolved = self.tree(item, depth)
                if resolved is not None:
                    out[key] = resolved
                    out.key_pos[key] = Pos(line, 1)
            return out
        if isinstance(value, Tup):
            items = YList(self.tree(item, depth) for item in value.items)
            items.pos, items.item_pos = Pos(value.line, 1), [Pos(_line_of(i), 1) for i in value.items]
            return items
        if isinstance(value, Expr):
            return self.expression(value, depth)
        if isinstance(value, Call):
            return RunTime(f"Terraform function {value.name}()", value.text)
        if isinstance(value, Template):
            return RunTime("Terraform template with ${...}", value.text[:80])
        raise TypeError(f"not a Terraform value: {value!r}")

    def expression(self, value: Expr, depth: int) -> Any:
        text = value.text
        joined = self._joined(text)
        if joined is not None:
            return joined
        local = _LOCAL.fullmatch(text)
        if local and local[1] in self.module.locals and depth < 8:
            bound = self.module.locals[local[1]]
            if _is_literal(bound):
                return self.tree(_at_line(bound, value.line), depth + 1)
            return RunTime(f"Terraform local {text} (an expression)", text)
        var = _VAR.fullmatch(text)
        if var:
            return RunTime(self._variable(var[1]), text)
        if text.startswith(("count.", "each.")):
            return RunTime(f"Terraform {text.split('.')[0]} instance value {text}", text)
        if text.startswith("dynamic "):
            return RunTime(f"Terraform {text}", text)
        reference = _REFERENCE.fullmatch(text)
        return RunTime(f"Terraform expression {text}", text, reference[1] if reference else "")

    def _joined(self, text: str) -> str | None:
        """`"${local.registry}/train:1"` when every interpolation is a literal local."""
        if not (len(text) >= 2 and text[0] == text[-1] == '"') or "%{" in text:
            return None
        parts = _INTERPOLATION.split(text[1:-1])  # text, expression, text, ...
        out = []
        for index, part in enumerate(parts):
            if index % 2 == 0:
                if "${" in part or "\\" in part or "$${" in part:
                    return None  # nested braces, escapes: the source text is not the value
                out.append(part)
                continue
            bound = self.literal(part)
            if bound is None or isinstance(bound.value, bool) or bound.value is None:
                return None
            out.append(str(bound.value))
        return "".join(out)

    def literal(self, text: str) -> Lit | None:
        """`local.x` bound to a literal scalar, for `${local.x}` inside a template."""
        local = _LOCAL.fullmatch(text.strip())
        bound = self.module.locals.get(local[1]) if local else None
        return bound if isinstance(bound, Lit) else None

    def _variable(self, name: str) -> str:
        how = f"Terraform variable var.{name}"
        default = self.module.defaults.get(name)
        parts = []
        if default is not None and _is_literal(default):
            parts.append(f"default {_show(default)}")
        if name in self.module.tfvars:
            file, value = self.module.tfvars[name]
            parts.append(f"{file} sets {_show(value)}")
        suffix = "; ".join(parts)
        return f"{how} ({suffix}; -var, TF_VAR_ or a caller can change it)" if suffix else how


def _is_literal(value: Node) -> bool:
    if isinstance(value, Lit):
        return True
    if isinstance(value, Tup):
        return all(_is_literal(i) for i in value.items)
    if isinstance(value, Obj):
        return all(_is_literal(v) for _, v, _ in value.items)
    return False


def _at_line(value: Node, line: int) -> Node:
    """A literal local, re-positioned at the line that uses it (the key lines are per file)."""
    if isinstance(value, Lit):
        return Lit(value.value, line)
    if isinstance(value, Tup):
        return Tup(tuple(_at_line(i, line) for i in value.items), line)
    if isinstance(value, Obj):
        return Obj(tuple((k, _at_line(v, line), line) for k, v, _ in value.items), line)
    return value


def _line_of(value: Node) -> int:
    return value.line


def _show(value: Node) -> str:
    if isinstance(value, Lit):
        return json.dumps(value.value)  # as Terraform writes it: true, "x", null
    if isinstance(value, Tup):
        return "[" + ", ".join(_show(i) for i in value.items) + "]"
    if isinstance(value, Obj):
        return "{" + ", ".join(f"{k} = {_show(v)}" for k, v, _ in value.items) + "}"
    return getattr(value, "text", "?")
