"""Compiled simple paths return exactly what jsonpath-ng returns."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonpath_ng.ext import parse

from smscan.policy.paths import PathSyntaxError, compile_path

SIMPLE = [
    "$.enable_network_isolation",
    "$.vpc_config.Subnets",
    "$.vpc_config.Subnets[*]",
    "$.vpc_config.Subnets[0]",
    "$.vpc_config.Subnets[-1]",
    "$.tags['cost-center']",
    '$.tags["owner"]',
    "$.input_data_config[*].DataSource.S3DataSource.S3Uri",
    "$.environment.*",
    "$.vpc_config.*.x",
    "$.tags[*][0]",
    "$.missing.deeper[*].x",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(["Subnets", "x", "owner", "cost-center", "DataSource", "S3DataSource", "S3Uri"]), children, max_size=3),
    max_leaves=12,
)
records = st.fixed_dictionaries(
    {},
    optional={
        "enable_network_isolation": json_values,
        "vpc_config": json_values,
        "tags": json_values,
        "input_data_config": json_values,
        "environment": json_values,
    },
)


@functools.cache
def _parsed(text: str) -> Any:
    return parse(text)


def _reference(text: str, record: dict[str, Any]) -> list[Any]:
    """jsonpath-ng's own answer (>= 1.16, which the project requires)."""
    return [m.value for m in _parsed(text).find(record)]


@pytest.mark.parametrize("text", SIMPLE)
def test_simple_paths_take_the_fast_path(text: str) -> None:
    # The fast path is a closure of this module, not jsonpath-ng's find.
    assert compile_path(text).finder.__module__ == "smscan.policy.paths"
    assert compile_path(text).finder.__qualname__.startswith("_walk")


@given(record=records)
def test_fast_path_agrees_with_jsonpath_ng(record: dict[str, Any]) -> None:
    for text in SIMPLE:
        assert compile_path(text).find(record) == _reference(text, record), text


def test_complex_paths_fall_back_to_jsonpath_ng() -> None:
    path = compile_path("$.input_data_config[?(@.ChannelName == 'train')].InputMode")
    record = {"input_data_config": [{"ChannelName": "train", "InputMode": "File"}, {"ChannelName": "x"}]}
    assert path.find(record) == ["File"]
    assert path.top_field == "input_data_config"
    assert compile_path("$..Subnets").top_field is None


@pytest.mark.parametrize("text", ["vpc_config", "$.a[", "$.a[?(@.b ==", ""])
def test_invalid_paths_are_refused(text: str) -> None:
    with pytest.raises(PathSyntaxError):
        compile_path(text)
