"""Secret detection (the ``no_secrets`` operator) and the masking used everywhere.

`detect` judges one (key, value) pair with the rules of smscan.secret_rules (the
detector kinds, the key-name rules and the placeholders are documented there);
`find_secrets`, `secret_strings` and `redact` walk nested values with it.

Masking shows at most ``min(4, len // 4)`` leading characters and the length
(``AKIA…[20 chars]``), never the value. Dict keys are names, not scanned.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from smscan.secret_rules import (
    ASSIGNMENT,
    FLAG,
    MASKED,
    NEEDLES,
    STORE_REFERENCE,
    VALUE_DETECTORS,
    aws_secret,
    high_entropy,
    key_says_secret,
    unquote,
)


@dataclass(frozen=True)
class SecretHit:
    key: str | None  # where found: the map key, a dotted path when nested, None for a string
    kind: str  # detector name
    masked: str  # mask(value)


def mask(value: str) -> str:
    """``value`` reduced to at most min(4, len//4) leading characters and its length."""
    if not value:
        return ""
    n = len(value)
    # A tiny value may be a substring of the template itself ("1", "chars"): fall back.
    for text in (f"{value[: min(4, n // 4)]}…[{n} chars]", f"[{n} chars]", "•" * (n + 1)):
        if value not in text:
            return text
    raise AssertionError("unreachable: no mask avoids the value")  # pragma: no cover


def detect(value: str, key: str | None = None) -> str | None:
    """The detector kind if this (key, value) pair looks like a secret, else None."""
    if len(value) <= _MEMO_MAX_LEN:
        return _detect_short(value, key)
    return _detect(value, key)


# A fleet repeats its values ("DEBUG", "128", one bucket per team) across thousands of jobs,
# and a finding's evidence judges again what its verdict judged: short values are memoized.
_MEMO_MAX_LEN = 256


@functools.lru_cache(maxsize=1 << 15)
def _detect_short(value: str, key: str | None) -> str | None:
    return _detect(value, key)


def _detect(value: str, key: str | None) -> str | None:
    v = unquote(value)
    if not v or MASKED.fullmatch(v) or STORE_REFERENCE.fullmatch(v):
        return None
    folded: str | None = None
    for kind, pattern, check in VALUE_DETECTORS:
        # The literal each pattern needs: without it the pattern cannot match.
        needles, caseless = NEEDLES[kind]
        hay = v
        if caseless:
            if folded is None:
                folded = v.casefold()
            hay = folded
        for needle in needles:
            if needle in hay:
                break
        else:
            continue
        if check is None:
            if pattern.search(v) is not None:
                return kind
        else:  # a loop, not any(genexpr): this runs for every value of every job
            for match in pattern.finditer(v):
                if check(match):
                    return kind
    if aws_secret(v, key):
        return "aws-secret-access-key"
    if v[0] in "[{" and len(v) <= 1_000_000:
        try:
            parsed = json.loads(v)
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(parsed, (dict, list)):
            hits = find_secrets(parsed, key)
            return hits[0].kind if hits else None
    assignment = ASSIGNMENT.fullmatch(v)
    if assignment and key_says_secret(assignment[1], unquote(assignment[2])):
        return "secret-key-name"
    if key is not None and key_says_secret(key, v):
        return "secret-key-name"
    return "high-entropy" if high_entropy(v) else None


def _items(
    values: list[Any] | tuple[Any, ...], key: str | None
) -> Iterator[tuple[Any, str | None]]:
    """List items with their context key: the enclosing key, or the ``--flag`` before them."""
    flag: re.Match[str] | None = None
    for item in values:
        is_flag = FLAG.fullmatch(item) if isinstance(item, str) else None
        yield item, (flag[1] if flag and not is_flag else key)
        flag = is_flag


def _walk(value: Any, key: str | None, path: str | None, hits: list[SecretHit]) -> None:
    if isinstance(value, str):
        kind = detect(value, key)
        if kind:
            hits.append(SecretHit(path, kind, mask(value)))
    elif isinstance(value, Mapping):
        for k in sorted(value, key=str):
            name = str(k)
            _walk(value[k], name, name if path is None else f"{path}.{name}", hits)
    elif isinstance(value, (list, tuple)):
        for i, (item, context) in enumerate(_items(value, key)):
            _walk(item, context, f"{path or ''}[{i}]", hits)


def find_secrets(value: Any, key: str | None = None) -> list[SecretHit]:
    """Every likely secret in a string, a str->str map or nested JSON, in sorted-key order."""
    hits: list[SecretHit] = []
    _walk(value, key, key, hits)
    return hits


def secret_strings(value: Any, key: str | None = None) -> frozenset[str]:
    """The raw strings flagged anywhere in ``value``, each judged with its own key.

    A value read without its key (`$.environment.*`) can look harmless on its own; the
    engine masks these strings wherever they reappear in a finding.
    """
    found: set[str] = set()

    def walk(item: Any, context: str | None) -> None:
        if isinstance(item, str):
            if detect(item, context):
                found.add(item)
        elif isinstance(item, Mapping):
            for k, v in item.items():
                walk(v, str(k))
        elif isinstance(item, (list, tuple)):
            for sub, sub_context in _items(item, context):
                walk(sub, sub_context)

    walk(value, key)
    return frozenset(found)


def redact(value: Any, key: str | None = None, known: frozenset[str] = frozenset()) -> Any:
    """A copy of ``value`` with every secret-looking (or `known`) string masked; all else unchanged."""
    if isinstance(value, str):
        return mask(value) if value in known or detect(value, key) else value
    if isinstance(value, Mapping):
        return {k: redact(v, str(k), known) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [redact(item, context, known) for item, context in _items(value, key)]
        return items if isinstance(value, list) else tuple(items)
    return value
