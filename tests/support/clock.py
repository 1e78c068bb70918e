"""Time for tests that must not depend on how fast the machine is: a clock that moves only when told, or when
code under test sleeps on it (its `sleep` advances it instead of waiting).

Give the code under test both the clock and its sleep (e.g. `LocalRateLimits(clock=c, sleep=c.sleep)`): every
wait then happens in virtual time, so a paced send lands exactly on its booked slot however busy the CPU is.
That holds for one sequence of sends; where several tasks wait at once, one task's wake-up moves the time the
others read, so such tests keep the clock still and record the waits instead."""

from __future__ import annotations

import asyncio


class VirtualClock:
    """Seconds as floats, like `time.monotonic` or `time.time`; starts at a wall-clock-like instant."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        """Wake `seconds` after now: let the other tasks run once, then move the clock to the wake-up time
        (never backwards: a task that wakes earlier than one already woken sees the later time)."""
        wake = self.now + max(0.0, seconds)
        await asyncio.sleep(0)
        self.now = max(self.now, wake)
