"""Pack Deny statements into as few policy documents as the size limit allows.

The limit counts characters without the whitespace outside strings (AWS Organizations:
"you can delete any white space ... outside quotation marks"), i.e. the minified JSON.
SCPs: 5,120 characters; IAM managed policies: 6,144
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from smscan.errors import ConfigError
from smscan.guardrails.compile import Statement

SCP_LIMIT = 5120
IAM_LIMIT = 6144
VERSION = "2012-10-17"


def minified(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def size(document: Any) -> int:
    return len(minified(document))


def document(statements: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def pack(statements: Sequence[Statement], limit: int, prefix: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """First-fit decreasing: biggest statements first, each into the first document it fits.

    `prefix` statements (a permission boundary's Allow) start every document. Ties are
    broken by Sid and each document lists its statements by Sid, so the output is stable.
    """
    empty = size(document(prefix))
    sized = sorted(((size(s.to_json()), s.sid, s.to_json()) for s in statements), key=lambda t: (-t[0], t[1]))
    bins: list[list[tuple[str, dict[str, Any]]]] = []
    used: list[int] = []
    for length, sid, body in sized:
        # A document is `empty` plus each statement plus a comma between any two.
        first = empty + length + (1 if prefix else 0)
        if first > limit:
            raise ConfigError(f"guardrail statement {sid} alone makes a {first}-character document, over the {limit}-character limit")
        for i, total in enumerate(used):
            if total + 1 + length <= limit:
                bins[i].append((sid, body))
                used[i] = total + 1 + length
                break
        else:
            bins.append([(sid, body)])
            used.append(first)
    docs = [document(list(prefix) + [body for _, body in sorted(b, key=lambda t: t[0])]) for b in bins]
    docs.sort(key=lambda d: d["Statement"][len(prefix)]["Sid"])
    for doc in docs:
        if size(doc) > limit:  # the arithmetic above is exact; this guards against a future slip
            raise ConfigError(f"internal: packed guardrail document is {size(doc)} characters, over {limit}")
    return docs
