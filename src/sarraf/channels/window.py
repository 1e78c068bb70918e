"""The 24-hour customer-service window of Messenger and WhatsApp, tracked per customer.

Free-form messages may only be sent within 24 hours of the customer's last message; after that the
platforms accept only pre-approved templates (utility templates on Messenger, message templates on
WhatsApp). The last-message times live in the database (store/channel_state.py), so a gateway restart
neither forgets an open window nor lets a closed one count as open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

WINDOW = timedelta(hours=24)


class WindowStore(Protocol):
    async def touch(self, channel: str, account: str, customer: str, at: datetime) -> None:
        """Remember `at` as the customer's last message unless a later one is already known."""

    async def last_inbound(self, channel: str, account: str, customer: str) -> datetime | None: ...


class ServiceWindows:
    """One platform's windows: `account` is the bank whose page, number or bot the customer wrote to."""

    def __init__(self, store: WindowStore, channel: str, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 window: timedelta = WINDOW) -> None:
        self._store = store
        self._channel = channel
        self._clock = clock
        self._window = window

    async def customer_spoke(self, account: str, customer: str, at: datetime | None = None) -> None:
        await self._store.touch(self._channel, account, customer, at or self._clock())

    async def is_open(self, account: str, customer: str) -> bool:
        last = await self._store.last_inbound(self._channel, account, customer)
        return last is not None and self._clock() - last < self._window
