"""One way out for every message that is not an in-turn reply and not an alert: the chat's answer after the
bank login, a payment's outcome, a step-up's result, the consent-expiry reminder (Container.deliver).

Alerts go through the outbox and the delivery worker (delivery.py); these are answers to something the
customer just did in a browser, so they go out at once, from the request that caused them, with the same
manners: retried with the delivery worker's back-off (full jitter) when the platform fails, and paced by the
same per-channel rates (under the same quota names, so a shared RateLimits counts both paths together) and a
per-recipient rate. A channel that is not enabled is not retried; the last failure is raised, as before.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Protocol

from sarraf.alerts.delivery import DEFAULT_CHANNEL_RATES, DeliveryPolicy, LocalPaceLimits, backoff
from sarraf.alerts.ports import PaceLimiter, PaceLimits
from sarraf.domain.messages import Outbound

log = logging.getLogger(__name__)
# A few quick tries: the customer is waiting on the page that caused the message.
PUSH_POLICY = DeliveryPolicy(max_attempts=3, base_delay_s=0.25, max_delay_s=1.0)


class Sender(Protocol):
    async def send(self, channel: str, sender: str, messages: list[Outbound]) -> list[str]:
        """Send on an enabled channel (LookupError when it is not); the platform's ids of what was sent."""
        ...


class Pusher:
    def __init__(
        self,
        channels: Sender,
        pace: PaceLimits | None = None,
        policy: DeliveryPolicy = PUSH_POLICY,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._channels = channels
        self._policy = policy
        self._sleep = sleep
        self._rng = rng
        limits = pace or LocalPaceLimits()
        rates = policy.channel_per_second or DEFAULT_CHANNEL_RATES
        # the delivery worker's quota names: where the limits are shared, alerts and pushes count together
        self._channel_limits: dict[str, PaceLimiter] = {
            name: limits.limiter(f"alerts-channel-{name}", rate, max(1, int(rate // 10)))
            for name, rate in rates.items()
        }
        self._recipient_limit = limits.limiter("push-recipient", policy.customer_per_second, policy.customer_burst)

    async def push(self, channel: str, sender: str, messages: list[Outbound]) -> list[str]:
        if not messages:
            return []
        await self._paced(channel, sender)
        attempt = 0
        while True:
            try:
                return await self._channels.send(channel, sender, messages)
            except LookupError:
                raise  # the channel is not enabled here: no retry can help
            except Exception as exc:  # a platform failure is worth another try until the attempts run out
                attempt += 1
                if attempt >= self._policy.max_attempts:
                    raise
                delay = backoff(attempt - 1, self._policy, self._rng)
                log.warning("push on %s failed (%s: %s); retrying in %.2f s", channel, type(exc).__name__, exc, delay)
                await self._sleep(delay)

    async def _paced(self, channel: str, sender: str) -> None:
        limit = self._channel_limits.get(channel)
        wait = max(
            await limit.reserve(channel) if limit else 0.0,
            await self._recipient_limit.reserve(f"{channel}\x1f{sender}"),
        )
        if wait > 0:
            await self._sleep(wait)
