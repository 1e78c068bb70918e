"""Token freshness shared by the data and action doors: refresh when expired, forget tokens the bank refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sarraf.domain.consent import BankLink, ConsentStatus, Tokens
from sarraf.domain.errors import ConsentUnusable
from sarraf.policy.bank_tokens import fresh_tokens

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # the tests' clock: token expiry never depends on the real time


def clock() -> datetime:
    return NOW


class Links:
    def __init__(self) -> None:
        self.saved: list[BankLink] = []

    async def save(self, link: BankLink) -> None:
        self.saved.append(link)


class Bank:
    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.refreshed = 0

    async def refresh(self, tokens: Tokens) -> Tokens:
        self.refreshed += 1
        if self.refuse:
            raise ConsentUnusable("refresh refused")
        return Tokens("new-access", "new-refresh", NOW + timedelta(minutes=5))


def _link(expires_in: timedelta, status: ConsentStatus = ConsentStatus.AUTHORISED) -> BankLink:
    return BankLink("bank", "c1", "aac-1", status, ("ReadBalances",), NOW + timedelta(days=30),
                    Tokens("access", "refresh", NOW + expires_in))


async def test_valid_tokens_are_used_as_they_are() -> None:
    bank, links = Bank(), Links()
    assert (await fresh_tokens(bank, links, _link(timedelta(minutes=3)), clock)).access_token == "access"  # type: ignore[arg-type]
    assert bank.refreshed == 0 and links.saved == []


async def test_expired_tokens_are_refreshed_and_stored() -> None:
    bank, links = Bank(), Links()
    tokens = await fresh_tokens(bank, links, _link(-timedelta(seconds=1)), clock)  # type: ignore[arg-type]
    assert tokens.access_token == "new-access"
    assert links.saved[-1].tokens == tokens


async def test_a_refused_refresh_forgets_the_tokens() -> None:
    bank, links = Bank(refuse=True), Links()
    with pytest.raises(ConsentUnusable):
        await fresh_tokens(bank, links, _link(-timedelta(seconds=1)), clock)  # type: ignore[arg-type]
    assert links.saved[-1].status is ConsentStatus.EXPIRED and links.saved[-1].tokens is None


async def test_an_unusable_link_never_reaches_the_bank() -> None:
    bank, links = Bank(), Links()
    with pytest.raises(ConsentUnusable):
        await fresh_tokens(bank, links, _link(timedelta(minutes=3), ConsentStatus.CANCELLED), clock)  # type: ignore[arg-type]
    assert bank.refreshed == 0
