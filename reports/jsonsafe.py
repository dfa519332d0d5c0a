"""One JSON-safe copy of evidence values for every renderer that embeds them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import Enum
from typing import Any


def jsonable(value: Any) -> Any:
    """Record data as plain JSON: non-finite floats and unknown objects become text, sets sorted."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)
