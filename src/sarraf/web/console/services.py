"""The console's services, built once from the gateway's container when the app starts."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from fastapi import Request

from sarraf.alerts.outbound import Addressee
from sarraf.console.desk import AgentDesk
from sarraf.console.ports import ConversationRef
from sarraf.console.satisfaction import SatisfactionFlow
from sarraf.domain.messages import Outbound
from sarraf.policy.crypto.envelope import EnvelopeCipher
from sarraf.store.console_audit import SqlAuditSearch
from sarraf.store.console_desk import SqlDesk
from sarraf.store.console_figures import SqlDeskFigures, SqlSatisfaction
from sarraf.store.console_staff import SqlStaff
from sarraf.store.key_store import SqlDataKeyStore, key_provider

if TYPE_CHECKING:
    from sarraf.bootstrap import Container

SESSION_TTL = timedelta(hours=8)  # one working day; the session row ends it, whatever the browser keeps
POLL_SECONDS = 1.0  # how often a live stream looks again without a wake-up (changes made by other replicas)


class Changes:
    """Wakes the live streams of this process when the queue or a transcript changed here."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)


@dataclass
class ConsoleServices:
    container: Container
    staff: SqlStaff
    desk: AgentDesk
    audit_search: SqlAuditSearch
    changes: Changes
    figures: SqlDeskFigures
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    session_ttl: timedelta = SESSION_TTL
    poll_seconds: float = POLL_SECONDS


def staff_store(container: Container) -> SqlStaff:
    cipher = EnvelopeCipher(key_provider(container.settings), SqlDataKeyStore(container.engine))
    return SqlStaff(container.engine, cipher)


def wire_console(container: Container) -> ConsoleServices:
    changes = Changes()
    satisfaction = SqlSatisfaction(container.engine, container.addresses)
    async def deliver(ref: ConversationRef, messages: list[Outbound]) -> None:
        # every agent's message is a telling of its own: a fresh key
        await container.deliver(Addressee(ref.tenant, ref.customer_id, ref.channel, ref.sender), messages,
                                f"agent:{ref.handoff_id}:{uuid.uuid4().hex}")

    desk = AgentDesk(SqlDesk(container.engine, container.row_sealer, container.addresses), deliver, container.point,
                     container.bank_names, container.lang_of,
                     {b.id: b.default_language for b in container.banks.values()}, satisfaction=satisfaction)
    desk.changed = changes.notify
    container.conversation.console = desk  # the bot stays silent in conversations an agent owns
    container.conversation.register_flow(SatisfactionFlow(satisfaction))  # the "how did we do?" buttons
    return ConsoleServices(container, staff_store(container), desk, SqlAuditSearch(container.engine), changes,
                           SqlDeskFigures(container.engine))


def services_of(request: Request) -> ConsoleServices:
    return request.app.state.console  # type: ignore[no-any-return]
