"""Where a definition held in a template's string stands in the template file.

A state machine or pipeline written as JSON inside a string (`DefinitionString`,
`PipelineDefinitionBody`) is parsed on its own, so its positions count from the string.
In a YAML literal block scalar (`|`, `|-`, `|+`) line i of the string is line i of the
block in the file, so every position moves down by the block's first line (`shift`); any
other string (JSON, quoted, folded, plain) joins or escapes lines, so every position
becomes the line of the string's key (`relocate`).
"""

from __future__ import annotations

from typing import Any

from smscan.sources.requests.intrinsics import intrinsic
from smscan.yamlpos import Pos, YList, YMap


def literal_block(holder: YMap, key: str) -> tuple[int, str] | None:
    """(first file line, text) when holder[key] is a literal block scalar, or Fn::Sub of one."""
    value = holder[key]
    if isinstance(value, str):
        return (holder.blocks[key], value) if key in holder.blocks else None
    call = intrinsic(value)
    if call is None or call[0] != "Fn::Sub":
        return None
    arg = call[1]
    if isinstance(arg, str):  # `!Sub |` (the tagged scalar is holder's) or `Fn::Sub: |`
        start = holder.blocks.get(key, value.blocks.get("Fn::Sub"))
        return None if start is None else (start, arg)
    if isinstance(arg, YList) and arg and isinstance(arg[0], str) and 0 in arg.blocks:
        return arg.blocks[0], arg[0]  # `!Sub [|, {Variables}]`
    return None


def shift(value: Any, lines: int) -> None:
    """Move every position `lines` down: a literal block's text starts further down the file."""
    if isinstance(value, YMap):
        value.pos = Pos(value.pos.line + lines, value.pos.col)
        value.key_pos = {k: Pos(p.line + lines, p.col) for k, p in value.key_pos.items()}
        for child in value.values():
            shift(child, lines)
    elif isinstance(value, YList):
        value.pos = Pos(value.pos.line + lines, value.pos.col)
        value.item_pos = [Pos(p.line + lines, p.col) for p in value.item_pos]
        for child in value:
            shift(child, lines)


def relocate(value: Any, pos: Pos) -> None:
    """Every position set to `pos`: no line of the string is a line of the file."""
    if isinstance(value, YMap):
        value.pos = pos
        value.key_pos = dict.fromkeys(value.key_pos, pos)
        for child in value.values():
            relocate(child, pos)
    elif isinstance(value, YList):
        value.pos = pos
        value.item_pos = [pos] * len(value)
        for child in value:
            relocate(child, pos)
