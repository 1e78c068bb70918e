"""A secure link names the spending question it answers: the period, and the category or merchant asked about,
so the page shows the same narrowed figure the chat would have shown; the claims are signed like the rest."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from sarraf.policy.secure_links import InvalidLink, SignedLinks

KEY = b"k" * 32


def token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_the_narrowing_travels_with_the_link() -> None:
    links = SignedLinks(KEY, "https://bank.example")
    view = links.verify(token(links.issue("t", "c", "spending", "2026-11-01", "2026-11-30", merchant="Biedronce")))
    assert (view.view, view.start, view.merchant, view.category) == ("spending", "2026-11-01", "Biedronce", None)
    plain = links.verify(token(links.issue("t", "c", "spending", None, None)))
    assert plain.merchant is None and plain.category is None
    grocery = links.verify(token(links.issue("t", "c", "spending", None, None, category="groceries")))
    assert grocery.category == "groceries"


def test_a_narrowing_of_the_wrong_type_is_refused_even_when_signed() -> None:
    claims = {"ten": "t", "sub": "c", "view": "spending", "mer": ["Tesco"], "exp": 4_000_000_000,
              "aud": "sarraf-secure-page"}
    forged = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(KEY))
    with pytest.raises(InvalidLink):
        SignedLinks(KEY, "https://bank.example").verify(forged)
