"""Python expressions as request values, read statically: literals are known, the rest is run time.

Known: constants; lists, tuples and dicts of known values; names bound once to a
known value in the same scope (or the module); `dict(k=v)`; `d["k"]` of a known
dict; f-strings and `+ - * // %` of known values. Everything else becomes a
`RunTime` leaf naming the expression: function parameters, calls (an SSM lookup, a
Pipelines `ParameterString`, `get_execution_role()`), attributes, `os.environ`,
f-strings over unknown names. Calls to the SDK's config classes (`Compute(...)`,
`Networking(...)`, `InstanceGroup(...)`) become `SdkObject`s whose keywords the
mappers read. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smscan.sources.requests.runtime import RunTime
from smscan.sources.sdk.classes import config_class, is_pipeline_parameter
from smscan.sources.sdk.scopes import Scope, ScopeBuilder, qualified
from smscan.yamlpos import Pos, YList, YMap

_MAX_DEPTH = 20
_MAX_TEXT = 10_000


@dataclass(frozen=True)
class SdkObject:
    """A call to one of the SDK's config classes, read keyword by keyword."""

    name: str
    call: ast.Call

    def keywords(self) -> dict[str, ast.keyword]:
        return {k.arg: k for k in self.call.keywords if k.arg is not None}


@dataclass(frozen=True)
class Known:
    """A value already read (an item of a `**kwargs` dict literal), standing in for its expression."""

    value: Any
    lineno: int


Keywords = dict[str, tuple["ast.expr | Known", int]]  # keyword -> (expression or value, line)


def text_of(node: ast.AST | Known) -> str:
    text = repr(node.value) if isinstance(node, Known) else ast.unparse(node)
    return text if len(text) <= 100 else text[:97] + "..."


