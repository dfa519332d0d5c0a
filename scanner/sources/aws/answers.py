"""Answers botocore would misread: a proxy's HTML page, an XML body on a JSON call, a cut body.

botocore parses what it is given. A `200 OK` HTML page from a proxy or captive portal on a
JSON call (SageMaker, Organizations) parses as an *empty* answer: a Search with no results,
so a region would pass the gate with 0 jobs. On a query call (STS, EC2) the same page
raises a KeyError from deep inside the parser. `check_answer` runs before botocore parses
(`before-parse`) and turns every such body into `UnreadableAnswer`, a ResponseParserError,
which the source reports as an error for that account or region, never as no jobs.
"""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.parsers import ResponseParserError

_JSON_PROTOCOLS = frozenset({"json", "rest-json"})
_XML_PROTOCOLS = frozenset({"query", "ec2"})
_HTML_STARTS = (b"<!doctype html", b"<html")
# The first element after an optional XML declaration: query and EC2 answers are <OpResponse>.
_XML_ROOT = re.compile(rb"\s*(?:<\?xml[^>]{0,200}\?>\s*)?<([A-Za-z][\w.:-]{0,80})")


class UnreadableAnswer(ResponseParserError):
    """A successful status with a body that is not what the protocol says."""


def check_answer(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    status = response_dict.get("status_code")
    body = response_dict.get("body")
    if status != 200 or not isinstance(body, bytes | bytearray):
        return  # errors are parsed into ClientError
    protocol = operation_model.service_model.metadata.get("protocol")
    if not body.strip():
        if protocol in _JSON_PROTOCOLS and operation_model.output_shape is not None:
            # botocore reads an empty body as an empty answer: a Search "with no results"
            raise UnreadableAnswer("an empty body where an answer was expected")
        return  # XML protocols: botocore itself refuses an empty body
    head = bytes(body[:64]).lstrip().lower()
    size = f"{len(body)} bytes"
    if head.startswith(_HTML_STARTS):
        raise UnreadableAnswer(
            f"an HTML page instead of an AWS answer ({size}), likely from a proxy"
        )
    if protocol in _XML_PROTOCOLS:
        # A well-formed error document sent with 200 would otherwise be read as an empty
        # answer (EC2) or fail with a KeyError inside botocore's parser (STS).
        root = _XML_ROOT.match(body)
        expected = f"{operation_model.name}Response"
        if root is not None and root[1].decode() != expected:
            raise UnreadableAnswer(
                f"an XML answer that is not a {expected} (<{root[1].decode()[:40]}>, {size})"
            )
        shape = operation_model.output_shape
        wrapper = shape.serialization.get("resultWrapper") if shape is not None else None
        if root is not None and wrapper and f"<{wrapper}".encode() not in body:
            raise UnreadableAnswer(f"a {expected} without its {wrapper} ({size})")
        return  # a cut or invalid XML body: botocore's own parser names it
    if protocol not in _JSON_PROTOCOLS:
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        what = "an XML body" if head.startswith(b"<") else "a truncated or invalid JSON body"
        raise UnreadableAnswer(f"{what} on a JSON call ({size})") from None
    if not isinstance(parsed, dict):
        raise UnreadableAnswer(f"a JSON answer that is not an object ({size})")


def unreadable_reason(exc: ResponseParserError) -> str:
    """One line without the body botocore quotes (it may hold anything a proxy wrote)."""
    if isinstance(exc, UnreadableAnswer):
        return str(exc)
    first = str(exc).split("\n", 1)[0]
    return first.split(", invalid", 1)[0][:160]
