"""A customer's alert preferences and what they mean for one event: send, drop, or wait for morning.

Quiet hours are kept in the customer's own time zone (IANA name), so "no alerts at night" follows them
across daylight-saving changes; fraud alerts ignore quiet hours and cannot be switched off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sarraf.domain.events import GROUP_OF, AlertGroup, AlertKind, BankEvent

NIGHT = ("22:00", "07:00")
DEFAULT_ZONES = {"sandbox": "Europe/London"}


@dataclass(frozen=True, slots=True)
class AlertPreferences:
    opted_in: bool = False  # notifications need the customer's yes; fraud alerts do not
    disabled: frozenset[AlertGroup] = frozenset()
    channel: str | None = None
    sender: str | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    timezone: str = "UTC"
    low_balance_below: Decimal | None = None
    large_from: Decimal | None = None

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def with_changes(self, **changes: object) -> AlertPreferences:
        return replace(self, **changes)  # type: ignore[arg-type]


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_until(prefs: AlertPreferences, now: datetime) -> datetime | None:
    """When quiet hours end, if `now` (aware) falls inside them; None when the customer may be told now."""
    if not prefs.quiet_start or not prefs.quiet_end:
        return None
    local = now.astimezone(prefs.zone())
    start, end = _clock(prefs.quiet_start), _clock(prefs.quiet_end)
    t = local.timetz().replace(tzinfo=None)
    if start == end:
        return None
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    # Build the wall-clock end in the zone, so a DST jump lands on the real morning.
    return datetime.combine(day, end, tzinfo=prefs.zone())


def _amount(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def wanted(prefs: AlertPreferences, event: BankEvent) -> tuple[bool, str]:
    """Whether the customer wants this alert at all, and why not."""
    group = GROUP_OF[event.kind]
    if group is AlertGroup.FRAUD:
        return True, ""
    if group is AlertGroup.OFFERS:  # their own opt-in is a consent scope, decided by policy (alerts/offers.py)
        return True, ""
    if not prefs.opted_in:
        return False, "customer has not opted in to alerts"
    if group in prefs.disabled:
        return False, f"customer switched off {group.value} alerts"
    if event.kind is AlertKind.LOW_BALANCE and prefs.low_balance_below is not None:
        balance = _amount(event.data.get("balance"))
        if balance is not None and balance >= prefs.low_balance_below:
            return False, "balance above the customer's own threshold"
    return True, ""


def effective_kind(prefs: AlertPreferences, event: BankEvent) -> AlertKind:
    """A card payment at or above the customer's own threshold is worded as a large purchase."""
    if event.kind is AlertKind.CARD_PAYMENT and prefs.large_from is not None:
        amount = _amount(event.data.get("amount"))
        if amount is not None and amount >= prefs.large_from:
            return AlertKind.LARGE_PURCHASE
    return event.kind
