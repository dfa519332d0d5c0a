"""The built-in pack composes the same through libyaml as through the checked composer.

The pack's files are the fixtures: they are what the fast path is used for.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from smscan.policy.loader import builtin_pack_dir
from smscan.yamlpos import YList, YMap, parse_text, read_text

PACK = sorted(builtin_pack_dir().glob("*.yaml"))


def _shape(value: Any) -> Any:
    """Values with every position they carry, so equal shapes mean equal parses."""
    if isinstance(value, YMap):
        return ("map", value.pos, [(k, value.key_pos[k], _shape(v)) for k, v in value.items()])
    if isinstance(value, YList):
        return ("list", value.pos, list(value.item_pos), [_shape(v) for v in value])
    return (type(value).__name__, value)


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", PACK, ids=[p.stem for p in PACK])
def test_each_built_in_policy_parses_the_same_either_way(path: Any) -> None:
    text = read_text(path)
    assert _shape(parse_text(text, trusted=True)) == _shape(parse_text(text))


def test_text_libyaml_refuses_gets_the_checked_message() -> None:
    from smscan.yamlpos import YamlProblem

    with pytest.raises(YamlProblem) as trusted:
        parse_text("a: [1, 2\n", trusted=True)
    with pytest.raises(YamlProblem) as checked:
        parse_text("a: [1, 2\n")
    assert str(trusted.value) == str(checked.value)
