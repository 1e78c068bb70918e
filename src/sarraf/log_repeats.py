"""Repeated identical errors are logged once in full, then counted (issue #22, finding 6).

While the database is down every worker round fails the same way: retried every few milliseconds, that was
60,060 log lines (630 tracebacks) in 20 s, burying the one line that said what was wrong. This filter, on
the log handlers, lets the first occurrence of an error through in full (with its traceback); the same error
again (same logger, level, message template and exception type) within `interval_s` is held back and
counted, and the first occurrence after each interval becomes one summary line, without a traceback, saying
how many were held back. An error that stays away for a whole interval starts afresh.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_KEYS = 1000  # distinct errors remembered; the oldest is forgotten first


@dataclass
class _Seen:
    window_start: float
    last: float
    held: int = 0


class RepeatedErrors(logging.Filter):
    def __init__(self, interval_s: float = 60.0, *, level: int = logging.WARNING,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval_s = interval_s
        self.level = level
        self._clock = clock
        self._seen: OrderedDict[tuple[str, int, str, str], _Seen] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < self.level:
            return True
        error = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        key = (record.name, record.levelno, str(record.msg), error)
        now = self._clock()
        seen = self._seen.get(key)
        if seen is None or now - seen.last >= self.interval_s:  # new, or quiet for a whole interval
            self._remember(key, _Seen(now, now))
            return True
        seen.last = now
        if now - seen.window_start < self.interval_s:
            seen.held += 1
            return False
        held, seen.window_start, seen.held = seen.held, now, 0
        self._summarise(record, held + 1)
        return True

    def _remember(self, key: tuple[str, int, str, str], seen: _Seen) -> None:
        self._seen[key] = seen
        self._seen.move_to_end(key)
        while len(self._seen) > MAX_KEYS:
            self._seen.popitem(last=False)

    def _summarise(self, record: logging.LogRecord, count: int) -> None:
        """This record stands for `count` occurrences of the interval: its message, once, without traceback."""
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += f" ({type(record.exc_info[1]).__name__}: {str(record.exc_info[1]).splitlines()[0][:200]})" \
                if str(record.exc_info[1]) else f" ({type(record.exc_info[1]).__name__})"
        record.msg = f"{message} [x{count} in the last {self.interval_s:.0f} s; the first was logged in full]"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None


def worker_logging() -> None:
    """Logging for processes without uvicorn's configuration (`sarraf alerts worker`): INFO and up to stderr,
    redacted and with repeated errors counted."""
    from sarraf.policy.redaction import RedactingFilter

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RepeatedErrors())  # first: a held-back line costs no redaction
    handler.addFilter(RedactingFilter())
    sarraf = logging.getLogger("sarraf")
    sarraf.addHandler(handler)
    sarraf.setLevel(logging.INFO)
    sarraf.propagate = False
