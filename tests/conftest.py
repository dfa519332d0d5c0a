"""Shared test settings and fixtures. Machines here are shared and noisy: no Hypothesis deadlines."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from smscan.policy import loader

settings.register_profile("smscan", deadline=None, print_blob=True)
settings.load_profile("smscan")


@pytest.fixture
def pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the built-in pack, loaded as the built-in pack, with its caches writable
    (the pack cache and the template-check cache tests)."""
    copy = tmp_path / "policies"
    copy.mkdir()
    for file in sorted(loader.builtin_pack_dir().glob("*.yaml")):
        shutil.copyfile(file, copy / file.name)
    monkeypatch.setattr(loader, "builtin_pack_dir", lambda: copy)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", None)
    return copy
