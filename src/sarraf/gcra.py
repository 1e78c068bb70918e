"""The generic cell rate algorithm, as pure arithmetic: shared by the channels' send quotas (in process or
over NATS) and the alert delivery worker's per-channel and per-customer limits, which may not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quota:
    per_second: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second

    @property
    def tolerance(self) -> float:
        return self.interval * (self.burst - 1)


def next_slot(theoretical: float | None, now: float, quota: Quota) -> tuple[float, float]:
    """GCRA: from a key's theoretical arrival time (None: never seen or forgotten), book its next call.

    Returns (seconds to wait before the booked call, the key's new theoretical arrival time). A call is always
    booked, even one that must wait: callers queue behind each other instead of retrying.
    """
    arrival = now if theoretical is None else max(theoretical, now)
    start = max(now, arrival - quota.tolerance)
    return start - now, arrival + quota.interval
