"""Every failed call to a bank leaves one log line and one count (issue #22, finding 7).

The connector raises its domain errors through `unavailable` / `unusable`, which tag them with a short reason
(a fixed word: the metric's label stays low-cardinality); `observed(endpoint)` wraps each public call and, on
such an error, logs the bank, the endpoint, the reason and the (redacted) detail, and counts it in
`sarraf_bank_failures_total{bank, endpoint, reason}`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, cast

from sarraf.domain.errors import BankUnavailable, ConsentUnusable
from sarraf.observability import BANK_FAILURES
from sarraf.policy.redaction import redact

log = logging.getLogger("sarraf.banks")
P = ParamSpec("P")
R = TypeVar("R")
REASONS = ("timeout", "unreachable", "server_error", "malformed", "refused", "rejected", "foreign_link",
           "too_many_pages", "no_refresh_token")


class _HasTenant(Protocol):
    tenant: str


def unavailable(reason: str, message: str, kind: type[BankUnavailable] = BankUnavailable) -> BankUnavailable:
    error = kind(message)
    error.reason = reason  # type: ignore[attr-defined]
    return error


def unusable(reason: str, message: str) -> ConsentUnusable:
    error = ConsentUnusable(message)
    error.reason = reason  # type: ignore[attr-defined]
    return error


def record(bank: str, endpoint: str, error: BaseException) -> None:
    reason = getattr(error, "reason", "unavailable" if isinstance(error, BankUnavailable) else "refused")
    BANK_FAILURES.labels(bank, endpoint, reason).inc()
    log.warning("bank %s: %s failed (%s): %s", bank, endpoint, reason, redact(str(error)))


BankCall = Callable[Concatenate[Any, P], Coroutine[Any, Any, R]]  # an async method of a connector


def observed(endpoint: str) -> Callable[[BankCall[P, R]], BankCall[P, R]]:
    """Log and count the bank's failures of this call (the error itself goes on to the caller)."""

    def wrap(call: BankCall[P, R]) -> BankCall[P, R]:
        @functools.wraps(call)
        async def observed_call(self: _HasTenant, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await call(self, *args, **kwargs)
            except (BankUnavailable, ConsentUnusable) as error:
                record(self.tenant, endpoint, error)
                raise

        return cast(BankCall[P, R], observed_call)

    return wrap
