"""One timestamp format for every record: ISO-8601 in UTC, "YYYY-MM-DDTHH:MM:SS[.ffffff]Z".

Inputs come from boto3 (datetime), the AWS CLI (ISO strings, or epoch seconds as
floats with CLI v1's default `cli_timestamp_format`), PostgreSQL text output
("2024-01-02 03:04:05.123+00") and EventBridge events (epoch milliseconds, as digit
strings: "1583831889050"). A number is epoch milliseconds when it is at least 1e11:
as seconds that would be past the year 5000, as milliseconds it is 1973 or later.
Python 3.10's `datetime.fromisoformat` rejects "Z", "+00" and most fraction widths, so
strings are parsed here with one anchored pattern instead.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

UTC = timezone.utc

# Anchored and free of nested quantifiers: every group is a fixed-width run of digits,
# so matching is linear and cannot backtrack catastrophically.
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r" ?(?:([Zz]|UTC)|([+-])(\d{2})(?::?(\d{2}))?)?",
    re.ASCII,
)
# Digit text is an epoch from 9 digits on (1973 in seconds): "2024" stays a bad timestamp.
_EPOCH_TEXT = re.compile(r"\d{9,16}(?:\.\d{1,9})?", re.ASCII)
_MILLISECONDS = 1e11
_MAX_TEXT = 64  # longer than any timestamp spelling accepted above
_SHOWN = 40  # at most this much of a bad input goes into an error message


def to_iso_utc(value: Any) -> str:
    """Return `value` as "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (fraction only when non-zero).

    Accepts a datetime (naive means UTC), a date (midnight UTC), int/float epoch
    seconds or milliseconds (also as digit text), or an ISO-8601 / PostgreSQL string (no
    zone means UTC). Anything else raises ValueError.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = _from_epoch(value)
    elif isinstance(value, str):
        moment = _from_text(value)
    else:
        raise ValueError(
            f"expected a timestamp (datetime, epoch seconds or ISO-8601 text), "
            f"got {type(value).__name__}"
        )
    return _format(moment)


def _format(moment: datetime) -> str:
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            raise ValueError("timestamp is out of range once converted to UTC") from None
    return moment.isoformat() + "Z"  # isoformat writes the fraction only when non-zero


def _from_epoch(seconds: float) -> datetime:
    if isinstance(seconds, float) and not math.isfinite(seconds):
        raise ValueError("epoch seconds must be a finite number")
    if abs(seconds) >= _MILLISECONDS:
        seconds = seconds / 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError("epoch seconds out of range") from None


def _from_text(text: str) -> datetime:
    # Fast path for what AWS itself writes ("...:05Z", "...:05.123000+00:00"): the C parser.
    # The shape is checked first so that 3.10 and 3.11+ (more lenient) accept the same text.
    core = text[:-1] if text.endswith("Z") else text[:-6] if text.endswith("+00:00") else ""
    if len(core) in (19, 26) and core[10] == "T" and core[19:20] in ("", ".") and core.isascii():
        try:
            return datetime.fromisoformat(core)
        except ValueError:
            pass  # the full pattern below gives the error
    stripped = text.strip()
    if _EPOCH_TEXT.fullmatch(stripped):
        return _from_epoch(float(stripped) if "." in stripped else int(stripped))
    match = _ISO.fullmatch(stripped) if len(stripped) <= _MAX_TEXT else None
    if match is None:
        raise ValueError(f"invalid timestamp {_shown(text)}: expected ISO-8601 text")
    year, month, day, hour, minute, second, fraction, utc, sign, off_h, off_m = match.groups()
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0  # nanoseconds are truncated
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
        )
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
            moment = moment.replace(tzinfo=timezone(-offset if sign == "-" else offset))
    except ValueError:
        raise ValueError(f"invalid timestamp {_shown(text)}: no such date or time") from None
    return moment


def _shown(text: str) -> str:
    return repr(text[:_SHOWN] + "...") if len(text) > _SHOWN else repr(text)
