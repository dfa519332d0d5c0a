"""A policy's `message`: checked when the policy is loaded, compiled by Jinja2 when first used.

Loading a pack (`smscan policy validate`, `list`, every scan) checks each template: that
it parses and reaches for nothing private (smscan.policy.messages). When the template
cache (smscan.policy.template_cache) knows the exact text passed that same check, the
loader takes its word and Jinja2 is not imported at all; otherwise Jinja2 checks it as
it always did, with the same message at the same position.

The template itself (MessageTemplate) is built on first use, which checks the text again:
a scan never renders a template on the cache's word alone.
"""

from __future__ import annotations

from types import MethodType
from typing import TYPE_CHECKING, Any

from smscan.policy.problems import Scope
from smscan.policy.template_cache import TemplateChecks
from smscan.yamlpos import Pos, YMap

if TYPE_CHECKING:
    from smscan.policy.messages import MessageTemplate

# What a scan prints should the check fail after all on first use: only a cache written
# by hand can get there, and the text is the sandbox's own refusal.
REFUSED = "(message template refused by the sandbox)"


class PolicyMessage:
    """A message template that passed the load-time check. It renders, and answers any
    other question about the template, through the MessageTemplate it builds when first asked."""

    def __init__(self, source: str, template: MessageTemplate | None = None) -> None:
        self.source = source
        self._template = template
        self._refused = False

    @property
    def template(self) -> MessageTemplate:
        """Raises MessageTemplateError if the text fails the check (see REFUSED)."""
        if self._template is None:
            from smscan.policy.messages import MessageTemplate

            self._template = MessageTemplate(self.source)
        return self._template

    def render(self, context: dict[str, Any]) -> str:
        template = self._template
        if template is None:
            from smscan.policy.messages import MessageTemplateError

            if self._refused:
                return REFUSED
            try:
                template = self.template
            except MessageTemplateError:
                self._refused = True
                return REFUSED
        return template.render(context)

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found above; never for its own (unset while unpickling:
        # that must stay an AttributeError) or for Python's protocol names.
        if name in _OWN or name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self.template, name)
        if isinstance(value, MethodType):
            self.__dict__[name] = value  # a bound method stays the same: later calls skip this
        return value

    def __repr__(self) -> str:
        return f"PolicyMessage({self.source!r})"


_OWN = frozenset({"source", "_template", "_refused"})


def message_of(doc: YMap, scope: Scope, checks: TemplateChecks) -> PolicyMessage | None:
    """The policy's message template, or None (no message, or a problem added to `scope`)."""
    source = doc.get("message")
    if source is None:
        return None
    pos = doc.key_pos["message"]
    if not isinstance(source, str):
        scope.add(pos, "message", "expected a Jinja2 template string")
        return None
    if checks.passed(source):
        return PolicyMessage(source)
    from smscan.policy.messages import MessageTemplate, MessageTemplateError

    try:
        template = MessageTemplate(source)
    except MessageTemplateError as exc:
        line = pos.line + (exc.line - 1 if exc.line and "\n" in source else 0)
        scope.add(Pos(line, pos.col), "message", str(exc))
        return None
    checks.add(source)
    return PolicyMessage(source, template)
