"""Microsoft's SARIF multitool (npm `@microsoft/sarif-multitool-linux`), when installed.

`.ci/run` installs it with npm when npm is present and exports SMSCAN_SARIF_MULTITOOL, the
path of its `Sarif.Multitool` binary. Tests that need it skip, saying why, when it is absent.
`validate` runs the rules GitHub code scanning applies (`--rule-kind "Gh;Sarif"`) and
returns every error and warning; notes are returned apart (smscan decides on each, see
docs/SARIF.md).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ENV = "SMSCAN_SARIF_MULTITOOL"


def multitool() -> str:
    path = os.environ.get(ENV, "")
    if not path:
        pytest.skip(f"the SARIF multitool is not installed ({ENV} is not set; .ci/run installs it with npm)")
    if not os.access(path, os.X_OK):
        pytest.skip(f"{ENV}={path} is not an executable")
    return path


def validate(sarif: Path, work: Path) -> tuple[list[str], list[str]]:
    """(errors and warnings, notes) as `RULE: message` lines for one SARIF file."""
    out = work / f"{sarif.name}.validation.sarif"
    env = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"}
    done = subprocess.run(
        [multitool(), "validate", "--rule-kind", "Gh;Sarif", "--level", "Error;Warning;Note",
         "--log", "ForceOverwrite", "--output", str(out), str(sarif)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert out.exists(), f"the multitool wrote no log (exit {done.returncode}): {done.stdout[-2000:]}{done.stderr[-2000:]}"
    log = json.loads(out.read_text(encoding="utf-8-sig"))
    serious, notes = [], []
    for run in log.get("runs", []):
        for res in run.get("results", []):
            args = res.get("message", {}).get("arguments", [])
            line = f"{res.get('ruleId')}: {res.get('message', {}).get('id', '')} {args}"
            (notes if res.get("level") == "note" else serious).append(line)
    return serious, notes
