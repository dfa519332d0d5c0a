"""A Jupyter notebook's code cells as one Python source, with a map back to the .ipynb lines.

The notebook is JSON (nbformat 4): `cells[].source` is a list of lines (or one
string). It is parsed with smscan's positioned JSON parser, so each source line
knows the line of the .ipynb file that holds it, and findings point there.

IPython syntax is not Python: a line magic (`%pip install`), a shell line
(`!aws s3 cp ...`, `!{sys.executable} -m pip install`), a help query (`obj?`) and
`x = !cmd` are replaced by `pass` at the same indentation (so an `if` whose body
they are still parses); a cell magic (`%%bash`, `%%writefile`) makes the whole cell
not Python, except those whose body IPython runs as Python (`%%time`, `%%capture`). A code cell that still does not parse is left out, with a note, and
the other cells are read: a notebook is run cell by cell, and one broken cell does
not stop the others.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field

from smscan.sources.requests.jsonpos import JsonProblem, parse_json
from smscan.yamlpos import YList, YMap

# Cell magics whose body IPython runs as Python (a job defined under them is created).
_PYTHON_CELL_MAGICS = frozenset({"%%time", "%%timeit", "%%capture", "%%prun", "%%python", "%%python3", "%%debug"})
_IPYTHON_LINE = re.compile(r"^(\s*)(?:[%!]|[\w.]+\s*=\s*[%!])")


@dataclass
class NotebookSource:
    text: str = ""
    tree: ast.Module | None = None  # the text parsed, when every cell was Python
    lines: list[int] = field(default_factory=list)  # python line n (1-based) -> lines[n - 1] in the .ipynb
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (ipynb line, why a cell was left out)

    def line(self, number: int) -> int:
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return self.lines[-1] if self.lines else 1


class NotebookProblem(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        self.line = line
        super().__init__(message)


def notebook_source(text: str) -> NotebookSource:
    try:
        doc, _ = parse_json(_without_outputs(text))
    except JsonProblem as err:
        raise NotebookProblem(f"invalid notebook JSON at line {err.pos.line}: {err}", err.pos.line) from None
    cells = doc.get("cells") if isinstance(doc, YMap) else None
    if not isinstance(cells, YList):
        raise NotebookProblem("not a Jupyter notebook (no cells list)", None)
    out = NotebookSource()
    chunks: list[tuple[int, str, list[int]]] = []  # (cell index, code, .ipynb line of each code line)
    for index, cell in enumerate(cells):
        if not isinstance(cell, YMap) or cell.get("cell_type") != "code":
            continue
        lines, numbers = _cell_lines(cell, cells.item_pos[index].line)
        if lines and lines[0].lstrip().startswith("%%"):
            if lines[0].split()[0] not in _PYTHON_CELL_MAGICS:
                continue  # a cell magic: the cell is bash, a file to write, SQL ...
            lines = ["\n", *lines[1:]]  # %%time, %%capture ...: the rest of the cell is Python
        python = [_python_line(line) for line in lines]
        code = "".join(line if line.endswith("\n") else line + "\n" for line in python)
        chunks.append((index, code, numbers or [cells.item_pos[index].line]))
    try:  # the usual case: every cell is Python, and one parse does
        out.tree = ast.parse("".join(code for _, code, _ in chunks))
    except SyntaxError:
        chunks = [chunk for chunk in chunks if _parses(chunk, out)]
    for _, code, numbers in chunks:
        out.lines.extend(numbers[: code.count("\n")])  # one Python line per source line
    out.text = "".join(code for _, code, _ in chunks)
    return out


def _parses(chunk: tuple[int, str, list[int]], out: NotebookSource) -> bool:
    index, code, numbers = chunk
    try:
        ast.parse(code)
    except SyntaxError as err:
        where = numbers[min((err.lineno or 1) - 1, len(numbers) - 1)]
        out.skipped.append((where, f"notebook cell {index + 1} is not valid Python ({err.msg}): not read"))
        return False
    return True


_OUTPUTS = re.compile(r'(?<!\\)"(?:outputs|attachments)"\s*:\s*')
_DECODER = json.JSONDecoder()


def _without_outputs(text: str) -> str:
    """The notebook with every cell's outputs and attachments emptied, newlines kept.

    Outputs (images, tables, logs) are most of a notebook's bytes and hold no code; the
    positioned parser is pure Python, so they are cut with json's C decoder first. A key
    named so inside a string is escaped (\\"outputs\\") and never matches.
    """
    pieces, at = [], 0
    for match in _OUTPUTS.finditer(text):
        start = match.end()
        if start < at:
            continue
        try:
            _, end = _DECODER.raw_decode(text, start)
        except ValueError:
            continue  # not a value here after all: left for the positioned parser to judge
        empty = "[]" if text.startswith("[", start) else "{}" if text.startswith("{", start) else text[start:end]
        pieces += [text[at:start], empty, "\n" * text.count("\n", start, end)]
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


def _cell_lines(cell: YMap, cell_line: int) -> tuple[list[str], list[int]]:
    source = cell.get("source")
    if isinstance(source, YList):
        lines, numbers = [], []
        for index, item in enumerate(source):
            if isinstance(item, str):
                # nbformat stores one line per item; an item may still hold several
                for part in item.splitlines(keepends=True) or [""]:
                    lines.append(part)
                    numbers.append(source.item_pos[index].line)
        return lines, numbers
    if isinstance(source, str):
        line = cell.key_pos["source"].line if "source" in cell.key_pos else cell_line
        parts = source.splitlines(keepends=True)
        return parts, [line] * len(parts)  # one JSON string: every line is on the key's line
    return [], []


def _python_line(line: str) -> str:
    """An IPython-only line as `pass` at its indentation; a Python line unchanged."""
    match = _IPYTHON_LINE.match(line)
    if match:
        return f"{match[1]}pass\n"
    stripped = line.rstrip()
    if stripped.endswith("?") and "#" not in stripped and not stripped.lstrip().startswith(("'", '"')):
        return line[: len(line) - len(line.lstrip())] + "pass\n"  # `obj?`: IPython help
    return line
