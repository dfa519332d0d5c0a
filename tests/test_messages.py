"""Message templates: the memo that renders a template once per distinct context (apart
from the job's identity) prints exactly what Jinja prints for every context, and steps
aside for templates that test or transform the identity."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscan.policy.bound import IDENTITY_NAMES, MARKS
from smscan.policy.loader import builtin_pack_dir, load_policies
from smscan.policy.messages import MessageTemplate

# The built-in max-runtime-limit message shape (policies/max-runtime-limit.yaml), and others
# that print, test or filter the identity.
TEMPLATES = [
    "{%- set seen = evidence | selectattr('operator', 'equalto', 'le') | map(attribute='actual') | first -%}"
    "{%- if seen -%}Training job {{ job_name }} may run for {{ seen[0] }} seconds.{%- else -%}"
    "Training job {{ job_name }} sets no limit.{%- endif -%}",
    "{{ job_name }} in {{ account_id }}/{{ region }}: {{ evidence | length }} {{ params.limit }}",
    "{% for e in evidence %}{{ job_name }}={{ e.actual }};{% endfor %}",
    "{{ job_name | upper }} {{ evidence[0].actual }}",  # filtered: no memo
    "{% if job_name.startswith('prod') %}PROD {% endif %}{{ job_name }} {{ evidence[0].actual }}",  # tested
    "{% set n = job_name %}{{ n }} {{ evidence[0].actual }}",  # assigned
    "{{ record }} {{ job_name }}",  # whole record: no memo
]


def _contexts() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, actual in enumerate([(86401,), (86401.0,), (True,), ([1],), ((1,),), ("x y",), (None,), ()]):
        for name in ("prod-train-1", "dev job", "", None):
            out.append({
                "job_name": name, "job_arn": f"arn:{i}", "account_id": "123456789012", "region": "us-east-1",
                "params": {"limit": 86400}, "record": {"k": i},
                "evidence": [{"operator": "le", "actual": actual, "path": "$.x"}],
            })  # fmt: skip
    out.append({"params": {}, "evidence": [{"operator": "le", "actual": (5,)}]})  # no identity at all
    return out


@pytest.mark.parametrize("source", TEMPLATES)
def test_memo_prints_what_jinja_prints(source: str) -> None:
    memo, plain = MessageTemplate(source), MessageTemplate(source)
    plain._printed_only = None  # the same template, always rendered by Jinja
    contexts = _contexts()
    for context in contexts * 2:  # the second round is served from the memo where it applies
        assert memo.render(context) == plain.render(context), context
    # Not vacuous: a memoized template rendered each distinct context once.
    if memo._printed_only is not None:
        assert 0 < len(memo._memo) < len(contexts)


def test_memo_applies_only_where_the_identity_is_printed_as_is() -> None:
    used = [MessageTemplate(s)._printed_only for s in TEMPLATES]
    assert used == [("job_name",), ("job_name", "account_id", "region"), ("job_name",), None, None, None, None]


def test_every_built_in_jinja_message_is_memoized() -> None:
    jinja = [p for p in load_policies([builtin_pack_dir()]) if p.message and p.message._pieces is None]
    assert len(jinja) >= 5 and all(p.message and p.message._printed_only == ("job_name",) for p in jinja)


# Text-and-names templates (joined, not rendered by Jinja), with spacing the normalizing must fix.
PIECES = [
    "Training job {{ job_name }} runs without network isolation.",
    "  {{ job_name }}\n in {{ account_id }}/{{ region }}  ({{ job_arn }}) {{ params }} ",
    "{{ job_name }}{{ job_arn }}",
    "no identity at all {{ params }}",
    "{{ evidence }} {{ job_name }} {{ unknown_name }}",
    "{{ job_name }}",  # one value: joined around it, with no text or only spaces beside it
    " \t{{ job_name }}\n ",
    "x" * 1990 + " {{ job_name }} past the length limit",
]
identity_text = st.text(max_size=6) | st.sampled_from(["", " ", "a b", "\x00", *MARKS.values(), "x\x000\x00y", "\u3000"])


@settings(max_examples=150)
@given(identity=st.fixed_dictionaries({name: identity_text for name in IDENTITY_NAMES}), which=st.integers(0, 1000))
def test_a_bound_message_finishes_as_the_whole_context_renders(identity: dict[str, str], which: int) -> None:
    """bind (once per evidence) then finish (per job) prints what render prints for the job."""
    sources = TEMPLATES + PIECES
    source = sources[which % len(sources)]
    rest = {"params": {"limit": 86400}, "evidence": [{"operator": "le", "actual": (86401,), "path": "$.x \x00"}]}
    bound = MessageTemplate(source).bind(rest)
    if bound is None:  # a template that tests the identity or shows the record: rendered per job
        assert "record" in source or MessageTemplate(source)._printed_only is None
        return
    assert bound.finish(identity) == MessageTemplate(source).render({**rest, **identity})
