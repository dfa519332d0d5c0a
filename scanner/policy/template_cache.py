"""Which message templates are known to pass the load-time check, cached beside the pack cache.

Checking a template means importing Jinja2 and parsing with it: more than a third of
`smscan policy validate` (bytecode cached) once the pack's YAML comes from its cache
(smscan.policy.pack_cache). The check is a pure function of three things, and the cache
is keyed by all three, so an entry is trusted only where the check would give the same:
- the template's text (its SHA-256; an entry says "this exact text passed");
- smscan's checking code (the bytes of messages.py: the refused constructs, and the
  environment whose parser the check uses);
- Jinja2 itself (its __init__.py, which holds its version, and the size of its files).

Only passes are stored: a template that fails is checked with Jinja2 on every run, so it
is refused with the message and position it always had. A passed template is still
checked again by Jinja2 before its first render (smscan.policy.message_field), so a scan
never renders a template on the cache's word alone.

Stored where the pack cache is (the built-in pack's `__pycache__`, or under
sys.pycache_prefix), under the same rules: never written where Python writes no
bytecode; anything unreadable, malformed or from another key is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from smscan.policy.pack_cache import add_package, cache_path, read_keyed, write_whole

FORMAT = 1
CACHE_NAME = "smscan-template-checks.json"
MAX_ENTRIES = 1000  # user packs come and go: the file stays small, newest first
CHECKING_CODE = ("messages.py",)  # where the checks and the checking environment are defined


def checker_key() -> str | None:
    """What a check depends on besides the template: smscan's checking code and Jinja2.

    None when they cannot be read (an install without sources): then nothing is cached."""
    digest = hashlib.sha256(f"template checks {FORMAT}".encode())
    here = Path(__file__).resolve().parent
    try:
        for name in CHECKING_CODE:
            digest.update((here / name).read_bytes())
    except OSError:
        return None
    return digest.hexdigest() if add_package(digest, "jinja2") else None


def template_digest(source: str) -> str:
    # surrogatepass: a YAML escape such as "\ud800" gives a text UTF-8 cannot encode plainly
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def _is_digest(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and not value.strip("0123456789abcdef")


class TemplateChecks:
    """The templates known to pass, read from and written back to the cache beside `pack_dir`'s."""

    def __init__(self, pack_dir: Path) -> None:
        self.path = cache_path(pack_dir).with_name(CACHE_NAME)
        # As for the pack cache: without a cache to read or leave, Jinja2's files are not even looked at.
        self.key = checker_key() if not sys.dont_write_bytecode or self.path.is_file() else None
        self.writable = self.key is not None and not sys.dont_write_bytecode
        self.known: dict[str, None] = self._read()  # an ordered set, newest first
        self.used: dict[str, None] = {}
        self.changed = False

    def _read(self) -> dict[str, None]:
        doc = read_keyed(self.path, self.key)
        if doc is None:
            return {}
        passed = doc.get("passed")
        if not isinstance(passed, list) or not all(map(_is_digest, passed)):
            return {}  # not what save writes: trust none of it
        return dict.fromkeys(passed)

    def passed(self, source: str) -> bool:
        """True only when this exact text passed the same check with the same Jinja2."""
        if not self.known:
            return False
        digest = template_digest(source)
        if digest not in self.known:
            return False
        self.used[digest] = None
        return True

    def add(self, source: str) -> None:
        """Record that `source` passed the check just now."""
        if not self.writable:
            return
        digest = template_digest(source)
        self.changed = self.changed or digest not in self.known
        self.used[digest] = None

    def save(self) -> None:
        """Write the cache back when a template passed that it did not hold."""
        if not (self.writable and self.changed):
            return
        passed = [*self.used, *(d for d in self.known if d not in self.used)][:MAX_ENTRIES]
        write_whole(self.path, json.dumps({"key": self.key, "passed": passed}, separators=(",", ":")))
