"""The NATS JetStream these tests share (127.0.0.1:4222 here and in CI), with a bucket of their own per run."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Callable

import nats
import nats.js.errors

from sarraf.channels.ratelimit import Sleep
from sarraf.channels.ratelimit_nats import NatsRateLimits

NATS_URL = "nats://127.0.0.1:4222"


def run_bucket() -> str:
    """A bucket name no other test run uses, so parallel runs (and leftovers of a killed one) never collide."""
    return f"sarraf_rate_limits_test_{uuid.uuid4().hex[:12]}"


def delete_bucket(bucket: str) -> None:
    async def delete() -> None:
        nc = await nats.connect(NATS_URL, max_reconnect_attempts=1)
        try:
            await nc.jetstream().delete_key_value(bucket)
        except nats.js.errors.NotFoundError:
            pass  # never created (every test that needed it failed before) or already gone
        finally:
            await nc.close()

    asyncio.run(delete())


# The production timeouts (0.5 s a request, 1 s a booking, 2 s to connect) make a replica fall back to limiting
# in process rather than hold a customer's reply; on a busy CI machine they would make tests that count on the
# shared state fall back for no fault of the code. Tests that are about falling back pass their own.
PATIENT = {"request_timeout": 10.0, "call_budget": 60.0, "connect_wait": 30.0}


async def replica(bucket: str, clock: Callable[[], float], url: str = NATS_URL, *,
                  sleep: Sleep = asyncio.sleep, **options: float) -> NatsRateLimits:
    """What one replica holds: its own connection to NATS, started, reading (and sleeping on) the given clock."""
    limits = NatsRateLimits(url, bucket=bucket, clock=clock, sleep=sleep, **{**PATIENT, **options})
    await limits.start()
    return limits


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
