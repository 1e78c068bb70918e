"""One JSON parse for every body the gateway reads by hand, bounded in depth.

`json.loads` recurses once per nesting level: `'[' * 5000 + ']' * 5000` raises RecursionError, which escaped
as a 500 on every webhook and on bank events. Depth is counted first, without recursion and without building
anything, so a hostile body costs one pass over its bytes and is refused with a reason. No payload any
platform or bank sends is nested more than a dozen levels; MAX_DEPTH leaves room for them all.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64

# A JSON string, escapes included: its brackets are text, not structure, so it is dropped before counting.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


class JsonRefused(ValueError):
    """The body is not JSON the gateway will read; `reason` says why (safe to show the sender)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def nesting_depth(raw: bytes, limit: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays and objects in `raw`, counted up to `limit + 1` (then it stops)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    depth = deepest = 0
    for byte in brackets:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def parse_json(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Any JSON value, or JsonRefused with the reason: not UTF-8, malformed, or nested past `max_depth`."""
    if nesting_depth(raw, max_depth) > max_depth:
        raise JsonRefused(f"malformed JSON: nested deeper than {max_depth} levels")
    try:
        text = raw.decode("utf-8")  # RFC 8259: JSON exchanged between systems is UTF-8, never UTF-16/32
    except UnicodeDecodeError as exc:
        raise JsonRefused("malformed JSON: not UTF-8") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise JsonRefused(f"malformed JSON: {type(exc).__name__}") from exc
    except RecursionError as exc:  # only reachable if the count above were wrong: still a 400, never a 500
        raise JsonRefused("malformed JSON: nested too deeply") from exc


def parse_json_object(raw: bytes, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """A JSON object (the shape of every webhook and batch body), or JsonRefused."""
    found = parse_json(raw, max_depth)
    if not isinstance(found, dict):
        raise JsonRefused("malformed JSON: not an object")
    return found
