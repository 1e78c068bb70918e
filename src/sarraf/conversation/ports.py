"""What the conversation needs from around it, as small Protocols."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sarraf.conversation.nlu.types import Parse
from sarraf.domain.banking import Transaction
from sarraf.domain.consent import BankLink
from sarraf.policy.consents import LinkInvitation
from sarraf.policy.point import AccountBalances, Disclosure, Subject


class Speaker(Protocol):
    """Who is speaking, where, in which language: what a flow needs to answer now or to address a later message
    (the engine's Turn, turn.Party)."""

    @property
    def tenant(self) -> str: ...

    @property
    def customer_id(self) -> str: ...

    @property
    def channel(self) -> str: ...

    @property
    def sender(self) -> str: ...

    @property
    def lang(self) -> str: ...

    @property
    def bank(self) -> str: ...


class Understanding(Protocol):
    def parse(self, text: str, now: datetime | None = None, known_lang: str | None = None) -> Parse: ...


class Customer(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def tenant(self) -> str: ...

    @property
    def lang(self) -> str | None: ...


class CustomerDirectory(Protocol):
    async def identify(self, tenant: str, channel: str, sender: str) -> Customer: ...

    async def set_lang(self, customer_id: str, lang: str) -> None: ...


class MessageLog(Protocol):
    async def first_time(self, channel: str, message_id: str) -> bool: ...


class Handoffs(Protocol):
    async def request(self, tenant: str, customer_id: str, channel: str, sender: str, reason: str) -> None: ...


class SecureLinks(Protocol):
    ttl_minutes: int

    def issue(self, tenant: str, customer_id: str, view: str, start: str | None, end: str | None, *,
              category: str | None = None, merchant: str | None = None) -> str: ...


class DataRights(Protocol):
    """What the customer may see, export and erase of what we hold about them."""

    async def export(self, customer_id: str) -> dict[str, Any]: ...

    async def erase(self, customer_id: str) -> None: ...


class ConversationContext(Protocol):
    """A conversation's short, expiring memory (context.py), shared by every replica."""

    async def recall(self, tenant: str, customer_id: str, channel: str, now: datetime) -> dict[str, Any]: ...

    async def remember(
        self, tenant: str, customer_id: str, channel: str, state: dict[str, Any], expires_at: datetime
    ) -> None: ...


class BankData(Protocol):
    """The policy point's reads (policy/point.BankDataPoint): every answer already decided and minimised."""

    async def balances(self, subject: Subject) -> Disclosure[list[AccountBalances]]: ...

    async def transactions(
        self, subject: Subject, since: datetime | None, until: datetime | None,
        keep: Callable[[Transaction], bool] | None = None,
    ) -> Disclosure[list[Transaction]]: ...


class Consents(Protocol):
    """The customer's bank link (policy/consents.ConsentService), as far as the conversation needs it."""

    async def invite(
        self, tenant: str, customer_id: str, channel: str, sender: str, resume_text: str | None
    ) -> LinkInvitation: ...

    async def link_of(self, tenant: str, customer_id: str) -> BankLink | None: ...

    async def revoke(self, tenant: str, customer_id: str) -> bool: ...
