"""Writing reports: checked before the scan starts, written atomically after it ends.

A renderer writes to a temporary file beside its destination, which is renamed
over it once complete, so an interrupted run never leaves a half report, and a
crash in rendering never leaves an empty one. Standard output gets the report
only once it is whole, for the same reason.
"""

from __future__ import annotations

import functools
import io
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from smscan.errors import RenderError, UsageError


@dataclass(frozen=True)
class Target:
    fmt: str
    path: Path | None  # None: standard output


def plan_targets(formats: list[str], output_dir: str | None, output_file: str | None) -> list[Target]:
    if output_file and len(formats) > 1:
        raise UsageError("-o/--output takes one format; use --output-dir for several")
    if output_file:
        return [Target(formats[0], None if output_file == "-" else Path(output_file))]
    from smscan.reports import FORMATS

    directory = Path(output_dir or ".")
    return [Target(f, directory / f"report.{FORMATS[f].extension}") for f in formats]


def package_dirs() -> list[Path]:
    """smscan's own directories: where it is installed, or scanner/ reports/ policies/ of a
    source checkout (which `--output-dir reports/` run from the checkout would land in)."""
    import smscan
    from smscan import policies, reports

    return [Path(m.__file__).resolve().parent for m in (smscan, reports, policies) if m.__file__]


SOURCE_PACKAGES = ("scanner", "reports", "policies")


def _source_tree_dirs(full: Path) -> list[Path]:
    """The package folders of an smscan checkout that `full` lies in (its pyproject names smscan)."""
    for tree in full.parents:
        project = tree / "pyproject.toml"
        if project.is_file():
            try:
                named = 'name = "smscan"' in project.read_text(encoding="utf-8", errors="replace")
            except OSError:
                named = False
            return [tree / name for name in SOURCE_PACKAGES] if named else []
    return []


def inside_package(directory: Path) -> Path | None:
    full = directory.resolve()
    candidates = package_dirs() + _source_tree_dirs(full)
    return next((pkg for pkg in candidates if full == pkg or pkg in full.parents), None)


def check_writable(targets: list[Target]) -> None:
    """Fail before any scanning (and any AWS call) when a report could not be written."""
    warned: set[Path] = set()
    for target in targets:
        if target.path is not None and target.path.parent not in warned:
            pkg = inside_package(target.path.parent)
            if pkg is not None:
                warned.add(target.path.parent)
                print(
                    f"smscan: warning: {target.path.parent} is inside smscan's own package"
                    f" directory {pkg}; reports there mix with its code (and vanish on reinstall):"
                    " pick another --output-dir",
                    file=sys.stderr,
                )
    for target in targets:
        if target.path is None:
            continue
        directory = target.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"{directory}: cannot create output directory ({exc.strerror})") from None
        if not os.access(directory, os.W_OK | os.X_OK):
            raise UsageError(f"{directory}: output directory is not writable")
        if target.path.is_dir():
            raise UsageError(f"{target.path}: is a directory, expected a report file name")


Writer = Callable[[TextIO], None]


def write_atomic(path: Path, write: Writer) -> None:
    """Write a report beside `path` and rename it into place, so no reader ever sees half
    of one. A path that exists and is not a regular file (/dev/null, a FIFO, a terminal) is
    written as it is: renaming over it would put a file where the device was."""
    try:
        if path.exists() and not path.is_file():
            with path.open("w", encoding="utf-8", newline="\n") as handle:
                write(handle)
            return
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            # mkstemp makes the file 0600; a report gets the mode any new file would get.
            os.fchmod(fd, 0o666 & ~_umask())
            with io.TextIOWrapper(io.BufferedWriter(_WritingBack(fd, "w")), encoding="utf-8", newline="\n") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise RenderError(f"{path}: cannot write report ({exc.strerror})") from None


class _WritingBack(io.FileIO):
    """A report file whose written data the kernel starts putting on disk as it goes.

    A report of a large fleet is hundreds of megabytes; left in the page cache, all of it
    waits for the fsync that comes before the rename, with nothing else to do meanwhile.
    Asked every few megabytes (Linux sync_file_range, which only starts the writes), the
    disk works while the report is still being made, and the fsync waits for the tail."""

    def __init__(self, fd: int, mode: str) -> None:
        super().__init__(fd, mode)
        self._started = 0  # bytes whose writing was asked for
        self._pending = 0  # bytes written since

    def write(self, data: Any) -> int:
        done = super().write(data) or 0
        self._pending += done
        if self._pending >= _WRITEBACK_BYTES:
            call = _sync_file_range()
            if call is not None:  # only a hint: if it fails, the fsync still writes everything
                call(self.fileno(), self._started, self._pending, _SYNC_FILE_RANGE_WRITE)
            self._started, self._pending = self._started + self._pending, 0
        return done


@functools.cache
def _sync_file_range() -> Any:
    """libc's sync_file_range (Linux), or None; looked up when a report first needs it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        call = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    call.argtypes = (ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint)
    call.restype = ctypes.c_int
    return call


_WRITEBACK_BYTES = 8 * 1024 * 1024
_SYNC_FILE_RANGE_WRITE = 2  # from <linux/fs.h>: start writing the dirty pages, do not wait


def emit(target: Target, write: Writer) -> str:
    """Write one report with `write(stream)`; returns where it went."""
    if target.path is None:
        buffer = io.StringIO()
        write(buffer)
        sys.stdout.write(buffer.getvalue())
        sys.stdout.flush()
        return "<stdout>"
    write_atomic(target.path, write)
    return str(target.path)


def append_text(path: Path, text: str) -> None:
    """Append to a file someone else owns (GitHub's step summary); never truncate it."""
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise RenderError(f"{path}: cannot append the step summary ({exc.strerror})") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
