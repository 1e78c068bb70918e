"""Payments abroad in the chat (issue #12): "send 300 zł to my sister in Germany" reaches the saved payee there;
the confirmation shows the bank's rate, what the payee receives and until when the rate holds; a yes after the
quote expired pays nothing and shows a fresh quote instead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sarraf.conversation.flows.payments import PaymentsFlow
from sarraf.conversation.payment_abroad import country_of, names_country, payees_in_named_country, transfer_currency
from sarraf.conversation.payment_runs import PaymentRuns
from sarraf.conversation.payment_texts import PaymentTexts
from sarraf.domain.payments import Payee, PaymentState
from tests.conversation.payment_fakes import KASIA, PLN, Bank, MemoryPayments, parse, turn

S = PaymentState
MAGDA = Payee("Magdalena Kowalska", "UK.OBIE.IBAN", "DE89370400440532013000", "pl-current")
OMAR = Payee("عمر الحداد", "UK.OBIE.IBAN", "AE070331234567890123456", "ar-current")
MARIE = Payee("Marie Dubois", "UK.OBIE.IBAN", "FR1420041010050500013M02606", "en-current")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def abroad_flow(clock: Clock) -> tuple[PaymentsFlow, MemoryPayments, Bank]:
    bank = Bank(accounts=(PLN,), payees=(KASIA, MAGDA))
    bank.quote_expires = clock.now + timedelta(minutes=10)
    repo = MemoryPayments()
    runs = PaymentRuns(bank, repo, clock)  # type: ignore[arg-type]
    return PaymentsFlow(bank, runs, repo, PaymentTexts("http://gw/pay/start"), clock), repo, bank  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "lang"), [("send 300 zł to my sister in Germany", "en"),
                                            ("wyślij 300 zł siostrze w Niemczech", "pl"),
                                            ("حول ٣٠٠ زلوتي لأختي في ألمانيا", "ar")])
def test_a_country_named_finds_the_one_payee_there(text: str, lang: str) -> None:
    assert payees_in_named_country(text, [KASIA, MAGDA, OMAR], "PL") == [MAGDA, OMAR][:1]


def test_countries_and_currencies_of_payees() -> None:
    assert names_country("przelej do Francji", "FR") and names_country("أرسل إلى أخي في الإمارات", "AE")
    assert not names_country("send £20 to Alice for dinner", "FR")
    assert country_of("UK.OBIE.SortCodeAccountNumber", "40127644501733") == "GB"
    assert transfer_currency(MAGDA) == "EUR" and transfer_currency(OMAR) == "USD"  # no AED in the rate table


@given(st.text(max_size=60))
def test_the_home_country_is_never_abroad(text: str) -> None:
    assert payees_in_named_country(text, [KASIA], "PL") == []


async def test_the_confirmation_shows_rate_receipt_and_expiry_then_sends_to_authorise() -> None:
    clock = Clock()
    f, repo, bank = abroad_flow(clock)
    replies = await f.answer(turn("send 300 zł to my sister in Germany"), "transfer_money", parse("x"))
    text = replies[-1].text
    assert "Magdalena Kowalska" in text and "1 PLN = 0.2310 EUR" in text and "receives €69.30" in text, text
    assert "until 18:10 UTC" in text and "fee: none" in text, text
    labels = [line.label for line in replies[-1].cards[0].lines]
    assert labels[-3:] == ["Exchange rate", "Payee receives", "Rate holds until"]
    p = next(iter(repo.rows.values()))
    assert p.state is S.AWAITING_CONFIRMATION and p.consent_id and p.extra["transfer"] == "EUR"
    (authorise,) = await f.postback(turn(""), f"pay:confirm:{p.payment_id}")
    assert authorise.buttons and bank.calls["authorise"] == 1 and bank.calls["initiate"] == 0
    assert repo.rows[p.payment_id].state is S.AUTHORISING


async def test_a_yes_after_the_quote_expired_pays_nothing_and_shows_a_fresh_quote_in_polish() -> None:
    clock = Clock()
    f, repo, bank = abroad_flow(clock)
    await f.answer(turn("wyślij 300 zł siostrze w Niemczech", "pl"), "transfer_money", parse("x"))
    p = next(iter(repo.rows.values()))
    first_consent = p.consent_id
    clock.now += timedelta(minutes=11)
    bank.quote_expires = clock.now + timedelta(minutes=10)
    expired, fresh = await f.postback(turn("", "pl"), f"pay:confirm:{p.payment_id}")
    assert expired.text.startswith("Podany kurs wymiany już nie obowiązuje"), expired.text
    assert "Kurs obowiązuje do 18:21 UTC" in fresh.text, fresh.text
    again = repo.rows[p.payment_id]
    assert again.state is S.AWAITING_CONFIRMATION and again.consent_id != first_consent
    assert again.consent_key != p.consent_key and bank.calls.get("authorise", 0) == 0 and bank.calls["quote"] == 2
