"""Bad input and faults around alerts derived from standard OB events (alerts/standard.py, alerts/ais_polling.py):
a revoked consent, a customer who did not opt in, the same row on two pages, a pending booked under a new id, a
bank failing halfway through a read, the outbox failing after derivation. No alert lost, none duplicated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sarraf.alerts.ais_polling import AisPoller, PollSchedule, backoff_rounds
from sarraf.alerts.derive import FraudRules, Rules
from sarraf.alerts.ports import Recipient
from sarraf.alerts.preferences import AlertPreferences
from sarraf.alerts.standard import StandardAlerts, StandardConfig
from sarraf.alerts.standard_ports import Remembered
from sarraf.domain.banking import Account, Balance, CreditDebit, Transaction
from sarraf.domain.consent import ConsentStatus
from sarraf.domain.disclosure import Decision, Minimisation, Outcome
from sarraf.domain.errors import BankUnavailable
from sarraf.domain.events import AlertKind, BankEvent
from sarraf.domain.money import Money
from sarraf.policy.point import AccountBalances, Disclosure, Subject

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
ALLOW = Decision(Outcome.ALLOW, Minimisation.FULL, "permit-fraud-detection")
ACCOUNT = Account("acc-1", "GBP", "Current", "Personal/CurrentAccount", "12345612345678")


def txn(tid: str, amount: str = "12.00", merchant: str = "Tesco", status: str = "BOOK",
        at: datetime = NOW) -> Transaction:
    return Transaction(tid, "acc-1", at, Money(Decimal(amount), "GBP"), CreditDebit.DEBIT, merchant, merchant,
                       card_last4="4242", extra={"status": status, "bank_code": "CardPayment"})


class Bank:
    """The policy door over a bank whose pages are set by the test; `fail_transactions` makes reads fail."""

    def __init__(self) -> None:
        self.pages: list[list[Transaction]] = []
        self.fail_transactions = 0
        self.reads = 0

    async def balances(self, subject: Subject) -> Disclosure[list[AccountBalances]]:
        self.reads += 1
        balance = Balance("acc-1", Money(Decimal("900"), "GBP"), "InterimAvailable", NOW)
        return Disclosure(ALLOW, [AccountBalances(ACCOUNT, (balance,))])

    async def transactions(self, subject: Subject, since: datetime | None, until: datetime | None
                           ) -> Disclosure[list[Transaction]]:
        self.reads += 1
        if self.fail_transactions:
            self.fail_transactions -= 1
            raise BankUnavailable("503 on page 2")
        return Disclosure(ALLOW, [t for page in self.pages for t in page])


class Memories:
    def __init__(self) -> None:
        self.held: dict[tuple[str, str], Remembered] = {}

    async def recall(self, tenant: str, account_id: str) -> Remembered | None:
        return self.held.get((tenant, account_id))

    async def keep_many(self, kept: Mapping[tuple[str, str], Remembered], now: datetime) -> None:
        self.held.update(kept)


class Outbox:
    """Only what derivation uses of the outbox: accept, refusing an id it holds (as the SQL outbox does)."""

    def __init__(self) -> None:
        self.events: dict[str, BankEvent] = {}
        self.fail = 0

    async def accept(self, events: Sequence[BankEvent]) -> list[bool]:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("the store is away")
        fresh = []
        for e in events:
            fresh.append(e.event_id not in self.events)
            self.events.setdefault(e.event_id, e)
        return fresh


def recipient(*, opted_in: bool = True, status: ConsentStatus = ConsentStatus.AUTHORISED) -> Recipient:
    return Recipient("cust-1", "en", status, (), None, True, (("webchat", "s1"),), AlertPreferences(opted_in=opted_in))


def update(n: int = 1) -> BankEvent:
    return BankEvent("bank", f"ru-{n}", AlertKind.RESOURCE_UPDATE, "consent-1", NOW)


async def routed(alerts: StandardAlerts, event: BankEvent) -> str | None:
    """One routing round holding this update: derivation, then its flush before the round's commit."""
    why = await alerts.on_update(event, recipient())
    await alerts.flush()
    return why


