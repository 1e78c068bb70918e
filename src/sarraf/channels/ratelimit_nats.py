"""Platform send quotas shared by every replica: GCRA state in a NATS JetStream key-value bucket.

Each key's theoretical arrival time lives in one KV entry, changed only with optimistic concurrency: `create`
for a key nobody has, `update(last=revision)` for one somebody has; a replica that lost the race re-reads
and books again, so two replicas never take the same slot. The bucket's max age makes idle keys vanish.

Time comes from the wall clock, because the replicas sharing an entry run on different machines and no
monotonic clock is comparable between them: the replicas need NTP-synchronised clocks. A replica whose clock
runs ahead books slots a little late (sends slower); one whose clock lags may send early by its skew.

When NATS is unreachable (not yet connected, reconnecting, slow, or refusing), a call falls back to an
in-process limiter with the same quota and the outage is logged once. That is the right trade-off for a
chat-banking gateway: replies to customers and webhooks must never hang or fail because a rate-limit store is
down; the worst case is what every replica did before this module existed (each keeps the quota on its own,
so N replicas may briefly send up to N times it), and the platforms' own 429s, which the senders already
retry, cap even that.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import math
import random
import re
import time
from collections.abc import AsyncIterator, Callable

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js.kv import KeyValue

from sarraf.channels.ratelimit import Quota, RateLimiter, Sleep, next_slot, wait_for_slot

log = logging.getLogger(__name__)

DEFAULT_BUCKET = "sarraf_rate_limits"
# An entry outlives its theoretical arrival time by far in any real backlog; when it is gone the key simply
# starts afresh, exactly as a theoretical arrival time in the past would.
DEFAULT_MAX_AGE = 3600.0
PLAIN_TOKEN = re.compile(r"^[A-Za-z0-9_/-]+$")  # KV keys allow [-/_=.A-Za-z0-9]; "." separates our parts
MAX_ATTEMPTS = 64  # lost races for one booking before giving up on the shared state for that call
UNREACHABLE = (nats.errors.Error, OSError, asyncio.TimeoutError)


def kv_key(scope: str, key: str) -> str:
    """`scope.key`, each part kept readable when it can be and otherwise base64url-encoded behind a "="
    (which a readable part never contains, so two different pairs never meet)."""
    return f"{_token(scope)}.{_token(key)}"


def _token(part: str) -> str:
    if PLAIN_TOKEN.match(part):
        return part
    return "=" + base64.urlsafe_b64encode(part.encode()).decode().rstrip("=")


class NatsRateLimits:
    """One NATS connection per process, shared by every limiter it hands out; `start` once, `close` once."""

    def __init__(self, url: str, *, bucket: str = DEFAULT_BUCKET, max_age: float = DEFAULT_MAX_AGE,
                 request_timeout: float = 0.5, call_budget: float = 1.0, connect_wait: float = 2.0,
                 clock: Callable[[], float] = time.time, sleep: Sleep = asyncio.sleep) -> None:
        self.url = url
        self.bucket = bucket
        self._max_age = max_age
        self._request_timeout = request_timeout
        self.call_budget = call_budget  # seconds one booking may spend on NATS before falling back
        self._connect_wait = connect_wait
        self.clock = clock
        self.sleep = sleep  # waits for booked slots, in `clock`'s time
        self._nc: Client | None = None
        self.kv: KeyValue | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._outage_logged = False
        self._closing = False

    async def start(self) -> None:
        """Connect and open the bucket, waiting at most `connect_wait` seconds: a replica that cannot reach
        NATS starts anyway, limits in process, and keeps trying in the background."""
        self._connecting = asyncio.create_task(self._connect(), name="sarraf-nats-rate-limits")
        await asyncio.wait({self._connecting}, timeout=self._connect_wait)
        if self.kv is None:
            self.unreachable("not connected yet")

    async def _connect(self) -> None:
        try:
            await self._open()
        except Exception as exc:  # a background task: its failure must surface in the log, not vanish
            log.warning("NATS rate limits at %s are off (%r): send rates are limited per process", self.url, exc)

    async def _open(self) -> None:
        self._nc = await nats.connect(
            self.url, name="sarraf-rate-limits", connect_timeout=2, reconnect_time_wait=1.0,
            max_reconnect_attempts=-1, error_cb=self._connection_error,
            disconnected_cb=self._disconnected, reconnected_cb=self._reconnected)
        js = self._nc.jetstream(timeout=self._request_timeout)
        while self.kv is None:
            try:
                self.kv = await js.key_value(self.bucket)
            except nats.js.errors.BucketNotFoundError:
                # Replicas racing here send the same config, which JetStream accepts as the same bucket.
                self.kv = await js.create_key_value(bucket=self.bucket, history=1, ttl=self._max_age)
            except UNREACHABLE as exc:
                self.unreachable(f"cannot open bucket {self.bucket}: {exc!r}")
                await asyncio.sleep(1.0)
        self.reachable()

    @property
    def connected(self) -> bool:
        return self.kv is not None and self._nc is not None and self._nc.is_connected

    def limiter(self, scope: str, per_second: float, burst: int = 1) -> NatsRateLimiter:
        return NatsRateLimiter(self, scope, Quota(per_second, burst))

    def unreachable(self, why: str) -> None:
        if not self._outage_logged:
            self._outage_logged = True
            log.warning("NATS at %s unavailable (%s): platform send rates are limited per process until it "
                        "returns", self.url, why)

    def reachable(self) -> None:
        if self._outage_logged:
            self._outage_logged = False
            log.info("NATS at %s is back: platform send rates are shared by all replicas again", self.url)

    async def close(self) -> None:
        self._closing = True
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()
        self.kv = None

    async def _connection_error(self, exc: Exception) -> None:
        log.debug("NATS rate limits: %r", exc)  # the outage itself is logged once, by unreachable()

    async def _disconnected(self) -> None:
        if not self._closing:
            self.unreachable("disconnected")

    async def _reconnected(self) -> None:
        self.reachable()


class NatsRateLimiter:
    """One quota, counted across every replica connected to the same bucket."""

    def __init__(self, limits: NatsRateLimits, scope: str, quota: Quota) -> None:
        self._limits = limits
        self.scope = scope
        self.quota = quota
        self._fallback = RateLimiter(quota.per_second, quota.burst, clock=limits.clock, sleep=limits.sleep)
        self.conflicts = 0  # races lost to another booking of the same key (and retried)
        self.fallbacks = 0  # calls served by the in-process limiter
        # Bookings of one key from this process go one at a time: callers in one replica queue here instead of
        # racing each other over the network (measured: 16 callers on one key lost ~4 races per booking).
        self._turns: dict[str, asyncio.Lock] = {}
        self._queued: dict[str, int] = {}

    async def reserve(self, key: str) -> float:
        kv = self._limits.kv
        if kv is None or not self._limits.connected:
            return self._fall_back(key)
        try:
            async with asyncio.timeout(self._limits.call_budget), self._turn(key):
                wait = await self._book(kv, kv_key(self.scope, key))
        except UNREACHABLE as exc:  # asyncio.timeout raises TimeoutError, an UNREACHABLE too
            self._limits.unreachable(repr(exc))
            return self._fall_back(key)
        self._limits.reachable()
        return wait

    async def acquire(self, key: str) -> None:
        await wait_for_slot(self, key, self._limits.sleep)

    @contextlib.asynccontextmanager
    async def _turn(self, key: str) -> AsyncIterator[None]:
        lock = self._turns.setdefault(key, asyncio.Lock())
        self._queued[key] = self._queued.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._queued[key] -= 1
            if not self._queued[key]:  # nobody else holds or awaits it: memory follows busy keys only
                del self._queued[key], self._turns[key]

    async def _book(self, kv: KeyValue, entry_key: str) -> float:
        for attempt in range(MAX_ATTEMPTS):
            try:
                entry = await kv.get(entry_key)
            except nats.js.errors.KeyNotFoundError:  # never written, expired, or deleted
                entry = None
            now = self._limits.clock()
            wait, theoretical = next_slot(_arrival(entry.value if entry else None), now, self.quota)
            value = repr(theoretical).encode()
            try:
                if entry is None:
                    await kv.create(entry_key, value)
                else:
                    await kv.update(entry_key, value, last=entry.revision)
                return wait
            except nats.js.errors.KeyWrongLastSequenceError:
                self.conflicts += 1
                # Jitter spreads the losers out so the next round is not the same stampede.
                await asyncio.sleep(random.random() * min(0.001 * (attempt + 1), 0.01))
        raise nats.errors.TimeoutError  # endless contention: treated like an unreachable store

    def _fall_back(self, key: str) -> float:
        self.fallbacks += 1
        return self._fallback.book(key)


def _arrival(value: bytes | None) -> float | None:
    """The stored theoretical arrival time; anything unreadable counts as no state."""
    try:
        found = float(value.decode()) if value else None
    except (UnicodeDecodeError, ValueError):
        return None
    return found if found is not None and math.isfinite(found) else None
