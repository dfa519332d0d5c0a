"""Artifact URIs for SARIF: repo-relative, POSIX, percent-encoded, never absolute.

GitHub rejects a result whose location is not a file in the repository, and the upload
action drops absolute paths outside the checkout; so every URI is made relative to the
SARIF root, and a file outside it falls back to a path that is relative by construction.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote

from smscan.models import Finding, PolicyInfo


@dataclass(frozen=True)
class Where:
    uri: str
    line: int
    inside_root: bool  # False: a fallback path (pack-relative or bare file name)
    source: str  # the path as given, for the "outside the root" note


def encode(posix_path: str) -> str:
    return quote(posix_path, safe="/")


_INSTALL_DIRS = frozenset({"site-packages", "dist-packages"})


@lru_cache(maxsize=4096)
def _venv_dir(directory: str) -> bool:
    here = Path(directory)
    return any((d / "pyvenv.cfg").is_file() for d in (here, *here.parents))


def in_environment(path: str) -> bool:
    """True for a file of an installed package or a virtualenv: never part of a repository,
    even when the virtualenv sits inside the checkout (`.venv/lib/.../site-packages`)."""
    full = os.path.abspath(path)
    if _INSTALL_DIRS.intersection(Path(full).parts):
        return True
    if sys.prefix != sys.base_prefix and full.startswith(os.path.abspath(sys.prefix) + os.sep):
        return True
    return _venv_dir(os.path.dirname(full))


def _relative_to(path: str, root: Path) -> str | None:
    """`path` relative to `root` as POSIX text, or None when it lies outside it (or lies in
    an installed package or a virtualenv, which no upload can resolve)."""
    if in_environment(path):
        return None
    for resolve in (os.path.abspath, os.path.realpath):
        target, base = resolve(path), resolve(os.fspath(root))
        try:
            rel = os.path.relpath(target, base)
        except ValueError:  # another drive on Windows
            continue
        posix = Path(rel).as_posix()
        if posix != "." and posix != ".." and not posix.startswith("../"):
            return posix
    return None


def clean_relative(text: str) -> str:
    """A relative POSIX path built from `text`: no root, no drive, no `.` or `..`."""
    path = PureWindowsPath(text) if "\\" in text else PurePosixPath(text)
    parts = path.parts[1:] if path.anchor else path.parts
    return "/".join(p for p in parts if p not in (".", ".."))


def policy_fallback(policy: PolicyInfo) -> str:
    name = clean_relative(policy.source_path).rsplit("/", 1)[-1]
    return (
        clean_relative(policy.pack_relpath)
        or (f"policies/{name}" if name else "")
        or f"policies/{policy.id}.yaml"
    )


def locate(finding: Finding, policy: PolicyInfo, root: Path) -> Where:
    """The file a result points at: the finding's own location, else its policy's `id:` line."""
    if finding.location is not None:
        given = finding.location.path
        rel = _relative_to(given, root) if given else None
        line = max(1, finding.location.line)
        if rel is not None:
            return Where(encode(rel), line, True, given)
        fallback = clean_relative(given)
        if os.path.isabs(given) or PureWindowsPath(given).anchor or in_environment(given):
            fallback = fallback.rsplit("/", 1)[-1]  # a bare name: never leak where it lived
        return Where(encode(fallback or "unknown"), line, False, given)
    line = max(1, policy.source_line)
    rel = _relative_to(policy.source_path, root) if policy.source_path else None
    if rel is not None:
        return Where(encode(rel), line, True, policy.source_path)
    return Where(encode(policy_fallback(policy)), line, False, policy.source_path)
