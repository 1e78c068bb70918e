"""What the console's desk needs from storage, as the types it speaks and small Protocols (store/ implements them).

The desk (desk.py) and the satisfaction flow depend on these, never on SQL; store/console_*.py import them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ConversationRef:
    tenant: str
    channel: str
    sender: str
    customer_id: str
    handoff_id: int


@dataclass(frozen=True, slots=True)
class Waiting:
    handoff_id: int  # the oldest waiting request of the conversation: its name in the console
    channel: str
    customer_id: str
    lang: str | None
    reasons: tuple[str, ...]
    since: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    ref: ConversationRef
    staff_id: str
    claimed_at: datetime


@dataclass(frozen=True, slots=True)
class Line:
    author: str
    message: dict[str, Any]
    at: datetime


@dataclass(frozen=True, slots=True)
class Colleague:
    """A staff member as colleagues see them: no secrets."""

    id: str
    email: str
    role: str


class DeskStore(Protocol):
    async def waiting(self, tenant: str) -> list[Waiting]: ...

    async def conversation(self, tenant: str, handoff_id: int) -> ConversationRef | None: ...

    async def claim(self, ref: ConversationRef, staff_id: str, now: datetime) -> str | None: ...

    async def owner(self, tenant: str, channel: str, sender: str) -> Claim | None: ...

    async def claims_of(self, tenant: str, staff_id: str) -> list[Claim]: ...

    async def release(self, ref: ConversationRef, staff_id: str) -> bool: ...

    async def transfer(self, ref: ConversationRef, staff_id: str, to_staff_id: str) -> bool: ...

    async def is_open(self, tenant: str, channel: str, sender: str) -> bool: ...

    async def write(self, ref: ConversationRef, author: str, messages: list[dict[str, Any]],
                    now: datetime) -> None: ...

    async def transcript(self, ref: ConversationRef, limit: int = 200) -> list[Line]: ...


class SatisfactionQuestions(Protocol):
    async def ask(self, tenant: str, channel: str, sender: str, staff_id: str, now: datetime) -> None: ...

    async def answer(self, tenant: str, channel: str, sender: str, score: int, now: datetime) -> bool: ...
