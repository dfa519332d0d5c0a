"""The built-in pack's parsed YAML (values and every position), cached as JSON beside its bytecode.

Importing PyYAML and composing the 19 built-in files with positions is about a fifth of
`smscan policy validate` (bytecode cached) and a tenth of a scan's fixed cost. Only the parse is cached: every check
of the loader (keys, ids, conditions, messages, params, examples) still runs on the
tree, so a problem is reported at the same FILE:LINE:COL as without the cache.

Kept correct:
- an entry is used only for a file whose bytes hash (SHA-256) to the one stored with it,
  and only when the parser is the one that wrote it (the bytes of yamlpos.py and
  yamlparse.py, PyYAML's version and the sizes of its files are part of the cache's key);
- a tree is stored only if it reads back identical (types, values, positions), so a value
  JSON cannot hold (a date with a time zone it would change, bytes) is parsed every time;
- anything unexpected in the file (not JSON, another shape, another key) is a miss: the
  pack is parsed as if there were no cache, and the cache is written afresh.

Where, and why it is trusted: `policies/__pycache__/` (or under sys.pycache_prefix), the
directory whose bytecode Python already executes for this package, so the cache is no
more open to tampering than the code that reads it. It is data, never pickle. It is not
written where Python would not write bytecode (PYTHONDONTWRITEBYTECODE, a read-only install):
such an install parses the pack on each run, as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from smscan.yamlpos import DEFAULT_MAX_BYTES, Pos, YList, YMap, decode_text, load_file, parse_text

FORMAT = 1
CACHE_NAME = "smscan-pack-trees.json"


def cache_path(pack_dir: Path) -> Path:
    prefix = sys.pycache_prefix
    if prefix:
        return Path(prefix, *pack_dir.resolve().parts[1:], CACHE_NAME)
    return pack_dir / "__pycache__" / CACHE_NAME


def parser_key() -> str | None:
    """What the trees depend on besides the files: smscan's YAML code and PyYAML's files.

    None when they cannot be read (an install without sources): then nothing is cached."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    here = Path(__file__).resolve().parents[1]
    try:
        for name in ("yamlpos.py", "yamlparse.py"):
            digest.update((here / name).read_bytes())
    except OSError:
        return None
    # PyYAML is located, not imported: it is what the cache spares.
    return digest.hexdigest() if add_package(digest, "yaml") else None


def add_package(digest: hashlib._Hash, name: str) -> bool:
    """Add what identifies an installed package to `digest`, without importing it: its
    __init__.py (which holds its version) and the name and size of every file in it. No
    modification times, so a cache built into a bundle still matches once unzipped.
    False when the package cannot be found or read."""
    try:
        spec = find_spec(name)
        locations = (spec.submodule_search_locations or []) if spec is not None else []
        if not locations:
            return False
        for location in locations:
            digest.update(Path(location, "__init__.py").read_bytes())
            for entry in sorted(os.scandir(location), key=lambda e: e.name):
                if entry.is_file():
                    digest.update(f"{entry.name} {entry.stat().st_size}".encode())
    except (OSError, ValueError, ImportError):
        return False
    return True


