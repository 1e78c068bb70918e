"""Per-bank payment limits (issue #12): single payment, the day's total, a payee the bank has not saved.

`limit_breach` is pure (property-tested against the rule it states); PaymentPoint is tested with fakes for
its ports: an over-limit payment is audited as a deny and never reaches the bank's connector."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from sarraf.domain.consent import BankLink, ConsentStatus, Tokens
from sarraf.domain.disclosure import Decision, DisclosureRequest, Outcome
from sarraf.domain.payments import BankPaymentConsent, Payee, PaymentOrder, SourceAccount
from sarraf.policy.consent_grant import ConsentGrant
from sarraf.policy.payments import (
    LIMIT_POLICY,
    Breach,
    LimitBreach,
    PaymentLimits,
    PaymentPoint,
    limit_breach,
)
from sarraf.policy.point import Subject

LIMITS = PaymentLimits(single={"GBP": Decimal("1000.00")}, daily={"GBP": Decimal("2500.00")},
                       new_payee={"GBP": Decimal("250.00")})
pennies = st.integers(min_value=1, max_value=400_000).map(lambda n: Decimal(n).scaleb(-2))


@given(amount=pennies, spent=st.integers(min_value=0, max_value=400_000).map(lambda n: Decimal(n).scaleb(-2)),
       new_payee=st.booleans())
def test_a_payment_passes_exactly_when_it_keeps_every_limit(amount: Decimal, spent: Decimal, new_payee: bool) -> None:
    breach = limit_breach(amount, "GBP", LIMITS, new_payee=new_payee, spent_today=spent)
    keeps = amount <= 1000 and (not new_payee or amount <= 250) and spent + amount <= 2500
    assert (breach is None) == keeps
    if breach is not None and breach.kind is Breach.DAILY:
        assert breach.left == max(Decimal("2500.00") - spent, Decimal(0)) and breach.limit == Decimal("2500.00")


def test_which_limit_is_named() -> None:
    assert limit_breach(Decimal("1000.01"), "GBP", LIMITS, new_payee=True, spent_today=Decimal(0)) == LimitBreach(
        Breach.SINGLE, Decimal("1000.00"), "GBP")
    assert limit_breach(Decimal("250.01"), "GBP", LIMITS, new_payee=True, spent_today=Decimal(0)) == LimitBreach(
        Breach.NEW_PAYEE, Decimal("250.00"), "GBP")
    assert limit_breach(Decimal("250.01"), "GBP", LIMITS, new_payee=False, spent_today=Decimal(0)) is None
    assert limit_breach(Decimal("600"), "GBP", LIMITS, new_payee=False, spent_today=Decimal("2000")) == LimitBreach(
        Breach.DAILY, Decimal("2500.00"), "GBP", Decimal("500.00"))
    assert limit_breach(Decimal("1"), "PLN", LIMITS, new_payee=False, spent_today=Decimal(0)) == LimitBreach(
        Breach.CURRENCY, Decimal(0), "PLN")
    assert limit_breach(Decimal("9"), "GBP", PaymentLimits({"GBP": Decimal("10")}), new_payee=True,
                        spent_today=Decimal("10000")) is None  # no daily / new-payee limit set: only the single one


@dataclass
class Fakes:
    audited: list[tuple[DisclosureRequest, Decision]] = field(default_factory=list)
    consents: int = 0
    committed: int = 0  # minor units already confirmed today
    asked_since: list[datetime] = field(default_factory=list)

    def decide(self, request: DisclosureRequest, grant: ConsentGrant) -> Decision:
        return Decision(Outcome.ALLOW, None, "permit-payments")

    async def record(self, request: DisclosureRequest, decision: Decision) -> None:
        self.audited.append((request, decision))

    async def get(self, tenant: str, customer_id: str, *, unseal: bool = True) -> BankLink:
        return BankLink(tenant, customer_id, "aac-1", ConsentStatus.AUTHORISED, ("ReadAccountsDetail",), None,
                        Tokens("t", None, datetime.now(UTC)))

    async def committed_since(self, tenant: str, customer_id: str, currency: str, since: datetime,
                              exclude: str) -> int:
        self.asked_since.append(since)
        return self.committed

    async def create_payment_consent(self, order: PaymentOrder, key: str) -> BankPaymentConsent:
        self.consents += 1
        return BankPaymentConsent("pdc-1", "AWAU")

    async def payment_authorisation(self, consent_id: str, redirect_uri: str, lang: str) -> tuple[str, str, str]:
        return "https://bank/sca", "state", "verifier"


NOON = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
SUBJECT = Subject("sandbox", "cust-1", "webchat")
SOURCE = SourceAccount("acc-1", "UK.OBIE.SortCodeAccountNumber", "40127612345678", "GBP", "Everyday")


def point(f: Fakes) -> PaymentPoint:
    return PaymentPoint(f, f, f, {"sandbox": f}, {"sandbox": LIMITS}, "http://gw/pay/callback",  # type: ignore[arg-type]
                        totals=f, clock=lambda: NOON)


def order(amount: str, saved: bool) -> PaymentOrder:
    payee = Payee("Alice Smith", "UK.OBIE.SortCodeAccountNumber", "40127644501733", "acc-1" if saved else "")
    return PaymentOrder("pay1", Decimal(amount), "GBP", payee, SOURCE, None)


async def test_over_the_daily_limit_is_audited_and_never_reaches_the_bank() -> None:
    f = Fakes(committed=200_000)  # £2,000 already confirmed today
    started = await point(f).initiate(SUBJECT, order("600.00", saved=True), "key-1", "en", payment_id="pay-1")
    assert not started.decision.allowed and started.decision.policy_id == LIMIT_POLICY
    assert started.breach == LimitBreach(Breach.DAILY, Decimal("2500.00"), "GBP", Decimal("500.00"))
    assert f.consents == 0
    (request, decision), = f.audited
    assert decision.outcome is Outcome.DENY and "daily limit 2500.00" in decision.reason
    assert request.categories == ("user.financial.bank_account.payments",)
    assert f.asked_since == [datetime(2026, 12, 5, tzinfo=UTC)]  # the day's total starts at UTC midnight


async def test_a_new_payee_is_capped_but_a_saved_one_is_not() -> None:
    f = Fakes()
    refused = await point(f).initiate(SUBJECT, order("300.00", saved=False), "key-1", "en", payment_id="pay-1")
    assert refused.breach is not None and refused.breach.kind is Breach.NEW_PAYEE and f.consents == 0
    allowed = await point(f).initiate(SUBJECT, order("300.00", saved=True), "key-2", "en", payment_id="pay-2")
    assert allowed.decision.allowed and allowed.url == "https://bank/sca" and f.consents == 1
    assert [d.outcome for _, d in f.audited] == [Outcome.DENY, Outcome.ALLOW]


async def test_the_chat_check_before_the_confirmation_audits_a_breach_only() -> None:
    f = Fakes()
    p = point(f)
    assert await p.check_limits(SUBJECT, Decimal("20"), "GBP", new_payee=True, payment_id="pay-1") is None
    assert not f.audited
    breach = await p.check_limits(SUBJECT, Decimal("1500"), "GBP", new_payee=False, payment_id="pay-1")
    assert breach == LimitBreach(Breach.SINGLE, Decimal("1000.00"), "GBP")
    (_, decision), = f.audited
    assert decision.outcome is Outcome.DENY and decision.policy_id == LIMIT_POLICY
