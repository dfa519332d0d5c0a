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
        doc, _ = parse_json(text)
    except JsonProblem as err:
        raise NotebookProblem(f"invalid notebook JSON at line {err.pos.line}: {err}", err.pos.line) from None
    cells = doc.get("cells") if isinstance(doc, YMap) else None
    if not isinstance(cells, YList):
        raise NotebookProblem("not a Jupyter notebook (no cells list)", None)
    out = NotebookSource()
    chunks: list[str] = []
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
        try:
            ast.parse(code)
        except SyntaxError as err:
            where = numbers[min((err.lineno or 1) - 1, len(numbers) - 1)] if numbers else cells.item_pos[index].line
            out.skipped.append((where, f"notebook cell {index + 1} is not valid Python ({err.msg}): not read"))
            continue
        chunks.append(code)
        out.lines.extend(numbers)  # one Python line per source line, "\n" added where missing
    out.text = "".join(chunks)
    return out


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
