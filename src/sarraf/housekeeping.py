"""Periodic upkeep of the gateway: agreement reloads, consent-expiry reminders, stale logins and contexts.

Runs in-process next to the web server (one loop per process; every step is idempotent, so several
replicas doing it concurrently only repeat harmless work).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sarraf.alerts.outbound import Addressee
from sarraf.domain.consent import LINK_SESSION_TTL
from sarraf.domain.messages import Button, Outbound
from sarraf.i18n.replies import catalog
from sarraf.policy.agreement import AgreementError
from sarraf.store.console_staff import forget_expired_sessions
from sarraf.store.conversation_context import SqlConversationContext

if TYPE_CHECKING:
    from sarraf.bootstrap import Container

log = logging.getLogger("sarraf.housekeeping")
REMIND_BEFORE = timedelta(days=7)
REMIND_AGAIN_AFTER = timedelta(days=3)
WINDOW_RETENTION = timedelta(days=2)  # the 24-hour customer-service windows, with a day's margin


@dataclass
class Report:
    agreements_reloaded: int = 0
    reminders_sent: int = 0
    logins_forgotten: int = 0
    windows_forgotten: int = 0
    contexts_forgotten: int = 0
    staff_sessions_forgotten: int = 0


class Housekeeping:
    def __init__(self, container: Container, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._c = container
        self._clock = clock

    async def run_once(self) -> Report:
        report = Report()
        for bank, decider in self._c.deciders.items():
            try:
                report.agreements_reloaded += int(decider.refresh())
            except AgreementError as exc:
                # A broken edit never replaces the agreement in force; operators see why.
                log.error("agreement of %s not reloaded: %s", bank, exc)
        now = self._clock()
        for tenant, customer_id in await self._c.links.expiring(now + REMIND_BEFORE, now - REMIND_AGAIN_AFTER):
            if await self._remind(tenant, customer_id, now):
                report.reminders_sent += 1
        report.logins_forgotten = await self._c.link_sessions.prune(now - LINK_SESSION_TTL)
        # A window closed for a day is as good as never opened; keep the table small.
        report.windows_forgotten = await self._c.windows.prune(now - WINDOW_RETENTION)
        # Expired conversation contexts already read as none; this only keeps the table small.
        report.contexts_forgotten = await SqlConversationContext(self._c.engine).prune(now)
        report.staff_sessions_forgotten = await forget_expired_sessions(self._c.engine, now)
        return report

    async def _remind(self, tenant: str, customer_id: str, now: datetime) -> bool:
        link = await self._c.links.get(tenant, customer_id)
        if link is None or link.expires_at is None or not link.usable(now):
            return False
        lang = await self._c.lang_of(customer_id) or self._c.banks[tenant].default_language
        days = max(0, math.ceil((link.expires_at - now) / timedelta(days=1)))
        c = catalog()
        message = Outbound(
            c.text(lang, "consent_expiring", bank=self._c.bank_names[tenant], count=days),
            lang,
            quick_replies=(Button(c.text(lang, "qr_link"), payload="intent:link_account"),),
        )
        # One telling per link expiry and conversation: a round that failed half-way and runs again adds nothing.
        told = f"consent-reminder:{customer_id}:{link.expires_at.isoformat()}"
        for n, (channel, sender) in enumerate(await self._c.customers.identities(customer_id)):
            if channel in self._c.channels.channels:
                await self._c.deliver(Addressee(tenant, customer_id, channel, sender), [message], f"{told}:{n}")
        await self._c.links.mark_reminded(tenant, customer_id, now)
        return True

    async def run_forever(self, interval: float = 60.0) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # upkeep must never take the gateway down; the next round tries again
                log.exception("housekeeping round failed")
            await asyncio.sleep(interval)