class Evaluator:
    def __init__(
        self,
        imports: dict[str, str],
        shadowed: set[str],
        scopes: ScopeBuilder,
        line: Callable[[int], int],
    ) -> None:
        self.imports = imports
        self.shadowed = shadowed
        self.scopes = scopes
        self.line = line  # line of the parsed source -> line of the file (notebooks differ)

    def qualified(self, node: ast.expr) -> str | None:
        return qualified(node, self.imports, self.shadowed)

    def scope(self, node: ast.AST) -> Scope:
        return self.scopes.scope_of.get(id(node), self.scopes.module)

    def pos(self, node: ast.AST | Known) -> Pos:
        if isinstance(node, Known):  # its line is already the file's
            return Pos(node.lineno, 1)
        return Pos(self.line(getattr(node, "lineno", 1)), getattr(node, "col_offset", 0) + 1)

    def value(self, node: ast.expr | Known, depth: int = 0) -> Any:
        if isinstance(node, Known):
            return node.value
        if depth > _MAX_DEPTH:
            return RunTime("Python expression nested too deeply to follow", text_of(node))
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (str, int, float, bool)) or node.value is None:
                return node.value
            return RunTime("Python constant of another type", text_of(node))
        if isinstance(node, ast.Dict):
            return self._dict(node, depth)
        if isinstance(node, (ast.List, ast.Tuple)):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return RunTime("Python list built with *", text_of(node))
            items = YList(self.value(e, depth + 1) for e in node.elts)
            items.pos, items.item_pos = self.pos(node), [self.pos(e) for e in node.elts]
            return items
        if isinstance(node, ast.Name):
            return self._name(node, depth)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, depth)
        if isinstance(node, ast.BinOp):
            return self._binop(node, depth)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = self.value(node.operand, depth + 1)
            if isinstance(operand, (int, float)) and not isinstance(operand, bool):
                return -operand
        if isinstance(node, ast.Subscript):
            return self._subscript(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.Attribute):
            return RunTime(f"Python attribute {text_of(node)}", text_of(node))
        return RunTime(f"Python expression {text_of(node)}", text_of(node))

    def _dict(self, node: ast.Dict, depth: int) -> Any:
        out = YMap()
        out.pos, out.key_pos = self.pos(node), {}
        for key, item in zip(node.keys, node.values, strict=True):
            if key is None:  # {**other, ...}
                merged = self.value(item, depth + 1)
                if not isinstance(merged, YMap):
                    return RunTime(f"Python dict merged from {text_of(item)}", text_of(node))
                for k, v in merged.items():
                    out[k], out.key_pos[k] = v, merged.key_pos[k]
                continue
            name = self.value(key, depth + 1)
            if not isinstance(name, str):
                return RunTime(f"Python dict with a computed key {text_of(key)}", text_of(node))
            out[name], out.key_pos[name] = self.value(item, depth + 1), self.pos(key)
        return out

    def _name(self, node: ast.Name, depth: int) -> Any:
        how, bound = self.scope(node).lookup(node.id)
        if how == "value" and bound is not None:
            return self.value(bound, depth + 1)
        if how == "param":
            return RunTime(f"function parameter {node.id}", node.id)
        if how == "changing":
            return RunTime(f"variable {node.id}, assigned more than once or changed", node.id)
        if node.id in self.imports:
            return RunTime(f"imported name {node.id} ({self.imports[node.id]})", node.id)
        return RunTime(f"name {node.id}, not bound in this file", node.id)

    def _fstring(self, node: ast.JoinedStr, depth: int) -> Any:
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
                continue
            inner = self.value(part.value, depth + 1) if isinstance(part, ast.FormattedValue) else None
            if isinstance(part, ast.FormattedValue) and part.format_spec is None and part.conversion == -1 and (
                isinstance(inner, (str, int, float)) and not isinstance(inner, bool)
            ):
                parts.append(str(inner))
                continue
            return RunTime(f"f-string {text_of(node)}", text_of(node))
        return "".join(parts)

    def _binop(self, node: ast.BinOp, depth: int) -> Any:
        left, right = self.value(node.left, depth + 1), self.value(node.right, depth + 1)
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
        try:
            if isinstance(node.op, ast.Add) and (numbers or (isinstance(left, str) and isinstance(right, str))):
                result = left + right
            elif isinstance(node.op, ast.Sub) and numbers:
                result = left - right
            elif isinstance(node.op, ast.Mult) and numbers:
                result = left * right
            elif isinstance(node.op, ast.FloorDiv) and numbers:
                result = left // right
            elif isinstance(node.op, ast.Mod) and numbers:
                result = left % right
            else:
                return RunTime(f"Python expression {text_of(node)}", text_of(node))
        except (ZeroDivisionError, OverflowError):
            return RunTime(f"Python expression {text_of(node)}", text_of(node))
        if isinstance(result, str) and len(result) > _MAX_TEXT or isinstance(result, int) and abs(result) > 10**18:
            return RunTime(f"Python expression {text_of(node)}", text_of(node))
        return result

    def _subscript(self, node: ast.Subscript, depth: int) -> Any:
        if self.qualified(node.value) == "os.environ":
            return RunTime(f"environment variable {text_of(node.slice)}", text_of(node))
        container = self.value(node.value, depth + 1)
        key = self.value(node.slice, depth + 1)
        if isinstance(container, YMap) and isinstance(key, str) and key in container:
            return container[key]
        if isinstance(container, YList) and isinstance(key, int) and -len(container) <= key < len(container):
            return container[key]
        if isinstance(container, RunTime):
            return RunTime(f"item of {container.how}", text_of(node))
        return RunTime(f"Python expression {text_of(node)}", text_of(node))

    def _call(self, node: ast.Call, depth: int) -> Any:
        name = self.qualified(node.func)
        config = config_class(name)
        if config is not None:
            return SdkObject(config, node)
        if is_pipeline_parameter(name):
            return RunTime(_parameter(node), text_of(node))
        if name in ("os.getenv", "os.environ.get"):
            return RunTime(f"environment variable {text_of(node.args[0]) if node.args else ''}", text_of(node))
        func = node.func
        if isinstance(func, ast.Name) and func.id == "dict" and "dict" not in self.shadowed and not node.args:
            out = YMap()
            out.pos, out.key_pos = self.pos(node), {}
            for keyword in node.keywords:
                if keyword.arg is None:
                    return RunTime(f"Python call {text_of(node)}", text_of(node))
                out[keyword.arg], out.key_pos[keyword.arg] = self.value(keyword.value, depth + 1), self.pos(keyword)
            return out
        if isinstance(func, ast.Attribute) and func.attr in ("get_parameter", "get_parameters"):
            return RunTime(f"SSM parameter lookup {text_of(node)}", text_of(node))
        return RunTime(f"Python call {text_of(node)}", text_of(node))


def _parameter(node: ast.Call) -> str:
    name = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "name"), None)
    default = next((k.value for k in node.keywords if k.arg == "default_value"), None)
    shown = text_of(name) if name is not None else "?"
    if default is not None:
        return f"Pipelines parameter {shown} (default {text_of(default)}), set when the pipeline runs"
    return f"Pipelines parameter {shown}, set when the pipeline runs"
