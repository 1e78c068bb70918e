"""The 24-hour customer-service window of Messenger and WhatsApp, tracked per customer.

Free-form messages may only be sent within 24 hours of the customer's last message; after that the
platforms accept only pre-approved templates (utility templates on Messenger, message templates on
WhatsApp). The last-message times live in the database (store/channel_state.py), so a gateway restart
neither forgets an open window nor lets a closed one count as open.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Protocol

WINDOW = timedelta(hours=24)
# The customers whose message the request under way took in (the webhook's parse), and when: its reply is sent
# in the window that message opened, without reading back what was just written (one SELECT less per turn).
# Per request (a context variable), so deliveries outside a turn always ask the store.
_SPOKE_NOW: ContextVar[dict[tuple[str, str, str], datetime] | None] = ContextVar("sarraf_window_spoke",
                                                                                  default=None)


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
        at = at or self._clock()
        await self._store.touch(self._channel, account, customer, at)
        spoke = _SPOKE_NOW.get()
        if spoke is None:
            spoke = {}
            _SPOKE_NOW.set(spoke)
        key = (self._channel, account, customer)
        spoke[key] = max(at, spoke.get(key, at))

    async def is_open(self, account: str, customer: str) -> bool:
        spoke = _SPOKE_NOW.get()
        just_now = spoke.get((self._channel, account, customer)) if spoke else None
        if just_now is not None and self._clock() - just_now < self._window:
            return True  # the store holds this time or a later one
        last = await self._store.last_inbound(self._channel, account, customer)
        return last is not None and self._clock() - last < self._window
