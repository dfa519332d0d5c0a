"""Finding messages: Jinja2 templates rendered in a sandbox.

Policies are trusted, but a pack may come from anywhere, and the template's
context includes record data from untrusted jobs. Two layers:

- At load, a template is refused when it names a private attribute: `.x_` or
  `['_x']` starting with "_", any string literal containing "__" (which is how
  `'{0.__class__}'.format(x)` and `map(attribute='__class__')` reach in), and the
  `attr` filter with anything but a literal public name (`attr('_' ~ '_class__')`).
- At render, the immutable sandbox refuses what got through: an unsafe attribute
  raises instead of rendering as empty (Jinja's default), so the message becomes
  "(message template refused by the sandbox)". `*` and `**` are bounded, so
  `'x' * 10**9` or `9**9**9` cannot exhaust memory or time (Jinja would otherwise
  even fold such a constant while compiling). `range` is capped by Jinja at 100,000.
"""

from __future__ import annotations

import functools
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

# The job's identity in a message context, the markers standing for it while a template renders
# (see _render_memo), and the bound messages that share a rendering between jobs.
from smscan.policy.bound import IDENTITY_NAMES, MAX_MESSAGE_LENGTH, BoundMessage
from smscan.policy.bound import MARKS as _MARKS

MAX_REPEAT_LENGTH = 10 * MAX_MESSAGE_LENGTH  # longest 'ab' * n a template may build
MAX_EXPONENT = 64


class MessageTemplateError(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(message)


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        # Jinja returns an Undefined that prints as "": refuse loudly instead.
        raise SecurityError(f"access to attribute {attribute!r} of a {type(obj).__name__} is unsafe")

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"exponent larger than {MAX_EXPONENT}")
        elif isinstance(left, int) or isinstance(right, int):
            seq, times = (right, left) if isinstance(left, int) else (left, right)
            if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_REPEAT_LENGTH:
                raise SecurityError(f"repetition longer than {MAX_REPEAT_LENGTH}")
        return super().call_binop(context, operator, left, right)


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    return _Sandbox(undefined=ChainableUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True)


