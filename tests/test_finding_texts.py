"""FindingTexts assembles each finding's JSON report text from shared parts: it must be
exactly the text codec.finding_text encodes whole, whatever the finding holds.

The findings are generated: messages and identities with quotes, backslashes, control
characters, characters past ASCII and lone surrogates (what a record can carry into a
message), integers past 64 bits and floats in the evidence (which only the standard
library's encoder writes exactly), tuples, maps, waivers, locations and baselines, and
values that spell the encoder's own placeholders.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smscan.codec import decode_finding, finding_text
from smscan.finding_texts import FindingTexts
from smscan.models import Evidence, Finding, Location, Origin, Resource, Severity, Status, Waiver
from tests.factories import mixed_findings

_ODD = st.sampled_from(['"', "\\", "\n", "\x00", "\x1f", "\x7f", "\u00e9", "\u2028", "\ud800", "smscan-message-", " "])
_TEXT = st.one_of(st.text(max_size=12), st.lists(st.one_of(_ODD, st.text(max_size=3)), max_size=5).map("".join))
_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False), _TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner), st.dictionaries(_TEXT, inner, max_size=3)),
    max_leaves=4,
)
_EVIDENCE = st.builds(
    Evidence, _TEXT, st.sampled_from(["equals", "exists", "le"]), _VALUE,
    st.lists(_VALUE, max_size=3).map(tuple), st.booleans(), _TEXT,
)
_RESOURCE = st.builds(
    Resource, _TEXT, _TEXT, _TEXT, _TEXT, st.one_of(st.none(), _TEXT),
    st.builds(Origin, _TEXT, st.one_of(st.none(), st.integers(0, 2**65)), st.one_of(st.none(), _TEXT)),
)
_FINDING = st.builds(
    Finding, st.sampled_from(["network-isolation", "vpc-configured"]), st.sampled_from(list(Severity)),
    st.sampled_from(list(Status)), _RESOURCE, _TEXT, st.lists(_EVIDENCE, max_size=2).map(tuple),
    st.one_of(st.none(), st.builds(Location, _TEXT, st.integers(1, 99), st.integers(1, 9))),
    st.one_of(st.none(), st.builds(Waiver, _TEXT, _TEXT, _TEXT, _TEXT)),
    st.one_of(st.none(), st.sampled_from(["new", "unchanged"])),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_FINDING, min_size=1, max_size=6), st.data())
def test_each_text_is_the_whole_encoders(findings: list[Finding], data: st.DataObject) -> None:
    texts = FindingTexts()
    # Findings that share an evidence tuple and a resource, as a job's and the memo's do.
    shared = [findings[0]] + [
        Finding(f.policy_id, f.severity, f.status, findings[0].resource if data.draw(st.booleans()) else f.resource,
                f.message, findings[0].evidence if data.draw(st.booleans()) else f.evidence, f.location, f.waiver,
                f.baseline)
        for f in findings[1:]
    ]
    for f in shared + shared:
        text, exact = texts.encode(f)
        assert text == finding_text(f)
        if exact:  # what a --jobs worker stores as its text alone must decode as it was
            assert repr(decode_finding(text)) == repr(f)
            assert decode_finding(text) == f


def test_a_value_spelling_a_placeholder_is_encoded_whole() -> None:
    texts = FindingTexts()
    f = mixed_findings()[0]
    spelled = Finding(f.policy_id, f.severity, f.status, f.resource, texts._message, f.evidence)
    assert texts(spelled) == finding_text(spelled)
    inside = Finding(f.policy_id, f.severity, f.status, f.resource, f.message,
                     (Evidence("$.a", "equals", texts._resource, (texts._message,), False),))
    assert texts(inside) == finding_text(inside)


def test_the_fleets_findings() -> None:
    texts = FindingTexts()
    for f in mixed_findings() * 2:
        text, exact = texts.encode(f)
        assert text == finding_text(f)
        assert exact
        assert repr(decode_finding(text)) == repr(f)


def test_what_json_would_change_is_not_called_exact() -> None:
    texts = FindingTexts()
    f = mixed_findings()[0]
    for expected in [(1, 2), {"b": 1, "a": 2}, float("nan"), 2**64, [("x",)]]:
        odd = Finding(f.policy_id, f.severity, f.status, f.resource, f.message,
                      (Evidence("$.a", "equals", expected, (), False),))
        assert texts.encode(odd) == (finding_text(odd), False)
