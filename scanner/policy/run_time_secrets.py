"""Whether a value known only at run time may carry a secret, judged by where it goes.

`no_secrets` cannot look at a run-time value, only at its key. Under a secret-looking key
(DB_PASSWORD, API_TOKEN, the value after `--password` in an argument list) the job would
receive a secret in plain text through its definition, so the check is UNKNOWN; under an
ordinary key (STAGE) the value is not judged a secret. A whole field (Environment.$) may
hold any key.
"""

from __future__ import annotations

import re
from typing import Any

Loc = tuple[str, ...]  # the tokens of a JSON pointer into the record

_FLAG = re.compile(r"--?([A-Za-z][A-Za-z0-9_.-]{0,63})")  # as scanner.secrets reads "--flag value"
# Judged in place of a run-time value under a key: a word with no secret shape of its own,
# written like a reference, so only the key decides: DB_PASSWORD yes, STAGE no, and
# DB_PASSWORD_SECRET_ARN no (a key that names a reference holds a reference).
_RUN_TIME_PROBE = "value-known-at-run-time"


def may_be_secret(place: Loc, record: dict[str, Any]) -> bool:
    if len(place) <= 1:
        return True  # the whole job, or a whole field: any key may be in it
    from smscan.secrets import detect

    key = _context_key(place, record)
    return key is not None and detect(_RUN_TIME_PROBE, key) is not None


def _context_key(place: Loc, record: dict[str, Any]) -> str | None:
    """The key a run-time value is passed under: its map key, or for a list item the
    `--flag` before it or the list's own key (as scanner.secrets judges list items)."""
    parent = _resolve(record, place[:-1])
    if not isinstance(parent, list) or not place[-1].isdigit():
        return place[-1]
    index = int(place[-1])
    before = parent[index - 1] if 0 < index <= len(parent) else None
    flag = _FLAG.fullmatch(before) if isinstance(before, str) else None
    if flag:
        return flag[1]
    return _context_key(place[:-1], record) if len(place) > 1 else None


def _resolve(doc: Any, loc: Loc) -> Any:
    for token in loc:
        if isinstance(doc, dict):
            doc = doc.get(token)
        elif isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
            doc = doc[int(token)]
        else:
            return None
    return doc
