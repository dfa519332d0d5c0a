"""How AWS tooling spells values on the wire, back in the API's own terms.

- CloudTrail logs a request's parameters in camelCase (`algorithmSpecification.trainingImage`)
  where the API and DescribeTrainingJob use PascalCase; values it does not log are written
  as `HIDDEN_DUE_TO_SECURITY_REASONS`.
- placebo (botocore's recorder, used by Cloud Custodian's tests) writes a datetime as
  `{"__class__": "datetime", "year": ..., "microsecond": ...}`, its zone dropped (boto3's
  datetimes are UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from smscan.record.schema import FIELDS_BY_AWS_KEY

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"  # CloudTrail's stand-in for a value it does not log
# Under these request keys the keys are the user's own (hyperparameter names, variables).
_USER_KEYS = frozenset({"HyperParameters", "Environment"})
_DATETIME_PARTS = ("year", "month", "day", "hour", "minute", "second", "microsecond")


def pascal_request(params: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """CloudTrail's camelCase request as the API's PascalCase, and the paths it hid
    (left out, so a policy sees them as missing)."""
    request, hidden = _pascal(params, "")
    return request, hidden


def seed_pointer(path: str) -> str | None:
    """ "VpcConfig.Subnets[1]" -> "/vpc_config/Subnets/1"; None outside the seed schema."""
    top, _, rest = path.partition(".")
    name, bracket, index = top.partition("[")
    seed = FIELDS_BY_AWS_KEY.get(name)
    if seed is None:
        return None
    parts = [seed.name] + ([index.rstrip("]")] if bracket else [])
    for part in rest.split(".") if rest else []:
        key, bracket, index = part.partition("[")
        parts.append(key.replace("~", "~0").replace("/", "~1"))
        if bracket:
            parts.append(index.rstrip("]"))
    return "/" + "/".join(parts)


def _pascal(value: Any, path: str, user_keys: bool = False) -> tuple[Any, list[str]]:
    """CloudTrail's camelCase request as the API's PascalCase; values it hid are left out."""
    hidden: list[str] = []
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key) if user_keys else str(key)[:1].upper() + str(key)[1:]
            where = f"{path}.{name}" if path else name
            if item == HIDDEN:
                hidden.append(where)
                continue
            out[name], more = _pascal(item, where, name in _USER_KEYS and not user_keys)
            hidden += more
        return out, hidden
    if isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            converted, more = _pascal(item, f"{path}[{index}]")
            items.append(converted)
            hidden += more
        return items, hidden
    return value, hidden


def recorded_datetimes(value: Any) -> Any:
    """placebo writes a datetime as {"__class__": "datetime", "year": ..., ...}."""
    if isinstance(value, Mapping):
        kind = value.get("__class__")
        if kind is None:
            return {k: recorded_datetimes(v) for k, v in value.items()}
        if kind != "datetime":
            raise ValueError(f"a recorded value of class {str(kind)[:40]!r}")
        try:
            y, mo, d, h, mi, s, us = (int(value.get(k, 0)) for k in _DATETIME_PARTS)
            return datetime(y, mo, d, h, mi, s, us).isoformat() + "Z"  # placebo drops the zone: UTC
        except (TypeError, ValueError):
            raise ValueError("a recorded datetime that is not a date") from None
    if isinstance(value, list):
        return [recorded_datetimes(v) for v in value]
    return value
