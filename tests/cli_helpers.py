"""Run the CLI in-process and build input files for it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smscan.cli.main import main
from smscan.models import Record


def write_jsonl(path: Path, records: list[Record], extra_lines: list[str] = ()) -> Path:  # type: ignore[assignment]
    lines = [json.dumps(r.data) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err
