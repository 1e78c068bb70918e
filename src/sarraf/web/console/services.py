"""The console's services, built once from the gateway's container when the app starts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from fastapi import Request

from sarraf.console.changes import Changes
from sarraf.console.desk import AgentDesk
from sarraf.policy.crypto.envelope import EnvelopeCipher
from sarraf.store.console_audit import SqlAuditSearch
from sarraf.store.console_figures import SqlDeskFigures
from sarraf.store.console_staff import SqlStaff
from sarraf.store.key_store import SqlDataKeyStore, key_provider

if TYPE_CHECKING:
    from sarraf.bootstrap import Container, Gateway

SESSION_TTL = timedelta(hours=8)  # one working day; the session row ends it, whatever the browser keeps
POLL_SECONDS = 1.0  # how often a live stream looks again without a wake-up (changes made by other replicas)


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


def wire_console(gateway: Gateway) -> ConsoleServices:
    """The console's pages and streams over the desk `bootstrap.build(console=True)` gave the conversation."""
    container, desk = gateway.web, gateway.console
    assert desk is not None, "the web app builds its gateway with console=True"
    return ConsoleServices(container, staff_store(container), desk.desk, SqlAuditSearch(container.engine),
                           desk.changes, SqlDeskFigures(container.engine))


def services_of(request: Request) -> ConsoleServices:
    return request.app.state.console  # type: ignore[no-any-return]
