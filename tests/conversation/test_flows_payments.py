"""The payment flow's slot filling, questions, cancellation and confirmation, against an in-memory store with
the same compare-and-set rule as the SQL one and a bank door that counts what it is asked."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from sarraf.conversation.context import PAYMENT_CONFIRM, PAYMENT_QUESTION, Memory
from sarraf.conversation.flows.payments import PaymentsFlow
from sarraf.conversation.nlu.types import Parse
from sarraf.conversation.payment_runs import PaymentRuns
from sarraf.conversation.payment_texts import PaymentTexts
from sarraf.conversation.turn import Turn
from sarraf.domain.consent import Tokens
from sarraf.domain.disclosure import Decision, Minimisation, Outcome
from sarraf.domain.errors import BankUnavailable
from sarraf.domain.payments import (
    BankPayment,
    BankPaymentConsent,
    ExchangeQuote,
    IllegalMove,
    Payee,
    Payment,
    PaymentOrder,
    PaymentState,
    SourceAccount,
    can_move,
)
from sarraf.policy.payments import Initiated, LimitBreach, Parties, PaymentLimits, limit_breach
from sarraf.policy.point import Subject

S = PaymentState
ALLOW = Decision(Outcome.ALLOW, Minimisation.FULL, "permit-payments")
EVERYDAY = SourceAccount("en-current", "UK.OBIE.SortCodeAccountNumber", "40127631926819", "GBP", "Everyday")
RAINY = SourceAccount("en-savings", "UK.OBIE.SortCodeAccountNumber", "40127655102934", "GBP", "Rainy day")
ALICE = Payee("Alice Smith", "UK.OBIE.SortCodeAccountNumber", "40127644501733", "en-current")
ALICE_J = Payee("Alice Jones", "UK.OBIE.IBAN", "GB33BUKB20201555555555", "en-current")
KASIA = Payee("Katarzyna Nowak", "UK.OBIE.IBAN", "PL61109010140000071219812874", "pl-current")
PLN = SourceAccount("pl-current", "UK.OBIE.IBAN", "PL27114020040000300201355387", "PLN", "Konto osobiste")


class MemoryPayments:
    def __init__(self) -> None:
        self.rows: dict[str, Payment] = {}

    async def create(self, payment: Payment) -> None:
        self.rows[payment.payment_id] = payment

    async def get(self, payment_id: str) -> Payment | None:
        return self.rows.get(payment_id)

    async def by_auth_state(self, state: str) -> Payment | None:
        return next((p for p in self.rows.values() if p.auth_state == state), None)

    async def open_for(self, tenant: str, customer_id: str, now: datetime) -> Payment | None:
        open_ = [p for p in self.rows.values() if p.customer_id == customer_id and p.state in (S.DRAFT,
                 S.AWAITING_CONFIRMATION) and p.expires_at > now]
        return max(open_, key=lambda p: p.created_at) if open_ else None

    async def update(self, old: Payment, new: Payment) -> bool:
        if new.state is not old.state and not can_move(old.state, new.state):
            raise IllegalMove(f"{old.state} -> {new.state}")
        await asyncio.sleep(0)  # let a racing writer in, as a database round trip would
        stored = self.rows[old.payment_id]
        if stored.version != old.version or stored.state is not old.state:
            return False
        self.rows[old.payment_id] = new.with_(version=old.version + 1)
        return True


@dataclass
class Bank:
    """policy/payments.PaymentPoint as the flow and the runs see it, counting the bank calls."""

    accounts: tuple[SourceAccount, ...] = (EVERYDAY, RAINY)
    payees: tuple[Payee, ...] = (ALICE, ALICE_J)
    minimisation: Minimisation = Minimisation.FULL
    down: int = 0
    calls: dict[str, int] = field(default_factory=lambda: {"initiate": 0, "token": 0, "pay": 0})

    async def parties(self, subject: Subject) -> Parties:
        return Parties(Decision(Outcome.ALLOW, self.minimisation, "permit-payments"), self.accounts, self.payees)

    limits: PaymentLimits = field(default_factory=lambda: PaymentLimits(
        {"GBP": Decimal("1000"), "PLN": Decimal("5000")}, new_payee={"GBP": Decimal("250")}))
    spent_today: Decimal = Decimal(0)
    quote_expires: datetime | None = None

    async def check_limits(self, subject: Subject, amount: Decimal, currency: str, *, new_payee: bool,
                           payment_id: str) -> LimitBreach | None:
        return limit_breach(amount, currency, self.limits, new_payee=new_payee, spent_today=self.spent_today)

    async def initiate(self, subject: Subject, order: PaymentOrder, key: str, lang: str, *,
                       payment_id: str = "") -> Initiated:
        self.calls["initiate"] += 1
        breach = limit_breach(order.amount, order.currency, self.limits, new_payee=not order.payee.account_id,
                              spent_today=self.spent_today)
        if breach is not None:
            return Initiated(Decision(Outcome.DENY, None, "payment-limit"), breach=breach)
        return Initiated(ALLOW, BankPaymentConsent(f"pdc-{key[:6]}", "AWAU"), "https://bank/authorize?x", f"st-{key}",
                         "verifier")

    async def quote(self, subject: Subject, order: PaymentOrder, key: str, *, payment_id: str = "") -> Initiated:
        self.calls["quote"] = self.calls.get("quote", 0) + 1
        rate = ExchangeQuote(order.currency, Decimal("0.2310"), "Actual", self.quote_expires)
        return Initiated(ALLOW, BankPaymentConsent(f"pic-{key[:6]}", "AWAU", quote=rate))

    async def authorise(self, tenant: str, consent_id: str, lang: str) -> tuple[str, str, str]:
        self.calls["authorise"] = self.calls.get("authorise", 0) + 1
        return "https://bank/authorize?international", f"st-{consent_id}", "verifier"

    async def token(self, tenant: str, code: str, verifier: str) -> Tokens:
        self.calls["token"] += 1
        return Tokens("payment-token", None, datetime.now(UTC))

    async def pay(self, tenant: str, tokens: Tokens, consent_id: str, order: PaymentOrder, key: str) -> BankPayment:
        self.calls["pay"] += 1
        if self.down > 0:
            self.down -= 1
            raise BankUnavailable("down")
        return BankPayment(f"dp-{key[:8]}", "ACSC")

    async def status(self, tenant: str, payment_id: str, *, international: bool = False) -> BankPayment:
        return BankPayment(payment_id, "ACSC")


@pytest.fixture
def bank() -> Bank:
    return Bank()


@pytest.fixture
def flow(bank: Bank) -> tuple[PaymentsFlow, MemoryPayments]:
    repo = MemoryPayments()
    runs = PaymentRuns(bank, repo)  # type: ignore[arg-type]
    return PaymentsFlow(bank, runs, repo, PaymentTexts("http://gw/pay/start")), repo  # type: ignore[arg-type]


def turn(text: str, lang: str = "en", asked: str | None = None, channel: str = "webchat") -> Turn:
    return Turn("sandbox", "cust-1", channel, "s-1", lang, "Sarraf Sandbox Bank", text, Memory(), asked)


def parse(text: str, intent: str = "transfer_money") -> Parse:
    return Parse(text, intent, 0.9, "en")


async def say(flow: PaymentsFlow, text: str, lang: str = "en") -> list[Any]:
    t = turn(text, lang, PAYMENT_QUESTION)
    replies = await flow.continues(t, parse(text, "out_of_scope"))
    assert replies is not None, f"the flow did not take {text!r}"
    return replies


async def test_everything_in_one_message_goes_straight_to_one_confirmation(flow: Any) -> None:
    f, repo = flow
    t = turn("send £20 to Alice Smith for dinner")
    replies = await f.answer(t, "transfer_money", parse(t.text))
    text = replies[-1].text
    assert "£20.00" in text and "Alice Smith" in text and "dinner" in text and "Everyday" in text
    assert "40127644501733" not in text and "1733" in text
    assert t.memory.pending == PAYMENT_CONFIRM  # a yes / no question: see test_payment_beside_fraud
    p = next(iter(repo.rows.values()))
    assert p.state is S.AWAITING_CONFIRMATION and p.source == EVERYDAY  # Alice is saved on Everyday
    assert [q.payload for q in replies[-1].quick_replies] == [f"pay:confirm:{p.payment_id}",
                                                               f"pay:cancel:{p.payment_id}"]


async def test_two_matching_payees_are_asked_about_then_the_missing_amount(flow: Any) -> None:
    f, repo = flow
    asked = await f.answer(turn("pay Alice"), "transfer_money", parse("pay Alice"))
    assert "Alice Smith" in asked[-1].text and "Alice Jones" in asked[-1].text and "2 saved payees" in asked[-1].text
    amount_q = await say(f, "2")
    assert "How much" in amount_q[-1].text
    p = next(iter(repo.rows.values()))
    assert p.payee == ALICE_J and p.state is S.DRAFT
    source_q = await say(f, "£12.50")  # Alice Jones is on en-current, so the account is known
    assert "£12.50" in source_q[-1].text and "Alice Jones" in source_q[-1].text


async def test_a_new_iban_asks_for_the_account_when_several_then_the_holder(flow: Any, bank: Bank) -> None:
    f, _ = flow
    text = "pay £5 to GB82 WEST 1234 5698 7654 32"
    which = await f.answer(turn(text), "transfer_money", parse(text))
    assert "Everyday" in which[-1].text and "Rainy day" in which[-1].text
    asked = await say(f, "Rainy day")
    assert "name of the account holder" in asked[-1].text
    done = await say(f, "John Doe")
    assert "John Doe" in done[-1].text and "Rainy day" in done[-1].text and "7654 32" not in done[-1].text


@pytest.mark.parametrize(("text", "problem"), [
    ("send £7.319 to Alice Smith", "more decimals"),
    ("pay 50 GBP to GB82 WEST 1234 5698 7654 33", "doesn't check out"),
])
async def test_bad_amounts_and_ibans_are_told_plainly(flow: Any, text: str, problem: str) -> None:
    f, _ = flow
    replies = await f.answer(turn(text), "transfer_money", parse(text))
    assert any(problem in r.text for r in replies), [r.text for r in replies]


async def test_over_the_limit_asks_for_another_amount_before_any_confirmation(flow: Any, bank: Bank) -> None:
    f, repo = flow
    replies = await f.answer(turn("send £5000 to Alice Smith"), "transfer_money", parse("x"))
    assert any("over the £1,000.00" in r.text for r in replies)
    assert next(iter(repo.rows.values())).state is S.DRAFT and bank.calls["initiate"] == 0


async def test_polish_diminutive_and_zloty(bank: Bank) -> None:
    bank.accounts, bank.payees = (PLN,), (KASIA,)
    repo = MemoryPayments()
    f = PaymentsFlow(bank, PaymentRuns(bank, repo), repo, PaymentTexts("http://gw/pay/start"))  # type: ignore[arg-type]
    replies = await f.answer(turn("przelej 100 zł Kasi za obiad", "pl"), "transfer_money", parse("x"))
    assert "100,00" in replies[-1].text and "Katarzyna Nowak" in replies[-1].text and "obiad" in replies[-1].text


@pytest.mark.parametrize("word", ["cancel", "anuluj", "إلغاء", "no"])
async def test_cancel_at_any_question(flow: Any, word: str) -> None:
    f, repo = flow
    await f.answer(turn("pay Alice"), "transfer_money", parse("pay Alice"))
    replies = await say(f, word)
    assert next(iter(repo.rows.values())).state is S.CANCELLED
    assert replies[-1].text.startswith(("Cancelled", "Anulowano", "تم الإلغاء"))


async def test_confirm_tapped_twice_at_once_creates_one_bank_consent(flow: Any, bank: Bank) -> None:
    f, repo = flow
    await f.answer(turn("send £20 to Alice Smith"), "transfer_money", parse("x"))
    p = next(iter(repo.rows.values()))
    first, second = await asyncio.gather(f.postback(turn(""), f"pay:confirm:{p.payment_id}"),
                                         f.postback(turn(""), f"pay:confirm:{p.payment_id}"))
    assert bank.calls["initiate"] == 1
    urls = {b.url for r in (*first, *second) for b in r.buttons}
    assert len(urls) == 1 and next(iter(urls)).startswith("http://gw/pay/start/st-")


async def test_callback_replayed_pays_once(flow: Any, bank: Bank) -> None:
    f, repo = flow
    await f.answer(turn("send £20 to Alice Smith"), "transfer_money", parse("x"))
    p = next(iter(repo.rows.values()))
    await f.postback(turn(""), f"pay:confirm:{p.payment_id}")
    state = repo.rows[p.payment_id].auth_state
    runs = PaymentRuns(bank, repo)  # type: ignore[arg-type]
    steps = await asyncio.gather(*(runs.complete(state, "code-1", None) for _ in range(5)))
    assert bank.calls["pay"] == 1 and bank.calls["token"] == 1
    assert sum(1 for s in steps if s and s.moved) == 1
    assert repo.rows[p.payment_id].state is S.COMPLETED and "token" not in repo.rows[p.payment_id].extra


async def test_bank_down_at_submission_stays_submitted_and_a_retry_uses_the_same_key(flow: Any, bank: Bank) -> None:
    f, repo = flow
    await f.answer(turn("send £20 to Alice Smith"), "transfer_money", parse("x"))
    p = next(iter(repo.rows.values()))
    await f.postback(turn(""), f"pay:confirm:{p.payment_id}")
    bank.down = 2
    runs = PaymentRuns(bank, repo)  # type: ignore[arg-type]
    step = await runs.complete(repo.rows[p.payment_id].auth_state or "", "code-1", None)
    assert step is not None and step.payment.state is S.SUBMITTED and step.problem == "bank_down"
    told = await f.postback(turn(""), f"pay:confirm:{p.payment_id}")
    assert "Sent: £20.00 to Alice Smith" in told[-1].text
    assert repo.rows[p.payment_id].bank_payment_id == f"dp-{p.payment_key[:8]}"


async def test_link_only_channels_see_no_payment_detail(flow: Any, bank: Bank) -> None:
    bank.minimisation = Minimisation.LINK_ONLY
    repo = MemoryPayments()

    class Links:
        ttl_minutes = 10

        def issue(self, tenant: str, customer_id: str, view: str, start: str | None, end: str | None) -> str:
            return f"http://gw/secure/{view}-{start}"

    f = PaymentsFlow(bank, PaymentRuns(bank, repo), repo,  # type: ignore[arg-type]
                     PaymentTexts("http://gw/pay/start", Links()))
    replies = await f.answer(turn("send £20 to Alice Smith for dinner", channel="messenger"), "transfer_money",
                             parse("x"))
    last = replies[-1]
    assert last.link_only and "Alice" not in last.text and "20" not in last.text.replace("10 minutes", "")
    assert last.buttons[0].url and "/secure/payment-pay-" in last.buttons[0].url
