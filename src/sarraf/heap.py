"""The garbage collector in a long-running gateway or worker process.

Start-up leaves tens of thousands of objects that live as long as the process: modules, the reply catalogue,
CLDR locale data, compiled SQL statements, the agreement, the NLU model. CPython's collector walks them again
at every full collection, and the alert path allocates fast enough to trigger one every few seconds: in
bench/alerts.py, collections were ~8 % of a routing worker's CPU. Freezing what exists once start-up is done
moves it out of the collector's reach for good (gc.freeze, meant for exactly this); what is allocated later
is collected as before, so nothing leaks that would not leak anyway.

Called by the process entry points (`sarraf serve`, `sarraf alerts worker`) only: a test process builds and
drops many apps, and freezing each one's objects would keep its cycles alive."""

from __future__ import annotations

import gc


def settle_after_start_up() -> None:
    gc.collect()  # what start-up left as garbage goes now, not into the frozen generation
    gc.freeze()