@pytest.fixture
def world() -> tuple[Bank, Outbox, Memories, StandardAlerts]:
    bank, outbox, memories = Bank(), Outbox(), Memories()
    alerts = StandardAlerts(bank, memories, outbox, {"bank": StandardConfig(Rules(large_from=Decimal("500")))},
                            clock=lambda: NOW)
    return bank, outbox, memories, alerts


async def test_a_revoked_consent_or_no_opt_in_reads_nothing(world: tuple[Bank, Outbox, Memories, StandardAlerts]
                                                             ) -> None:
    bank, outbox, _, alerts = world
    bank.pages = [[txn("t1")]]
    why = await alerts.on_update(update(), recipient(status=ConsentStatus.CANCELLED))
    assert why is not None and "not usable" in why
    why = await alerts.on_update(update(), recipient(opted_in=False))
    assert why is not None and "not opted in" in why
    assert bank.reads == 0 and outbox.events == {}


async def test_a_bank_not_derived_from_is_left_to_the_usual_wording(
        world: tuple[Bank, Outbox, Memories, StandardAlerts]) -> None:
    _, _, _, alerts = world
    assert await alerts.on_update(replace(update(), tenant="other"), recipient()) is None


async def test_the_same_row_on_two_pages_and_a_new_id_at_booking_are_one_alert(
        world: tuple[Bank, Outbox, Memories, StandardAlerts]) -> None:
    bank, outbox, _, alerts = world
    bank.pages = [[txn("t1", status="PDNG")], [txn("t1", status="PDNG"), txn("t2", "700", "Currys")]]
    await routed(alerts, update(1))
    bank.pages = [[txn("t1-booked")], [txn("t2", "700", "Currys")]]  # t1 booked under a new id
    await routed(alerts, update(2))
    await routed(alerts, update(1))  # an older update arriving late
    assert {(e.event_id, e.kind) for e in outbox.events.values()} == {
        ("std:acc-1:t1:payment", AlertKind.CARD_PAYMENT), ("std:acc-1:t2:payment", AlertKind.LARGE_PURCHASE)}


async def test_a_bank_failing_halfway_loses_nothing_and_repeats_nothing(
        world: tuple[Bank, Outbox, Memories, StandardAlerts]) -> None:
    bank, outbox, memories, alerts = world
    bank.pages = [[txn("t0", at=NOW - timedelta(hours=1))]]
    await routed(alerts, update(0))  # the first look: t0 (an hour old) is history
    bank.pages = [[txn("t0", at=NOW - timedelta(hours=1))], [txn("t1")], [txn("t2")]]
    bank.fail_transactions = 1
    why = await routed(alerts, update(1))
    assert why is not None and "bank unavailable" in why and alerts.failures("bank") == 1
    kept = memories.held[("bank", "acc-1")]
    assert "t1" not in kept.memory.seen  # nothing remembered as read: the next read covers it again
    await routed(alerts, update(2))
    assert alerts.failures("bank") == 0
    assert sorted(outbox.events) == ["std:acc-1:t1:payment", "std:acc-1:t2:payment"]


async def test_the_store_failing_after_derivation_derives_the_same_ids_again(
        world: tuple[Bank, Outbox, Memories, StandardAlerts]) -> None:
    bank, outbox, memories, alerts = world
    bank.pages = [[txn("t1")]]
    outbox.fail = 1
    with pytest.raises(ConnectionError):  # the routing round fails and is retried
        await routed(alerts, update(1))
    assert memories.held == {}
    await routed(alerts, update(1))
    await routed(alerts, update(2))
    assert list(outbox.events) == ["std:acc-1:t1:payment"]


async def test_ais_polling_spreads_a_round_under_the_rate_limit_and_never_repeats_a_round() -> None:
    outbox, pauses = Outbox(), []

    async def consents(tenant: str) -> list[str]:
        return ["c1", "c2", "c3"]

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    class Health:
        def failures(self, tenant: str) -> int:
            return 0

    poller = AisPoller(outbox, consents, {"bank": PollSchedule(60.0, 12)}, Health(), clock=lambda: NOW, sleep=sleep)
    assert await poller.poll_round("bank") == 3
    assert await poller.poll_round("bank") == 0  # a restart within the same round adds nothing
    assert pauses == [20.0, 20.0, 20.0, 20.0]  # 4 calls a read at 12 calls a minute
    assert all(e.kind is AlertKind.RESOURCE_UPDATE and e.consent_id in e.event_id for e in outbox.events.values())
    assert [backoff_rounds(n) for n in range(5)] == [1, 2, 4, 8, 8]


