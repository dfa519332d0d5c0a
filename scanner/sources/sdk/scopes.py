"""What names mean in a Python file read with `ast`: imports, and names bound exactly once.

Import resolution: `from sagemaker.pytorch import PyTorch as PT` makes `PT` mean
`sagemaker.pytorch.PyTorch`, `import sagemaker as sm` makes `sm.estimator.Estimator`
mean `sagemaker.estimator.Estimator`; a class of the same name defined or imported
from elsewhere means something else, so it is not a SageMaker estimator.

Bindings: a name assigned exactly once in its scope (the module, or one function)
stands for that one expression, so `max_run = 3600` then `Estimator(max_run=max_run)`
reads 3600. A name assigned twice, by a loop, a `with`, an augmented assignment or
a walrus, or a function parameter, is not known before run time.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass
class Scope:
    name: str  # "" for the module, else the function's dotted name
    parent: Scope | None
    params: frozenset[str] = frozenset()
    assigned: dict[str, list[ast.expr]] = field(default_factory=dict)
    rebound: set[str] = field(default_factory=set)  # bound by something other than one `x = ...`

    def lookup(self, name: str) -> tuple[str, ast.expr | None]:
        """("value", expr) / ("param", None) / ("changing", None) / ("unbound", None)."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.params:
                return "param", None
            if name in scope.rebound or len(scope.assigned.get(name, ())) > 1:
                return "changing", None
            if name in scope.assigned:
                return "value", scope.assigned[name][0]
            scope = scope.parent
        return "unbound", None


def qualified(node: ast.expr, imports: dict[str, str], shadowed: set[str]) -> str | None:
    """`PT` -> "sagemaker.pytorch.PyTorch"; `sm.estimator.Estimator` -> "sagemaker.estimator.Estimator"."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id in shadowed or node.id not in imports:
        return None
    return ".".join([imports[node.id], *reversed(parts)])


class ScopeBuilder(ast.NodeVisitor):
    """One walk over the file: a Scope per module and function (`scope_of[id(node)]` for
    every node), the imports, the names the file defines, and the nodes that can run.

    Imports anywhere in the file count; a `class` / `def` of the same name shadows an
    import. The body of `if False:` (or `if 0:`) never runs: it is not in `live`.
    """

    def __init__(self) -> None:
        self.module = Scope("", None)
        self.scope_of: dict[int, Scope] = {}
        self.imports: dict[str, str] = {}  # local name -> the dotted name it was imported as
        self.defined: set[str] = set()
        self.live: list[ast.AST] = []  # in source order
        self._current = self.module

    def build(self, tree: ast.Module) -> None:
        for statement in tree.body:
            self.visit(statement)

    def generic_visit(self, node: ast.AST) -> None:
        self.scope_of[id(node)] = self._current
        self.live.append(node)
        super().generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        if isinstance(node.test, ast.Constant) and not node.test.value:
            self.scope_of[id(node)] = self._current
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.split(".")[0]
            self.imports[alias.asname or top] = alias.name if alias.asname else top
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.level == 0:
            for alias in node.names:
                if alias.name != "*":
                    self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.defined.add(node.name)
        self.generic_visit(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        args = node.args
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        name = getattr(node, "name", "<lambda>")
        if not isinstance(node, ast.Lambda):
            self.defined.add(name)
            for outside in [*node.decorator_list, *args.defaults, *(d for d in args.kw_defaults if d is not None)]:
                self.visit(outside)  # evaluated where the function is defined
        self.live.append(node)
        dotted = f"{self._current.name}.{name}" if self._current.name else name
        outer = self._current
        self._current = Scope(dotted, outer, frozenset(params))
        self.scope_of[id(node)] = self._current
        body = node.body if isinstance(node.body, list) else [node.body]
        for child in body:
            self.visit(child)
        self._current = outer

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function
    visit_Lambda = _function

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._current.assigned.setdefault(target.id, []).append(node.value)
            else:
                self._rebind(target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.target, ast.Name) and node.value is not None:
            self._current.assigned.setdefault(node.target.id, []).append(node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._rebind(node.target)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._rebind(node.target)
        self.generic_visit(node)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self._rebind(node.target)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def visit_withitem(self, node: ast.withitem) -> None:
        if node.optional_vars is not None:
            self._rebind(node.optional_vars)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        # `config["k"] = v` changes the dict bound to `config`: it is no longer the literal
        if isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name):
            self._current.rebound.add(node.value.id)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        # `kwargs.update(...)`, `params.setdefault(...)`, `tags.append(...)` change the object too
        func = node.func
        mutators = ("update", "setdefault", "pop", "append", "extend", "insert", "clear", "remove")
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.attr in mutators:
            self._current.rebound.add(func.value.id)
        self.generic_visit(node)

    def _rebind(self, target: ast.expr) -> None:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                self._current.rebound.add(node.id)