def _private_access(tree: nodes.Node) -> tuple[nodes.Node, str] | None:
    """The first node that reaches for Python internals, and why it is refused."""
    private = "template reaches for a private attribute (names starting with '_' are refused by the sandbox)"
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Const, nodes.Filter)):
        if isinstance(node, nodes.Getattr):
            if node.attr.startswith("_"):
                return node, private
        elif isinstance(node, nodes.Getitem):
            key = node.arg.value if isinstance(node.arg, nodes.Const) else None
            if isinstance(key, str) and key.startswith("_"):
                return node, private
        elif isinstance(node, nodes.Const):
            if isinstance(node.value, str) and "__" in node.value:
                return node, "template holds a string with '__', the way to reach private attributes"
        elif isinstance(node, nodes.Filter) and node.name == "attr":
            names = [*node.args, *(kw.value for kw in node.kwargs)]
            if not all(isinstance(n, nodes.Const) and isinstance(n.value, str) for n in names):
                return node, "the attr filter takes only a literal attribute name"
            if any(n.value.startswith("_") for n in names if isinstance(n, nodes.Const)):
                return node, private
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
            raise MessageTemplateError(bad[1], bad[0].lineno)
        self.source = source
        self._pieces = _plain_pieces(tree)
        # Compiling is most of loading a template: done once, on the first render that needs it
        # (never for plain text with names, which is joined as Jinja would print it).
        self._tree: nodes.Template | None = tree
        self._compiled: Template | None = None
        self._memo: dict[str, str] = {}

    @functools.cached_property
    def _printed_only(self) -> tuple[str, ...] | None:
        """The identity names the template only prints (None: no memo; see _render_memo).
        Worked out on the first render, not at load: start-up loads every template."""
        return None if self._tree is None else _printed_only(self._tree, IDENTITY_NAMES)

    @functools.cached_property
    def _reads(self) -> tuple[str, ...]:
        """The context names the template reads, but for the identity: all a render depends
        on (a template reaches its context only by name)."""
        assert self._tree is not None  # read by the first memo render, before it compiles
        return tuple(sorted(meta.find_undeclared_variables(self._tree) - set(IDENTITY_NAMES)))

    @property
    def _template(self) -> Template:
        if self._compiled is None:
            assert self._tree is not None
            self._compiled, self._tree = _environment().from_string(self._tree), None
        return self._compiled

    def render(self, context: dict[str, Any]) -> str:
        try:
            if self._pieces is not None:  # text and {{ name }} only: what Jinja would print
                text = "".join(p if literal else _printed(context, p) for literal, p in self._pieces)
            elif self._printed_only is not None:
                text = self._render_memo(context, self._printed_only)
            else:
                text = self._template.render(context)
        except SecurityError:
            return "(message template refused by the sandbox)"
        except (
            TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError, RecursionError
        ) as exc:
            return f"(message template failed: {type(exc).__name__})"
        text = " ".join(text.split())
        return text[:MAX_MESSAGE_LENGTH]


    def bind(self, context: dict[str, Any]) -> BoundMessage | None:
        """The message rendered for everything but the job's identity (IDENTITY_NAMES), which
        `BoundMessage.finish` fills in: what `render` gives for `context` plus the identity,
        for a template that only prints the identity. None for any other template, and for
        one that shows the whole record (which is each job's own).

        `context` holds every name of a finding's context but the identity; the identity
        given to `finish` holds all of IDENTITY_NAMES, as strings."""
        if self._pieces is not None:
            if any(not literal and p == "record" for literal, p in self._pieces):
                return None
            try:  # what render's join does, with the identity left to each finding
                pieces = tuple(
                    (literal or p not in IDENTITY_NAMES, p if literal or p in IDENTITY_NAMES else _printed(context, p))
                    for literal, p in self._pieces
                )
            except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError, RecursionError) as exc:
                return BoundMessage(done=f"(message template failed: {type(exc).__name__})")
            return BoundMessage(pieces=pieces)
        names = self._printed_only
        if names is None:
            return None
        rest = {k: context[k] for k in self._reads if k in context}  # read before compiling drops the tree
        try:  # what _render_memo renders, with a marker for each identity name
            marked = self._template.render({**rest, **{n: _MARKS[n] for n in names}})
        except SecurityError:
            return BoundMessage(done="(message template refused by the sandbox)")
        except (
            TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError, RecursionError
        ) as exc:
            return BoundMessage(done=f"(message template failed: {type(exc).__name__})")
        return BoundMessage(marked=marked, names=names)

    def _render_memo(self, context: dict[str, Any], names: tuple[str, ...]) -> str:
        """Jinja's output, rendered once per distinct context apart from the job's identity.

        A fleet's failures repeat the same few values (one runtime limit, one missing key);
        only the job's name, ARN, account and region tell them apart, and a template that
        only prints those (never tests or filters them) gives the same text around them.
        So the template is rendered with a marker for each and the job's values put in after.
        The key is the repr of the other names it reads, which tells 1 from 1.0 and True,
        and a list from a tuple, as Jinja's printing does."""
        rest = {k: context[k] for k in self._reads if k in context}
        key = repr(rest)
        text = self._memo.get(key)
        if text is None:
            text = self._template.render({**rest, **{n: _MARKS[n] for n in names if n in context}})
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = text
        for name in names:
            if name in context:
                text = text.replace(_MARKS[name], _printed(context, name))
        return text


_MEMO_SIZE = 4096
_ABSENT = object()


def _printed_only(tree: nodes.Template, names: tuple[str, ...]) -> tuple[str, ...] | None:
    """The `names` the template uses, when it uses each only as a whole `{{ name }}` output,
    and none is assigned to; None when any is used otherwise, or the template shows the
    whole record (too costly a key): then no memo."""
    direct = {id(n) for out in tree.find_all(nodes.Output) for n in out.nodes if isinstance(n, nodes.Name)}
    used: list[str] = []
    for node in tree.find_all(nodes.Name):
        if node.name == "record":
            return None
        if node.name not in names:
            continue
        if node.ctx != "load" or id(node) not in direct:
            return None
        used.append(node.name)
    if any("\x00" in n.data for n in tree.find_all(nodes.TemplateData)):
        return None  # a marker could be confused with the template's own text
    return tuple(dict.fromkeys(used))


def _plain_pieces(tree: nodes.Template) -> tuple[tuple[bool, str], ...] | None:
    """(is_text, text or variable name) of a template made of text and `{{ name }}` only.

    Most messages are that; rendering them by joining strings gives Jinja's output (a
    missing name prints as "", any other value as str(value)) without building a Jinja
    context for every finding. Anything else (filters, attributes, tags) returns None.
    """
    if len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output):
        return None
    pieces: list[tuple[bool, str]] = []
    for node in tree.body[0].nodes:
        if isinstance(node, nodes.TemplateData):
            pieces.append((True, node.data))
        elif isinstance(node, nodes.Name) and node.ctx == "load":
            pieces.append((False, node.name))
        else:
            return None
    return tuple(pieces)


def _printed(context: dict[str, Any], name: str) -> str:
    value = context.get(name, _ABSENT)
    if value is _ABSENT:
        return ""
    return value if type(value) is str else str(value)
