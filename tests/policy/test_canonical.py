"""Canonical JSON of audit leaves: the fast type check agrees with the slow one, and the bytes are JCS's."""

from __future__ import annotations

import enum
import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sarraf.policy.audit.canonical import _check, _fits, canonical_json

EXACT = 2**53 - 1
leaf_values = st.recursive(
    st.none() | st.booleans() | st.integers(-EXACT, EXACT) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127)),
                                                                 inner, max_size=4),
    max_leaves=20,
)
anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127)), leaf_values, max_size=6))
def test_leaf_values_encode_sorted_without_whitespace(value: dict[str, Any]) -> None:
    encoded = canonical_json(value)
    assert encoded == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert json.loads(encoded) == value


@given(anything)
def test_the_fast_check_agrees_with_the_path_check(value: Any) -> None:
    try:
        _check(value, "$")
        accepted = True
    except ValueError:
        accepted = False
    assert _fits(value) is accepted


class Outcome(enum.StrEnum):
    ALLOW = "allow"


def test_subclasses_of_json_types_and_refusals() -> None:
    assert canonical_json({"o": Outcome.ALLOW, "n": [1, (2, 3)]}) == b'{"n":[1,[2,3]],"o":"allow"}'
    assert canonical_json({"k": "ü"}) == '{"k":"ü"}'.encode()
    for bad, where in (({"x": 1.5}, "$.x: float"), ({"x": [2**53]}, "$.x[0]: integer"),
                       ({"é": 1}, "keys must be ASCII"), ({"x": {1, 2}}, "set cannot")):
        with pytest.raises(ValueError, match=re.escape(where)):
            canonical_json(bad)
