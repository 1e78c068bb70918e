"""Repeated identical errors are logged once in full, then one summary line per interval with the count
(issue #22, finding 6). The clock is injected: no test waits for time to pass."""

from __future__ import annotations

import logging

from sarraf.log_repeats import RepeatedErrors


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _logger(name: str, now: list[float], interval_s: float = 60.0) -> tuple[logging.Logger, Lines]:
    lines = Lines()
    lines.addFilter(RepeatedErrors(interval_s, clock=lambda: now[0]))
    logger = logging.getLogger(name)
    logger.handlers[:] = [lines]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, lines


def _fail(logger: logging.Logger, row: int) -> None:
    try:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
    except ConnectionRefusedError:
        logger.exception("alert delivery batch failed (row %d)", row)


def test_a_storm_of_one_error_is_one_traceback_and_a_count_per_interval() -> None:
    now = [0.0]
    logger, lines = _logger("test.repeats.storm", now)
    for i in range(3000):  # 50 a second for a minute, as a worker retrying every 20 ms did
        now[0] = i * 0.02
        _fail(logger, i)
    now[0] = 61.0
    _fail(logger, 3000)
    assert len(lines.lines) == 2
    first, summary = lines.lines
    assert "Traceback" in first and "(row 0)" in first
    assert "Traceback" not in summary
    assert "[x3000 in the last 60 s; the first was logged in full]" in summary  # rows 1..3000
    assert "ConnectionRefusedError" in summary


def test_different_errors_and_other_levels_are_not_merged() -> None:
    now = [0.0]
    logger, lines = _logger("test.repeats.mixed", now)
    for _ in range(10):
        logger.error("database down")
        logger.error("bank %s down", "acme")
        logger.info("routine %d", 1)  # below WARNING: never held back
    assert lines.lines == ["database down", "bank acme down", "routine 1"] + ["routine 1"] * 9


def test_an_error_quiet_for_an_interval_is_logged_in_full_again() -> None:
    now = [0.0]
    logger, lines = _logger("test.repeats.quiet", now, interval_s=10)
    _fail(logger, 1)
    now[0] = 25.0
    _fail(logger, 2)
    assert len(lines.lines) == 2 and all("Traceback" in line for line in lines.lines)
