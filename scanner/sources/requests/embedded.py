"""Where a definition held in a template's string stands in the template file.

A state machine or pipeline written as JSON inside a string (`DefinitionString`,
`PipelineDefinitionBody`) is parsed on its own, so its positions count from the string.
In a YAML literal block scalar (`|`, `|-`, `|+`) line i of the string is line i of the
block in the file, and in an `Fn::Join` on "\\n" line i is the i-th item: every position
moves to its file line (`place`). Any other string (JSON, quoted, folded, plain) joins or
escapes lines, so every position becomes the line of the string's key (`relocate`).
"""

from __future__ import annotations

from typing import Any

from smscan.sources.requests.intrinsics import intrinsic
from smscan.yamlpos import Pos, YList, YMap


def string_lines(holder: YMap, key: str) -> list[int] | None:
    """The file line of each line of the string that holder[key] evaluates to, when each
    line of it is one line of the file; None otherwise.

    That is so for a literal block scalar (also under `Fn::Sub`), and for `Fn::Join` on
    "\\n" of items that hold no line break, one item per line (JSON templates written by
    hand join a definition that way, as the CloudFormation reference once showed).
    """
    value = holder[key]
    if isinstance(value, str):
        return _block_lines(holder.blocks.get(key), value)
    call = intrinsic(value)
    if call is None:
        return None
    name, arg = call
    if name == "Fn::Sub" and isinstance(arg, str):  # `!Sub |` (the tagged scalar is holder's) or `Fn::Sub: |`
        return _block_lines(holder.blocks.get(key, value.blocks.get("Fn::Sub")), arg)
    if name == "Fn::Sub" and isinstance(arg, YList) and arg and isinstance(arg[0], str):
        return _block_lines(arg.blocks.get(0), arg[0])  # `!Sub [|, {Variables}]`
    if name == "Fn::Join" and isinstance(arg, YList) and len(arg) == 2 and arg[0] == "\n" and isinstance(arg[1], YList):
        parts = arg[1]
        if all(not isinstance(part, str) or "\n" not in part for part in parts):
            return [pos.line for pos in parts.item_pos] or None
    return None


def _block_lines(start: int | None, text: str) -> list[int] | None:
    return None if start is None else list(range(start, start + text.count("\n") + 1))


def place(value: Any, lines: list[int]) -> None:
    """Move every position from line i of the string to the file line `lines[i - 1]`."""
    def at(pos: Pos) -> Pos:
        return Pos(lines[min(pos.line, len(lines)) - 1], pos.col)

    if isinstance(value, YMap):
        value.pos = at(value.pos)
        value.key_pos = {k: at(p) for k, p in value.key_pos.items()}
        for child in value.values():
            place(child, lines)
    elif isinstance(value, YList):
        value.pos = at(value.pos)
        value.item_pos = [at(p) for p in value.item_pos]
        for child in value:
            place(child, lines)


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
