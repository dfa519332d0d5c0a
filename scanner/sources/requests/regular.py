"""Read a file that a scanned file names (a template, a sibling .tf, an SDK config): regular files only.

Such a path comes from the scanned tree, not from the walker, so it is checked here:
opening a FIFO would block the scan until a writer comes. It is opened without
blocking and refused unless the descriptor is a regular file.
"""

from __future__ import annotations

import errno
import os
import stat


def read_regular(path: str, limit: int) -> bytes:
    """Up to `limit` bytes of the regular file `path`; OSError for anything else."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        return stream.read(limit)
