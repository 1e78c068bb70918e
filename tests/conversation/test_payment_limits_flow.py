"""The bank's payment limits in the chat (issue #12): told with the limit in the customer's language before any
confirmation, and named again when the limit is met only at the confirmation (another payment went first)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sarraf.conversation.flows.payments import PaymentsFlow
from sarraf.conversation.payment_runs import PaymentRuns
from sarraf.conversation.payment_texts import PaymentTexts
from sarraf.domain.payments import PaymentState
from sarraf.policy.payments import PaymentLimits
from tests.conversation.payment_fakes import EVERYDAY, KASIA, PLN, Bank, MemoryPayments, parse, say, turn

S = PaymentState


def flow_for(bank: Bank) -> tuple[PaymentsFlow, MemoryPayments]:
    repo = MemoryPayments()
    return PaymentsFlow(bank, PaymentRuns(bank, repo), repo, PaymentTexts("http://gw/pay/start")), repo  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "lang", "said"), [
    ("pay £300 to GB29NWBK60161331926819", "en", "A payment to a new payee (one not saved at Sarraf Sandbox Bank)"
                                                 " can be at most £250.00"),
    ("przelej 300 GBP na GB29NWBK60161331926819", "pl", "Przelew do nowego odbiorcy"),
    ("حول ٣٠٠ GBP إلى GB29NWBK60161331926819", "ar", "الدفعة إلى مستفيد جديد"),
])
async def test_a_new_payee_over_the_cap_is_asked_for_another_amount(text: str, lang: str, said: str) -> None:
    bank = Bank(accounts=(EVERYDAY,))
    f, repo = flow_for(bank)
    await f.answer(turn(text, lang), "transfer_money", parse(text))  # a typed account: whose is it?
    replies = await say(f, "Jan Kowalski", lang)
    assert any(said in r.text for r in replies), [r.text for r in replies]
    p = next(iter(repo.rows.values()))
    assert p.state is S.DRAFT and p.asking == "amount" and bank.calls["initiate"] == 0


async def test_the_daily_limit_names_what_is_left_today_in_polish() -> None:
    bank = Bank(accounts=(PLN,), payees=(KASIA,))
    bank.limits = PaymentLimits({"PLN": Decimal("5000")}, daily={"PLN": Decimal("12000")})
    bank.spent_today = Decimal("9000")
    f, _ = flow_for(bank)
    replies = await f.answer(turn("przelej 4000 zł Kasi", "pl"), "transfer_money", parse("x"))
    text = " ".join(r.text for r in replies)
    assert "dzienny limit 12\u00a0000,00\u00a0zł" in text and "jeszcze 3\u00a0000,00\u00a0zł" in text, text


async def test_a_limit_met_only_at_the_confirmation_is_named_and_nothing_is_sent() -> None:
    bank = Bank()
    bank.limits = PaymentLimits({"GBP": Decimal("1000")}, daily={"GBP": Decimal("2500")})
    f, repo = flow_for(bank)
    await f.answer(turn("send £600 to Alice Smith"), "transfer_money", parse("x"))
    p = next(iter(repo.rows.values()))
    assert p.state is S.AWAITING_CONFIRMATION
    bank.spent_today = Decimal("2000")  # another payment, on another channel, was confirmed meanwhile
    (reply,) = await f.postback(turn(""), f"pay:confirm:{p.payment_id}")
    assert reply.text.startswith("Not sent: that would take today's payments in chat over the daily limit of "
                                 "£2,500.00 (£500.00 left today)"), reply.text
    assert repo.rows[p.payment_id].state is S.REJECTED and bank.calls["pay"] == 0
