"""Fakes and helpers for the payments flow's tests: a bank door, an in-memory payment store, turns and parses
(shared by test_flows_payments, test_payment_limits_flow and test_payments_abroad)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sarraf.conversation.context import PAYMENT_QUESTION, Memory
from sarraf.conversation.flows.payments import PaymentsFlow
from sarraf.conversation.nlu.types import Parse
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


def turn(text: str, lang: str = "en", asked: str | None = None, channel: str = "webchat") -> Turn:
    return Turn("sandbox", "cust-1", channel, "s-1", lang, "Sarraf Sandbox Bank", text, Memory(), asked)


def parse(text: str, intent: str = "transfer_money") -> Parse:
    return Parse(text, intent, 0.9, "en")


async def say(flow: PaymentsFlow, text: str, lang: str = "en") -> list[Any]:
    t = turn(text, lang, PAYMENT_QUESTION)
    replies = await flow.continues(t, parse(text, "out_of_scope"))
    assert replies is not None, f"the flow did not take {text!r}"
    return replies
