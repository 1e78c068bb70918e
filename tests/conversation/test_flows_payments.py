"""The payment flow's slot filling, questions, cancellation and confirmation, against an in-memory store with
the same compare-and-set rule as the SQL one and a bank door that counts what it is asked."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sarraf.conversation.context import PAYMENT_CONFIRM
from sarraf.conversation.flows.payments import PaymentsFlow
from sarraf.conversation.payment_runs import PaymentRuns
from sarraf.conversation.payment_texts import PaymentTexts
from sarraf.domain.disclosure import Minimisation
from tests.conversation.payment_fakes import (
    ALICE_J,
    EVERYDAY,
    KASIA,
    PLN,
    Bank,
    MemoryPayments,
    S,
    parse,
    say,
    turn,
)


@pytest.fixture
def bank() -> Bank:
    return Bank()


@pytest.fixture
def flow(bank: Bank) -> tuple[PaymentsFlow, MemoryPayments]:
    repo = MemoryPayments()
    runs = PaymentRuns(bank, repo)  # type: ignore[arg-type]
    return PaymentsFlow(bank, runs, repo, PaymentTexts("http://gw/pay/start")), repo  # type: ignore[arg-type]




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
