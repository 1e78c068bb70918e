"""A customer's bank link, and usable tokens for it: refreshed when expired, and a link the bank refuses is
marked expired.

Shared by the two doors to the bank — data reads (policy/point.py) and card actions (policy/actions.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from sarraf.domain.consent import BankLink, ConsentStatus, Tokens
from sarraf.domain.errors import ConsentUnusable, NotLinked
from sarraf.domain.ports import BankConnector, LinkRepository


async def linked(links: LinkRepository, tenant: str, customer_id: str, *, unseal: bool = True) -> BankLink:
    """The customer's link (tokens sealed unless ``unseal``); NotLinked when there is none."""
    link = await links.get(tenant, customer_id, unseal=unseal)
    if link is None:
        raise NotLinked(tenant)
    return link


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def fresh_tokens(connector: BankConnector, links: LinkRepository, link: BankLink,
                       clock: Callable[[], datetime] = _utc_now) -> Tokens:
    """The link's tokens, refreshed first if they have expired by `clock` (the real time unless a test sets it)."""
    now = clock()
    if not link.usable(now) or link.tokens is None:
        raise ConsentUnusable(link.consent_id)
    if not link.tokens.expired(now):
        return link.tokens
    try:
        tokens = await connector.refresh(link.tokens)
    except ConsentUnusable:
        await mark_unusable(links, link)
        raise
    await links.save(replace(link, tokens=tokens))
    return tokens


async def mark_unusable(links: LinkRepository, link: BankLink) -> None:
    """The bank refused the consent: forget the tokens so every flow asks the customer to link again."""
    await links.save(replace(link, status=ConsentStatus.EXPIRED, tokens=None, tokens_withheld=False))
