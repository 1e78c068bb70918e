"""Payment references in three languages, within OB's 35-character limit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sarraf.conversation.payment_references import REFERENCE_MAX, parse_reference


@pytest.mark.parametrize(("text", "expected"), [
    ("send £20 to Alice Smith for dinner", "dinner"),
    ("przelej 100 zł Kasi za obiad", "obiad"),
    ("حول ٢٠٠ ريال لأحمد مقابل العشاء", "العشاء"),
    ("send £20 to Alice", None),
    ("send £20 to Alice for the concert tickets!", "the concert tickets"),
])
def test_references(text: str, expected: str | None) -> None:
    assert parse_reference(text) == expected


@given(st.text(min_size=1, max_size=200))
def test_never_longer_than_ob_allows(tail: str) -> None:
    reference = parse_reference("send £1 to Alice for " + tail)
    assert reference is None or 0 < len(reference) <= REFERENCE_MAX