async def test_the_banks_own_fraud_feed_wins_over_the_rules() -> None:
    """A bank that sends its own fraud events asks itself: the rules raise no second question."""
    bank, outbox, memories = Bank(), Outbox(), Memories()
    rules = Rules(fraud=FraudRules(new_merchant_abroad_above=Decimal("100")))
    abroad = replace(txn("t1", "450", "ELECTRO SAO PAULO"), extra={"status": "BOOK", "bank_code": "CardPayment",
                                                                   "country": "BR"})
    bank.pages = [[abroad]]
    own_feed = StandardAlerts(bank, memories, outbox, {"bank": StandardConfig(rules, fraud_feed=True)},
                              clock=lambda: NOW)
    await routed(own_feed, update(1))
    assert [(e.event_id, e.kind) for e in outbox.events.values()] == [
        ("std:acc-1:t1:payment", AlertKind.FOREIGN_PURCHASE)]
    asked = Outbox()
    no_feed = StandardAlerts(bank, Memories(), asked, {"bank": StandardConfig(rules)}, clock=lambda: NOW)
    await routed(no_feed, update(1))
    assert [e.kind for e in asked.events.values()] == [AlertKind.SUSPECTED_FRAUD]


async def test_a_round_reads_each_consent_once_however_many_updates_it_holds(
        world: tuple[Bank, Outbox, Memories, StandardAlerts]) -> None:
    bank, outbox, _, alerts = world
    bank.pages = [[txn("t1")]]
    other = replace(update(9), consent_id="consent-2")
    await alerts.prepare([(update(1), recipient()), (update(2), recipient()), (other, recipient())])
    assert bank.reads == 4  # balances and transactions, for each of the two consents
    first, second = await alerts.on_update(update(1), recipient()), await alerts.on_update(update(2), recipient())
    assert first is not None and "derived" in first and second is not None and "read once with ru-1" in second
    await alerts.flush()
    assert list(outbox.events) == ["std:acc-1:t1:payment"]  # both consents see acc-1 here: one alert all the same
    assert await routed(alerts, update(3)) is not None and bank.reads == 6  # the next round reads again


async def test_rows_of_an_account_the_consent_does_not_show_alert_nothing(
        world: tuple[Bank, Outbox, Memories, StandardAlerts]) -> None:
    bank, outbox, memories, alerts = world
    bank.pages = [[replace(txn("x1"), account_id="acc-unknown"), txn("t1")]]
    await routed(alerts, update(1))
    assert list(outbox.events) == ["std:acc-1:t1:payment"]
    assert ("bank", "acc-unknown") not in memories.held


async def test_a_polling_round_failing_halfway_is_made_good_by_the_next() -> None:
    outbox, clock = Outbox(), [NOW]

    async def consents(tenant: str) -> list[str]:
        return ["c1", "c2", "c3"]

    async def no_wait(seconds: float) -> None:
        return None

    class Health:
        def failures(self, tenant: str) -> int:
            return 0

    class FailingSecond(Outbox):
        calls = 0

        async def accept(self, events: Sequence[BankEvent]) -> list[bool]:
            self.calls += 1
            if self.calls == 2:
                raise ConnectionError("the store is away")
            return await super().accept(events)

    outbox = FailingSecond()
    poller = AisPoller(outbox, consents, {"bank": PollSchedule(60.0, 600)}, Health(), clock=lambda: clock[0],
                       sleep=no_wait)
    with pytest.raises(ConnectionError):
        await poller.poll_round("bank")
    assert [e.consent_id for e in outbox.events.values()] == ["c1"]
    clock[0] = NOW + timedelta(minutes=1)  # the next round: every consent, c2 and c3 included
    assert await poller.poll_round("bank") == 3
    assert sorted({e.consent_id for e in outbox.events.values()}) == ["c1", "c2", "c3"]
