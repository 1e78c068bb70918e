"""reserve() latency: the embedded in-process limiter against the one shared through NATS JetStream KV.

    .venv/bin/python bench/ratelimit.py                 # NATS at 127.0.0.1:4222
    .venv/bin/python bench/ratelimit.py --calls 5000 --nats nats://10.0.0.5:4222

Rows: in process; NATS with one caller at a time (spread over many keys, and all on one key: one get and one
update per booking either way); NATS with two replicas (two connections) of --tasks concurrent callers each
hammering one key, where lost races are re-read and retried; and NATS unreachable, the in-process fallback.
A bucket of its own is created for the run and deleted afterwards. Latency is wall time per reserve() call
in microseconds, as seen by the caller. The first row is the same-run reference: an awaitable that returns at
once, timed by the same loop. Last line: `RESULT … nats_over_in_process=…` (medians in µs).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

import nats

from sarraf.channels.ratelimit import RateLimiter, SendRateLimiter
from sarraf.channels.ratelimit_nats import NatsRateLimiter, NatsRateLimits

RATE = 1e6  # high enough that nobody would wait: only the booking itself is measured


async def timed(calls: int, tasks: int, reserve: Callable[[int], Awaitable[float]]) -> list[float]:
    samples: list[float] = []

    async def caller(offset: int) -> None:
        for i in range(offset, calls, tasks):
            started = time.perf_counter()
            await reserve(i)
            samples.append((time.perf_counter() - started) * 1e6)

    await asyncio.gather(*(caller(t) for t in range(tasks)))
    return samples


def row(name: str, samples: list[float], wall: float, extra: str = "") -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"| {name:<44} | {len(samples):>6} | {statistics.median(ordered):>9.1f} | {p99:>9.1f} | "
            f"{statistics.fmean(ordered):>9.1f} | {len(samples) / wall:>9.0f} | {extra:<26} |")


async def measure(name: str, calls: int, tasks: int, reserve: Callable[[int], Awaitable[float]],
                  limiters: list[SendRateLimiter]) -> tuple[str, float]:
    """The table row and the median µs per call (for the RESULT line)."""
    started = time.perf_counter()
    samples = await timed(calls, tasks, reserve)
    wall = time.perf_counter() - started
    shared = [limiter for limiter in limiters if isinstance(limiter, NatsRateLimiter)]
    extra = (f"races {sum(s.conflicts for s in shared)}, fallbacks {sum(s.fallbacks for s in shared)}"
             if shared else "")
    return row(name, samples, wall, extra), statistics.median(samples)


async def _return_at_once(_: int) -> float:
    return 0.0


async def main(url: str, calls: int, tasks: int) -> None:
    bucket = f"sarraf_rate_limits_bench_{uuid.uuid4().hex[:8]}"
    rows = [await measure("reference: an awaitable that returns at once", calls, 1, _return_at_once, [])]
    local = RateLimiter(RATE, burst=1)
    rows.append(await measure("in process", calls, 1, lambda i: local.reserve(f"chat-{i % 1000}"), [local]))
    first, second = NatsRateLimits(url, bucket=bucket), NatsRateLimits(url, bucket=bucket)
    await first.start()
    await second.start()
    try:
        spread = first.limiter("bench/spread", RATE)
        rows.append(await measure("NATS, 1 caller, 1000 keys", calls, 1, lambda i: spread.reserve(f"chat-{i % 1000}"),
                                  [spread]))
        one = first.limiter("bench/one", RATE)
        rows.append(await measure("NATS, 1 caller, 1 key", calls, 1, lambda i: one.reserve("page"), [one]))
        hot = [first.limiter("bench/hot", RATE), second.limiter("bench/hot", RATE)]
        rows.append(await measure(f"NATS, 2 replicas x {tasks} callers, 1 key", calls, 2 * tasks,
                                  lambda i: hot[i % 2].reserve("page"), list(hot)))
    finally:
        await first.close()
        await second.close()
        nc = await nats.connect(url)
        await nc.jetstream().delete_key_value(bucket)
        await nc.close()
    down = NatsRateLimits("nats://127.0.0.1:1", bucket=bucket, connect_wait=0.1)
    await down.start()
    fallback = down.limiter("bench/down", RATE)
    rows.append(await measure("NATS unreachable (in-process fallback)", calls, 1,
                              lambda i: fallback.reserve(f"chat-{i % 1000}"), [fallback]))
    await down.close()
    print(f"reserve() latency, {calls} calls per row (microseconds; ops/s over the row's wall time)\n")
    print(f"| {'limiter':<44} | {'calls':>6} | {'p50 µs':>9} | {'p99 µs':>9} | {'mean µs':>9} | {'ops/s':>9} | "
          f"{'notes':<26} |")
    print(f"|{'-' * 46}|{'-' * 7}:|{'-' * 10}:|{'-' * 10}:|{'-' * 10}:|{'-' * 10}:|{'-' * 28}|")
    for line, _ in rows:
        print(line)
    medians = [median for _, median in rows]
    reference, in_process, spread, one_key, hot, fallback = medians
    print(f"RESULT reference_p50_us={reference:.1f} in_process_p50_us={in_process:.1f} "
          f"nats_p50_us={spread:.1f} nats_one_key_p50_us={one_key:.1f} nats_two_replicas_p50_us={hot:.1f} "
          f"fallback_p50_us={fallback:.1f} nats_over_in_process={spread / in_process:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--tasks", type=int, default=8, help="concurrent callers per replica on the hot key")
    args = parser.parse_args()
    asyncio.run(main(args.nats, args.calls, args.tasks))
