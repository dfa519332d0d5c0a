"""Finding messages: Jinja2 templates rendered in a sandbox.

Policies are trusted, but a pack may come from anywhere, and the template's
context includes record data from untrusted jobs. The immutable sandbox refuses
attribute access to Python internals at render time; we also refuse, at load,
any template that names an attribute starting with "_", so a policy that tries
gets a load error with its line instead of a runtime surprise.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_MESSAGE_LENGTH = 2000


class MessageTemplateError(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(message)


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        undefined=ChainableUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True
    )


def _private_access(tree: nodes.Node) -> nodes.Node | None:
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = node.attr if isinstance(node, nodes.Getattr) else getattr(getattr(node, "arg", None), "value", None)
        if isinstance(name, str) and name.startswith("_"):
            return node
    return None


class MessageTemplate:
    """A compiled, vetted message template."""

    def __init__(self, source: str) -> None:
        env = _environment()
        try:
            tree = env.parse(source)
        except TemplateSyntaxError as exc:
            raise MessageTemplateError(f"invalid template: {exc.message}", exc.lineno) from None
        bad = _private_access(tree)
        if bad is not None:
            raise MessageTemplateError(
                "template reaches for a private attribute (names starting with '_' are refused by the sandbox)",
                bad.lineno,
            )
        self.source = source
        self._template = env.from_string(source)

    def render(self, context: dict[str, Any]) -> str:
        try:
            text = self._template.render(context)
        except SecurityError:
            return "(message template refused by the sandbox)"
        except (UndefinedError, TypeError, ValueError, ArithmeticError) as exc:
            return f"(message template failed: {type(exc).__name__})"
        text = " ".join(text.split())
        return text[:MAX_MESSAGE_LENGTH]
