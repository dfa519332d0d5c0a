"""hstore text <-> dict, as inventory exports carry environment, hyper_parameters and tags."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscan.record.hstore import format_hstore, parse_hstore

# --- hstore ---


def test_parses_postgres_output_with_null() -> None:
    assert parse_hstore('"a"=>"1", "b"=>NULL') == {"a": "1", "b": None}


def test_empty_and_blank_text_is_empty_map() -> None:
    assert parse_hstore("") == {}
    assert parse_hstore("  \n ") == {}


def test_backslash_escapes_inside_quotes() -> None:
    text = r'"say"=>"he said \"hi\"", "path"=>"C:\\models\\", "odd"=>"\x"'
    assert parse_hstore(text) == {"say": 'he said "hi"', "path": "C:\\models\\", "odd": "x"}


def test_unquoted_tokens_whitespace_and_null_spellings() -> None:
    text = ' key1 => value1 ,\n\tkey2=>"NULL", key3 => null ,NULL=>x'
    assert parse_hstore(text) == {"key1": "value1", "key2": "NULL", "key3": None, "NULL": "x"}


def test_quoted_delimiters_are_data() -> None:
    assert parse_hstore('"a,b"=>"c=>d", "e f"=>""') == {"a,b": "c=>d", "e f": ""}


def test_duplicate_key_keeps_first_value() -> None:
    assert parse_hstore('"a"=>"1", "a"=>"2"') == {"a": "1"}


@pytest.mark.parametrize(
    ("text", "offset", "expected"),
    [
        ('"a"=>"1" "b"=>"2"', "character offset 9", "',' or the end"),
        ('"a" "1"', "character offset 4", "'=>'"),
        ('"a"=>', "end of text", "a value"),
        ('"a"=>"unterminated', "end of text", "closing"),
        ('"a"=>"1",', "end of text", "a key after ','"),
        ('=>"1"', "character offset 0", "a key"),
        ('"a"=>"x\\', "end of text", "closing"),
    ],
)
def test_invalid_text_names_offset_and_expectation(text: str, offset: str, expected: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_hstore(text)
    message = str(info.value)
    assert offset in message
    assert expected in message


def test_error_never_echoes_the_text() -> None:
    secret = "hunter2-planted-secret"
    with pytest.raises(ValueError) as info:
        parse_hstore(f'"password"=>"{secret}" garbage')
    assert secret not in str(info.value)
    assert "password" not in str(info.value)


def test_parse_is_linear_on_hostile_input() -> None:
    # Many escapes before a far-away closing quote: a rescanning parser goes quadratic.
    # CPU time of this process, not wall-clock time: other processes on a loaded machine do
    # not count, and a quadratic parser would need minutes, far above the budget.
    text = '"k"=>"' + "\\a" * 200_000 + '"'
    started = time.process_time()
    assert parse_hstore(text) == {"k": "a" * 200_000}
    unterminated = '"k"=>"' + "\\" + '"' * 200_001
    with pytest.raises(ValueError):
        parse_hstore(unterminated)
    assert time.process_time() - started < 2.0


def test_format_quotes_everything_and_writes_null() -> None:
    assert format_hstore({"a": 'x"y', "b\\": None}) == '"a"=>"x\\"y", "b\\\\"=>NULL'
    assert format_hstore({}) == ""


def test_format_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        format_hstore({"a": 1})  # type: ignore[dict-item]


@given(st.dictionaries(st.text(), st.one_of(st.none(), st.text())))
def test_round_trip(pairs: dict[str, str | None]) -> None:
    assert parse_hstore(format_hstore(pairs)) == pairs
