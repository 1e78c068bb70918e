"""The 24-hour customer-service window of Messenger and WhatsApp, tracked per customer.

Free-form messages may only be sent within 24 hours of the customer's last message; after that the
platforms accept only pre-approved templates (utility templates on Messenger, message templates on
WhatsApp). Kept in process memory: a gateway restart forgets the windows, which errs on the safe side
(the next push goes as a template, which the platforms accept at any time).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

WINDOW = timedelta(hours=24)


class ServiceWindows:
    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC), window: timedelta = WINDOW) -> None:
        self._clock = clock
        self._window = window
        self._last_inbound: dict[tuple[str, str], datetime] = {}

    def customer_spoke(self, account: str, customer: str, at: datetime | None = None) -> None:
        """Record a customer's message; `account` is the page, number or bot they wrote to."""
        when = at or self._clock()
        key = (account, customer)
        previous = self._last_inbound.get(key)
        if previous is None or when > previous:
            self._last_inbound[key] = when

    def is_open(self, account: str, customer: str) -> bool:
        last = self._last_inbound.get((account, customer))
        return last is not None and self._clock() - last < self._window
