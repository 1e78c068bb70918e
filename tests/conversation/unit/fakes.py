"""In-memory stand-ins for the conversation's ports (conversation/ports.py and the flows' own Protocols), so a
`Conversation` is built and driven with no HTTP, no database and no NLU model: the NLU answers the intent a
test chooses, the bank-data point discloses what a test puts in it, the stores are dictionaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sarraf.alerts.fraud import Answer as FraudAnswer  # what the flows build from a button or a typed yes / no
from sarraf.alerts.preferences import AlertPreferences
from sarraf.conversation.nlu.types import Entity, Parse
from sarraf.domain.banking import Account, Balance, Transaction
from sarraf.domain.consent import BankLink, ConsentStatus, Tokens
from sarraf.domain.disclosure import Decision, DisclosureRequest, Minimisation, Outcome
from sarraf.domain.events import PendingBlock
from sarraf.domain.messages import Outbound
from sarraf.domain.money import Money
from sarraf.policy.consents import LinkInvitation
from sarraf.policy.point import AccountBalances, Disclosure, Subject
from sarraf.policy.step_up import HeldAction, HeldStatus

ALLOW = Decision(Outcome.ALLOW, Minimisation.FULL, "test-allow")
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
EVERYDAY = Account("acc-1", "GBP", "Everyday", "Personal/CurrentAccount", "40127631926819")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Understanding:
    """The NLU: answers the intent (and entities) the test chose for a text, else out of scope."""

    said: dict[str, tuple[str, list[Entity]]] = field(default_factory=dict)
    lang: str = "en"
    asked: list[str] = field(default_factory=list)

    def means(self, text: str, intent: str, *entities: Entity) -> None:
        self.said[text] = (intent, list(entities))

    def parse(self, text: str, now: datetime | None = None, known_lang: str | None = None) -> Parse:
        self.asked.append(text)
        if text not in self.said:
            return Parse(text, "out_of_scope", 0.1, self.lang, in_scope=False)
        intent, entities = self.said[text]
        return Parse(text, intent, 0.95, self.lang, entities)


@dataclass
class Customer:
    id: str
    tenant: str
    lang: str | None = None


@dataclass
class Customers:
    known: dict[tuple[str, str, str], Customer] = field(default_factory=dict)

    async def identify(self, tenant: str, channel: str, sender: str) -> Customer:
        key = (tenant, channel, sender)
        if key not in self.known:
            self.known[key] = Customer(f"cust-{len(self.known) + 1}", tenant)
        return self.known[key]

    async def set_lang(self, customer_id: str, lang: str) -> None:
        for customer in self.known.values():
            if customer.id == customer_id:
                customer.lang = lang


@dataclass
class Messages:
    seen: set[tuple[str, str]] = field(default_factory=set)

    async def first_time(self, channel: str, message_id: str) -> bool:
        if (channel, message_id) in self.seen:
            return False
        self.seen.add((channel, message_id))
        return True


@dataclass
class Handoffs:
    asked: list[tuple[str, str]] = field(default_factory=list)

    async def request(self, tenant: str, customer_id: str, channel: str, sender: str, reason: str) -> None:
        self.asked.append((customer_id, reason))


@dataclass
class SecureLinks:
    ttl_minutes: int = 15
    issued: list[str] = field(default_factory=list)

    def issue(
        self,
        tenant: str,
        customer_id: str,
        view: str,
        start: str | None,
        end: str | None,
        *,
        category: str | None = None,
        merchant: str | None = None,
    ) -> str:
        self.issued.append(view)
        return f"https://gw.example/secure/{view}/{len(self.issued)}"


@dataclass
class DataRights:
    held: dict[str, dict[str, Any]] = field(default_factory=dict)
    erased: list[str] = field(default_factory=list)

    async def export(self, customer_id: str) -> dict[str, Any]:
        return self.held.get(customer_id, {"channels": ["webchat"]})

    async def erase(self, customer_id: str) -> None:
        self.erased.append(customer_id)
        self.held.pop(customer_id, None)


@dataclass
class Context:
    kept: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    async def recall(self, tenant: str, customer_id: str, channel: str, now: datetime) -> dict[str, Any]:
        return dict(self.kept.get((tenant, customer_id, channel), {}))

    async def remember(
        self, tenant: str, customer_id: str, channel: str, state: dict[str, Any], expires_at: datetime
    ) -> None:
        self.kept[(tenant, customer_id, channel)] = state


@dataclass
class Consents:
    """The customer's bank link: none until `link` is called; every invitation is counted."""

    links: dict[tuple[str, str], BankLink] = field(default_factory=dict)
    invited: list[str | None] = field(default_factory=list)

    def link(self, tenant: str, customer_id: str, expires_at: datetime | None = None) -> None:
        self.links[(tenant, customer_id)] = BankLink(
            tenant,
            customer_id,
            "consent-1",
            ConsentStatus.AUTHORISED,
            ("ReadBalances",),
            expires_at or NOW + timedelta(days=90),
            Tokens("access", None, NOW + timedelta(hours=1)),
        )

    async def invite(
        self, tenant: str, customer_id: str, channel: str, sender: str, resume_text: str | None
    ) -> LinkInvitation:
        self.invited.append(resume_text)
        state = f"state-{len(self.invited)}"
        return LinkInvitation(f"https://gw.example/link/start/{state}", state)

    async def link_of(self, tenant: str, customer_id: str) -> BankLink | None:
        return self.links.get((tenant, customer_id))

    async def revoke(self, tenant: str, customer_id: str) -> bool:
        return self.links.pop((tenant, customer_id), None) is not None