def write_whole(path: Path, text: str) -> None:
    """Write a cache file whole or not at all (runs side by side each rename their own);
    a directory that cannot be written (a read-only install) is no error: no cache, then."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def read_keyed(path: Path, key: str | None) -> dict[str, Any] | None:
    """The JSON object of a cache file written under `key`, or None: no key, no file, not
    JSON, not an object, or another key (a cache that is not exactly ours is a miss)."""
    if key is None:
        return None
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested too deep
        return None
    return doc if isinstance(doc, dict) and doc.get("key") == key else None


class PackTrees:
    """Parsed trees of one pack directory, read from and written back to its cache."""

    def __init__(self, pack_dir: Path) -> None:
        self.pack_dir = pack_dir
        self.path = cache_path(pack_dir)
        # Without a cache to read or leave, nothing is hashed, and no tree is encoded.
        self.key = parser_key() if not sys.dont_write_bytecode or self.path.is_file() else None
        self.writable = self.key is not None and not sys.dont_write_bytecode
        self.entries: dict[str, list[Any]] = self._read()
        self.used: dict[str, list[Any]] = {}
        self.changed = False

    def _read(self) -> dict[str, list[Any]]:
        doc = read_keyed(self.path, self.key)
        if doc is None or not isinstance(doc.get("files"), dict):
            return {}
        return {name: entry for name, entry in doc["files"].items() if isinstance(entry, list) and len(entry) == 2}

    def load(self, file: Path) -> Any:
        """The file's tree, as smscan.yamlpos.load_file(file, trusted=True) gives it. Raises YamlProblem."""
        try:
            raw = file.read_bytes()
        except OSError:
            raw = b""
        if not raw or len(raw) > DEFAULT_MAX_BYTES:
            return load_file(file, trusted=True)  # words the problem (or parses the empty file)
        sha = hashlib.sha256(raw).hexdigest()
        entry = self.entries.get(file.name)
        if entry is not None and entry[0] == sha:
            try:
                tree = decode(entry[1])
            except (TypeError, ValueError, KeyError, IndexError, RecursionError):
                pass  # not what encode writes (a cache edited by hand, say): parse instead
            else:
                self.used[file.name] = entry
                return tree
        # Parsed from the bytes just hashed, so the entry is theirs even if the file changes now.
        tree = parse_text(decode_text(raw), trusted=True)
        if not self.writable:
            return tree
        encoded = encode(tree)
        if encoded is not None and same(decode(encoded), tree):
            self.used[file.name] = [sha, encoded]
            self.changed = True
        return tree

    def save(self) -> None:
        """Write the cache back when a tree was parsed or a file left the pack.

        Entries of files this run did not read (`smscan policy test` loads one file at a
        time) are kept while the file exists."""
        kept = {
            name: entry for name, entry in self.entries.items()
            if name not in self.used and (self.pack_dir / name).is_file()
        }
        files = {**kept, **self.used}
        if not self.writable or not (self.changed or files.keys() != self.entries.keys()):
            return
        write_whole(self.path, json.dumps({"key": self.key, "files": files}, separators=(",", ":")))


def encode(value: Any) -> Any:
    """A tree as JSON values; None when it holds a value JSON cannot (then it is not cached)."""
    kind = type(value)
    if kind is YMap:
        items = []
        for key, item in value.items():
            pos = value.key_pos[key]
            encoded = encode(item)
            if encoded is None and item is not None:
                return None
            items.append([key, pos.line, pos.col, encoded])
        return {"m": [value.pos.line, value.pos.col], "k": items}
    if kind is YList:
        items = []
        for pos, item in zip(value.item_pos, value, strict=True):
            encoded = encode(item)
            if encoded is None and item is not None:
                return None
            items.append([pos.line, pos.col, encoded])
        return {"l": [value.pos.line, value.pos.col], "i": items}
    if kind in (str, int, float, bool) or value is None:
        return value
    import datetime as dt  # here: the built-in pack holds no dates, and a warm start never encodes

    if kind is dt.date:
        return {"d": value.isoformat()}
    if kind is dt.datetime:
        return {"t": value.isoformat()}
    return None


def decode(value: Any) -> Any:
    """encode's inverse. Raises ValueError (or TypeError) on anything encode never writes."""
    if type(value) is not dict:
        return value
    if "m" in value:
        tree = YMap()
        tree.pos, tree.key_pos = _pos(*value["m"]), {}
        for key, key_line, key_col, item in value["k"]:
            if type(key) is not str or key in tree:
                raise ValueError("not a tree encode wrote")
            tree.key_pos[key] = _pos(key_line, key_col)
            tree[key] = decode(item)
        return tree
    if "l" in value:
        items = YList(decode(item) for _, _, item in value["i"])
        items.pos, items.item_pos = _pos(*value["l"]), [_pos(line, col) for line, col, _ in value["i"]]
        return items
    import datetime as dt

    if "d" in value:
        return dt.date.fromisoformat(value["d"])
    return dt.datetime.fromisoformat(value["t"])


def _pos(line: Any, col: Any) -> Pos:
    if type(line) is not int or type(col) is not int:
        raise ValueError("not a position")
    return Pos(line, col)


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types at equal positions (True == 1 in Python; not here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, YMap):
        return (
            a.pos == b.pos and list(a.key_pos.items()) == list(b.key_pos.items())
            and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
        )
    if isinstance(a, YList):
        return a.pos == b.pos and a.item_pos == b.item_pos and len(a) == len(b) and all(map(same, a, b))
    import datetime as dt  # only trees just parsed are compared: a warm start needs no datetime

    if isinstance(a, dt.datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    return bool(a == b) or (a != a and b != b)  # NaN is not equal to itself, but it round-trips
