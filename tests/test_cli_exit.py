"""The `smscan` command's exit (smscan.cli.main.run): main's exit code, the exit handlers
run and the standard streams flushed, as a normal interpreter exit gives them, even though
the interpreter's teardown is skipped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
# An exit handler registered as a library would (logging, multiprocessing and tempfile do),
# and output left in stdout's buffer (a pipe is block-buffered) when run() exits.
_SCRIPT = """
import atexit, sys
from pathlib import Path
from smscan.cli.main import run
marker = Path(sys.argv[1])
atexit.register(lambda: marker.write_text("handler ran"))
sys.argv = ["smscan", *sys.argv[2:]]
print("before main", end="")
run()
"""


def _run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    marker = tmp_path / "marker"
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(marker), *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    return proc, marker


def test_a_clean_exit_runs_the_exit_handlers_and_flushes_stdout(tmp_path: Path) -> None:
    proc, marker = _run(tmp_path, "--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("before mainsmscan ")
    assert marker.read_text() == "handler ran"


def test_a_failing_scan_keeps_its_exit_code_and_its_message(tmp_path: Path) -> None:
    proc, marker = _run(tmp_path, "scan", "--input", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "r.json"))
    assert proc.returncode == 3  # the input could not be read: incomplete
    assert "missing.jsonl" in proc.stderr and "Traceback" not in proc.stderr
    assert marker.read_text() == "handler ran"


def test_the_console_script_and_the_module_use_run() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'smscan = "smscan.cli.main:run"' in pyproject
    assert "run()" in (ROOT / "scanner" / "__main__.py").read_text()