@dataclass
class BankData:
    """The policy point: discloses the balances and transactions put in it, with the decision put in it."""

    decision: Decision = ALLOW
    balances_held: list[AccountBalances] = field(
        default_factory=lambda: [
            AccountBalances(EVERYDAY, (Balance("acc-1", Money(Decimal("1234.50"), "GBP"), "InterimAvailable", NOW),))
        ]
    )
    transactions_held: list[Transaction] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    failing: Exception | None = None  # what the next reads raise (NotLinked, BankUnavailable…)

    async def balances(self, subject: Subject) -> Disclosure[list[AccountBalances]]:
        self.reads.append("balances")
        if self.failing is not None:
            raise self.failing
        return Disclosure(self.decision, self.balances_held if self.decision.allowed else None)

    async def transactions(
        self, subject: Subject, since: datetime | None, until: datetime | None, keep: Any = None
    ) -> Disclosure[list[Transaction]]:
        self.reads.append("transactions")
        if self.failing is not None:
            raise self.failing
        return Disclosure(self.decision, self.transactions_held if self.decision.allowed else None)


@dataclass
class Preferences:
    kept: dict[tuple[str, str], AlertPreferences] = field(default_factory=dict)

    async def get(self, tenant: str, customer_id: str) -> AlertPreferences:
        return self.kept.get((tenant, customer_id), AlertPreferences())

    async def save(self, tenant: str, customer_id: str, preferences: AlertPreferences) -> None:
        self.kept[(tenant, customer_id)] = preferences


@dataclass
class FraudDesk:
    open: dict[tuple[str, str], str] = field(default_factory=dict)
    answers: list[FraudAnswer] = field(default_factory=list)

    async def awaiting(self, tenant: str, customer_id: str) -> str | None:
        return self.open.get((tenant, customer_id))

    async def answer(self, a: FraudAnswer) -> list[Outbound]:
        self.answers.append(a)
        self.open.pop((a.tenant, a.customer_id), None)
        return [Outbound("thanks, noted" if a.genuine else "card blocked", a.lang)]


@dataclass
class Receipts:
    noted: list[tuple[str, str]] = field(default_factory=list)

    async def record_receipt(self, channel: str, sender: str, receipt: Any) -> int:
        self.noted.append((channel, sender))
        return 1


@dataclass
class CardConfirmations:
    pending: dict[tuple[str, str], PendingBlock] = field(default_factory=dict)

    async def offer(self, tenant: str, customer_id: str, pending: PendingBlock, now: datetime) -> None:
        self.pending[(tenant, customer_id)] = pending

    async def take(self, tenant: str, customer_id: str, now: datetime) -> PendingBlock | None:
        return self.pending.pop((tenant, customer_id), None)


@dataclass
class HeldActions:
    held: dict[str, HeldAction] = field(default_factory=dict)
    finished: dict[str, tuple[HeldStatus, datetime]] = field(default_factory=dict)

    async def hold(self, held: HeldAction) -> None:
        self.held[held.login_state] = held

    async def take(self, login_state: str) -> HeldAction | None:
        found = self.held.get(login_state)
        if found is None or found.status is not HeldStatus.WAITING:
            return None
        self.held[login_state] = HeldAction(**{**_fields(found), "status": HeldStatus.RUNNING})
        return self.held[login_state]

    async def finish(self, held_id: str, status: HeldStatus, at: datetime) -> None:
        self.finished[held_id] = (status, at)

    async def last_step_up(self, tenant: str, customer_id: str) -> datetime | None:
        done = [
            at
            for held_id, (status, at) in self.finished.items()
            if status is HeldStatus.DONE
            and any(h.held_id == held_id and h.customer_id == customer_id for h in self.held.values())
        ]
        return max(done, default=None)

    async def device_known(self, tenant: str, customer_id: str, device: str) -> bool:
        return False


def _fields(held: HeldAction) -> dict[str, Any]:
    return {name: getattr(held, name) for name in HeldAction.__dataclass_fields__}


@dataclass
class Audit:
    records: list[tuple[DisclosureRequest, Decision]] = field(default_factory=list)

    async def record(self, request: DisclosureRequest, decision: Decision) -> object:
        self.records.append((request, decision))
        return len(self.records)


@dataclass
class OptIns:
    kept: dict[tuple[str, str], bool] = field(default_factory=dict)

    async def opt_in(self, tenant: str, customer_id: str) -> Any:
        return None

    async def set_opt_in(self, tenant: str, customer_id: str, opted_in: bool, channel: str, at: datetime) -> None:
        self.kept[(tenant, customer_id)] = opted_in


@dataclass
class Outcomes:
    noted: list[tuple[str, bool]] = field(default_factory=list)

    async def record(self, tenant: str, intent: str, helped: bool, at: datetime) -> None:
        self.noted.append((intent, helped))
