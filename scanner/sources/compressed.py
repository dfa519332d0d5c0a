"""Gzip-compressed record files, decompressed as they are read.

CloudTrail delivers its log files to S3 as `.json.gz` (the CloudTrail user guide, "CloudTrail
log file examples": `AccountID_CloudTrail_RegionName_YYYYMMDDTHHmmZ_UniqueString.json.gz`),
and exports are often kept compressed. sources/files.py opens a file named `*.gz` (and stdin
that starts with the gzip magic bytes) through `gunzip()`, and the JSON / JSON Lines reader
then sees the decompressed bytes, streamed, with the same shape detection as a plain file.

Two promises the plain file keeps must hold for the compressed one too:

- Bad input is one line, never a traceback. The gzip module fails in four ways (BadGzipFile
  for a wrong header or CRC, EOFError for a truncated file, zlib.error for corrupt deflate
  data, OSError from the file itself); each becomes an OSError whose strerror says what is
  wrong, which the file source reports as "cannot read file: ..." naming the file.
- A size limit means something. On disk a gzip file can be a thousand times smaller than
  what it expands to, so `limit` (the source's max_file_bytes) bounds the decompressed
  bytes of the whole file: past it, reading stops with an OSError, before a gzip bomb can
  fill memory or keep the scan busy. Nothing is ever decompressed ahead of the reader by
  more than one buffer.
"""

from __future__ import annotations

import errno
import gzip
import io
import zlib
from typing import IO

GZIP_MAGIC = b"\x1f\x8b"
GZIP_SUFFIX = ".gz"
_BUFFER = 64 * 1024


def is_gzip_name(path: str) -> bool:
    return path.lower().endswith(GZIP_SUFFIX)


def without_gzip_suffix(path: str) -> str:
    """`trail.json.gz` -> `trail.json`: the inner name decides JSON or JSON Lines."""
    return path[: -len(GZIP_SUFFIX)] if is_gzip_name(path) else path


def starts_gzipped(stream: IO[bytes]) -> bool:
    """True when a peekable stream (stdin) begins with the gzip magic bytes; nothing is consumed."""
    peek = getattr(stream, "peek", None)
    return peek is not None and bytes(peek(len(GZIP_MAGIC))[: len(GZIP_MAGIC)]) == GZIP_MAGIC


def gunzip(stream: IO[bytes], limit: int, *, close_stream: bool = True) -> IO[bytes]:
    """A buffered stream of the decompressed bytes of `stream` (closed with it unless
    `close_stream` is False: stdin stays open).

    Reads raise OSError (strerror: what is wrong) for data that is not valid gzip and once
    more than `limit` decompressed bytes were asked for. Up to limit + 1 bytes come through,
    so a reader that checks its own limit still sees one byte too many and can say so.
    """
    return io.BufferedReader(_Gunzip(stream, limit, close_stream), buffer_size=_BUFFER)


class _Gunzip(io.RawIOBase):
    def __init__(self, stream: IO[bytes], limit: int, close_stream: bool) -> None:
        self._stream = stream
        self._close_stream = close_stream
        self._gzip = gzip.GzipFile(fileobj=stream, mode="rb")
        self._limit = limit
        self._given = 0  # decompressed bytes handed out so far

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        room = self._limit + 1 - self._given
        if room <= 0:
            raise OSError(errno.EFBIG, f"decompressed data larger than {self._limit} bytes: not read further")
        view = memoryview(buffer).cast("B")[:room]
        try:
            count = self._gzip.readinto(view)
        except EOFError:
            raise OSError(errno.EINVAL, "truncated gzip data (the file ends before its end-of-stream marker)") from None
        except zlib.error as err:
            raise OSError(errno.EINVAL, f"corrupt gzip data ({err})") from None
        except gzip.BadGzipFile as err:
            raise OSError(errno.EINVAL, f"not valid gzip data ({err})") from None
        self._given += count
        return count

    def close(self) -> None:
        try:
            self._gzip.close()  # a GzipFile given a fileobj leaves it open
            if self._close_stream:
                self._stream.close()
        finally:
            super().close()
