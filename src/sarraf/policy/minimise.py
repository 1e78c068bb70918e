"""Cut bank data down to what a recipient may see, per the Decision's minimisation level.

* ``full``: unchanged.
* ``masked``: what a chat platform run by another company may keep on its servers —
  - amounts rounded half-up to a step of 10 below 1,000 and 100 from 1,000 (in the currency's major unit),
    so "about 2,300 GBP" is useful while the exact figure is not sent; the sign is kept;
  - account numbers and IBANs cut to their last 4 characters (nothing at all when the identifier is
    shorter than 8, where 4 characters would give away half of it);
  - merchants generalised to our spending category; the free-text description, which usually carries the
    merchant's name, is replaced by the category too; bank-specific ``extra`` fields are dropped;
  - transaction times truncated to the day.
* ``link_only``: nothing of the data (``None`` / empty); the caller sends a link to a gateway-hosted page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from functools import singledispatch
from typing import Any, TypeVar

from sarraf.domain.banking import Account, Balance, Transaction
from sarraf.domain.disclosure import Minimisation
from sarraf.domain.money import Money
from sarraf.domain.service_items import ActivityItem

SMALL_STEP = Decimal(10)
LARGE_STEP = Decimal(100)
LARGE_FROM = Decimal(1000)
MASK = "••••"
MIN_IDENTIFIER_FOR_LAST4 = 8
UNCATEGORISED = "other"

_T = TypeVar("_T")


def rounding_step(amount: Decimal) -> Decimal:
    return LARGE_STEP if abs(amount) >= LARGE_FROM else SMALL_STEP


def round_amount(amount: Decimal) -> Decimal:
    """Round half-up (away from zero on a tie) to the step for its size; result is within step/2."""
    step = rounding_step(amount)
    rounded = (amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return rounded if rounded else Decimal(0)  # no "-0" for small debits


def mask_identifier(identification: str) -> str:
    """``"GB29NWBK60161331926819"`` -> ``"•••• 6819"``; short identifiers are hidden entirely."""
    significant = [c for c in identification if c.isalnum()]
    if len(significant) < MIN_IDENTIFIER_FOR_LAST4:
        return MASK
    return f"{MASK} {''.join(significant[-4:])}"


@singledispatch
def minimise(item: Any, level: Minimisation) -> Any:
    """The item as the recipient may see it at ``level``; None at link_only."""
    raise TypeError(f"no minimisation rule for {type(item).__name__}")


@minimise.register
def _(item: Money, level: Minimisation) -> Money | None:
    if level is Minimisation.LINK_ONLY:
        return None
    if level is Minimisation.MASKED:
        return Money(round_amount(item.amount), item.currency)
    return item


@minimise.register
def _(item: Account, level: Minimisation) -> Account | None:
    if level is Minimisation.LINK_ONLY:
        return None
    if level is Minimisation.MASKED:
        return replace(item, identification=mask_identifier(item.identification))
    return item


@minimise.register
def _(item: Balance, level: Minimisation) -> Balance | None:
    if level is Minimisation.LINK_ONLY:
        return None
    if level is Minimisation.MASKED:
        return replace(item, amount=Money(round_amount(item.amount.amount), item.amount.currency))
    return item


@minimise.register
def _(item: Transaction, level: Minimisation) -> Transaction | None:
    if level is Minimisation.LINK_ONLY:
        return None
    if level is Minimisation.MASKED:
        category = item.category or UNCATEGORISED
        return replace(
            item,
            booked_at=item.booked_at.replace(hour=0, minute=0, second=0, microsecond=0),
            amount=Money(round_amount(item.amount.amount), item.amount.currency),
            description=category,
            merchant_name=None,
            card_last4=item.card_last4[-4:] if item.card_last4 else None,
            extra={},
        )
    return item


@minimise.register
def _(item: ActivityItem, level: Minimisation) -> ActivityItem | None:
    """As a transaction: rounded amounts, the day only, the category instead of names. The bank's reason
    code and the rate it applied say nothing about anyone and stay."""
    if level is Minimisation.LINK_ONLY:
        return None
    if level is Minimisation.MASKED:
        return replace(
            item,
            at=item.at.replace(hour=0, minute=0, second=0, microsecond=0),
            amount=Money(round_amount(item.amount.amount), item.amount.currency),
            original=Money(round_amount(item.original.amount), item.original.currency) if item.original else None,
            description=item.category or UNCATEGORISED,
            merchant_name=None,
        )
    return item


def minimise_all(items: Iterable[_T], level: Minimisation) -> list[_T]:
    """Each item minimised; an empty list at link_only."""
    if level is Minimisation.LINK_ONLY:
        return []
    return [minimise(item, level) for item in items]
