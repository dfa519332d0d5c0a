"""The one directory walker of the file sources: which files of a path get read.

Record inputs (`--input DIR`) and request files (positional PATHs) both list their
files here, so both keep the same promises:

- Only regular files are read. A FIFO, a device or a socket whose name would be read
  is skipped with a note: opening a FIFO blocks until a writer comes, so a `b.jsonl`
  FIFO in an input directory would hang the scan forever. `open_regular()` checks the
  opened descriptor again, so a file swapped for a FIFO after the walk cannot hang it
  either; `read_regular()` reads such a file whole (up to a limit), for paths that a
  scanned file names.
- Symlinked directories are never entered (so a symlink loop cannot recurse), and a
  symlinked file is read only when it resolves to a regular file inside the walked
  tree; one pointing outside is skipped with a note, while a dangling one or a loop
  is a Problem (the file the user meant to scan is missing).
- The walk descends at most `max_dir_depth` levels below the path; deeper directories
  are skipped with a note. A subdirectory that cannot be listed is a Problem: the user
  asked for the whole tree and did not get it.
- A path named explicitly is read whatever its extension, but it must still be a
  regular file (a FIFO named on the command line is refused, not waited on).

Files come back in sorted path order (component by component), so a scan of the same
tree always reads the same files in the same order. Limits on what is read inside a
file (bytes, JSON nesting) are the sources' `max_file_bytes` / `max_depth` options.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from dataclasses import dataclass
from typing import IO

from smscan.models import Problem

MAX_DIR_DEPTH = 64  # directory levels below a walked path; real repositories stay far below


@dataclass(frozen=True)
class WalkOptions:
    suffixes: tuple[str, ...]  # lower-case, with the dot: (".json", ".jsonl")
    skip_dirs: Collection[str] = frozenset()  # directory names never entered
    skip_hidden: bool = False  # also skip directories whose name starts with "."
    skip_virtualenvs: bool = False  # also skip directories holding a pyvenv.cfg (venv/, env/)
    max_dir_depth: int = MAX_DIR_DEPTH


@dataclass(frozen=True)
class Walk:
    """What one path expands to, in reading order: file paths to read, and a Problem
    in its place for each file or directory skipped (kind "note") or unreadable."""

    entries: tuple[str | Problem, ...]
    is_dir: bool = False

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(e for e in self.entries if isinstance(e, str))

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(e for e in self.entries if isinstance(e, Problem))


def walk(path: str, options: WalkOptions) -> Walk:
    try:
        info = os.stat(path)
    except OSError as err:
        return Walk((Problem(path, _stat_reason(path, err)),))
    if stat.S_ISDIR(info.st_mode):
        return _walk_dir(path, options)
    if stat.S_ISREG(info.st_mode):
        return Walk((path,))
    return Walk((Problem(path, f"not a regular file ({file_kind(info.st_mode)})"),))


def _walk_dir(path: str, options: WalkOptions) -> Walk:
    root = os.path.realpath(path)
    found: list[tuple[tuple[str, ...], str | Problem]] = []

    def order(full: str) -> tuple[str, ...]:
        return tuple(os.path.relpath(full, path).split(os.sep))

    def unreadable(err: OSError) -> None:  # a subdirectory os.walk cannot list
        where = err.filename if isinstance(err.filename, str) else path
        found.append((order(where), Problem(where, f"cannot read directory: {err.strerror or 'I/O error'}")))

    # followlinks=False: a symlinked directory is never entered, which is what makes
    # symlink loops (and symlinks out of the tree) harmless.
    for folder, dirs, names in os.walk(path, onerror=unreadable, followlinks=False):
        depth = 0 if folder == path else len(order(folder))
        kept = []
        for name in dirs:
            if name in options.skip_dirs or (options.skip_hidden and name.startswith(".")):
                continue
            full = os.path.join(folder, name)
            if options.skip_virtualenvs and os.path.isfile(os.path.join(full, "pyvenv.cfg")):
                continue
            if depth >= options.max_dir_depth and not os.path.islink(full):
                note = f"directory deeper than {options.max_dir_depth} levels: not scanned"
                found.append((order(full), Problem(full, note, kind="note")))
                continue
            kept.append(name)
        dirs[:] = kept
        for name in names:
            if name.lower().endswith(options.suffixes):
                full = os.path.join(folder, name)
                found.append((order(full), _skip_reason(full, root) or full))
    return Walk(tuple(entry for _, entry in sorted(found, key=lambda f: f[0])), is_dir=True)


def _skip_reason(full: str, root: str) -> Problem | None:
    """None for a file to read; else the note (or problem) saying why it is not read."""
    try:
        here = os.lstat(full)
    except OSError as err:  # removed while walking
        return Problem(full, f"cannot read file: {err.strerror or 'I/O error'}")
    if stat.S_ISLNK(here.st_mode):
        target = os.path.realpath(full)
        if not inside(target, root):
            return Problem(full, "symlink to a file outside the scanned directory: not followed", kind="note")
        try:
            here = os.stat(full)
        except OSError as err:  # dangling, or a loop: what the user meant to scan is missing
            return Problem(full, f"cannot read file: {err.strerror or 'I/O error'}")
    if not stat.S_ISREG(here.st_mode):
        return Problem(full, f"not a regular file ({file_kind(here.st_mode)}): skipped", kind="note")
    return None


def open_regular(path: str) -> IO[bytes]:
    """Open `path` for reading, refusing anything but a regular file without blocking.

    O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer;
    the descriptor is then checked, and set back to blocking for ordinary reads.
    Raises OSError (with a readable strerror) for a file that is not regular.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(0, f"not a regular file ({file_kind(mode)})", path)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str, limit: int) -> bytes:
    """Up to `limit` bytes of the regular file `path`; OSError for anything else.

    For a file that a scanned file names (a template's DefinitionUri, a sibling .tf, an
    SDK config): such a path comes from the scanned tree, not from the walk, so the
    check on the opened descriptor is what keeps a FIFO from blocking the scan.
    """
    with open_regular(path) as stream:
        return stream.read(limit)


def inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a directory"),
    )
    return next((text for test, text in kinds if test(mode)), "a special file")


def _stat_reason(path: str, err: OSError) -> str:
    if not os.path.lexists(path):
        return "no such file or directory"
    if os.path.islink(path):
        return f"symlink that leads nowhere ({err.strerror or 'I/O error'})"
    return f"cannot read: {err.strerror or 'I/O error'}"
