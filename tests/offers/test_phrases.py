"""The offers phrase table (conversation/flows/offers.py): the brief's phrasings and their everyday variants in
en/pl/ar are recognised, and ordinary banking questions and alert settings are left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from sarraf.conversation.flows.alerts import preference_change
from sarraf.conversation.flows.offers import offers_wish

IN = ["send me offers", "Send me offers!", "I want offers", "I'd like to get your offers", "turn on offers",
      "opt in to offers", "sign me up for offers", "chcę dostawać oferty", "chce dostawac oferty",
      "Chcę oferty", "wysyłaj mi oferty", "włącz oferty", "أرسل لي العروض", "ارسل لي العروض", "أريد العروض",
      "أريد تلقي العروض", "فعّل العروض"]
OUT = ["stop offers", "Stop offers.", "no more offers", "stop sending me offers", "unsubscribe me from offers",
       "I don't want offers", "I do not want any offers", "opt out of offers", "turn off offers",
       "nie chcę ofert", "Nie chce ofert", "nie wysyłaj mi ofert", "wyłącz oferty", "bez ofert",
       "koniec z ofertami", "أوقف العروض", "اوقف العروض", "إيقاف العروض", "لا أريد العروض", "لا ترسل لي العروض"]
WHY = ["why am I seeing this?", "Why am I getting this offer?", "why do I get these offers", "dlaczego to widzę?",
       "Dlaczego dostaję oferty?", "لماذا أرى هذا؟", "لماذا وصلني هذا العرض"]
OTHER = ["what's my balance", "show me my transactions", "send me my statement", "stop", "turn off alerts",
         "stop shopping alerts", "ile wydałem w tym miesiącu", "pokaż saldo", "أوقف التنبيهات", "كم رصيدي",
         "I want to send money to Alice", "why was my card declined?", "offer letter for my mortgage?",
         "what offers do other banks have", "dlaczego karta nie działa", "لماذا رفضت بطاقتي",
         "Why did I get charged extra?", "Why am I seeing a direct debit thats not mine?"]


@pytest.mark.parametrize("text", IN)
def test_opting_in(text: str) -> None:
    assert offers_wish(text) == "in"


@pytest.mark.parametrize("text", OUT)
def test_opting_out(text: str) -> None:
    assert offers_wish(text) == "out"


@pytest.mark.parametrize("text", WHY)
def test_asking_why(text: str) -> None:
    assert offers_wish(text) == "why"


@pytest.mark.parametrize("text", OTHER)
def test_everything_else_is_not_about_offers(text: str) -> None:
    assert offers_wish(text) is None


@pytest.mark.parametrize("text", IN + OUT + WHY)
def test_the_alert_settings_parser_runs_first_and_leaves_offers_alone(text: str) -> None:
    assert preference_change(text) is None


def test_no_banking_question_of_the_nlu_data_is_taken_for_offers() -> None:
    """Every customer utterance the NLU is trained and evaluated on (BANKING77 and its Arabic and Polish
    counterparts, ~40,000 lines) goes the usual way: the phrase table sees them before the NLU does."""
    data = Path(__file__).resolve().parents[2] / "data"
    lines = [line.split(",")[0] if path.suffix == ".csv" else line
             for path in data.rglob("*") if path.suffix in (".csv", ".txt", ".tsv", ".jsonl")
             for line in path.read_text(encoding="utf-8", errors="ignore").splitlines()]
    assert len(lines) > 30_000
    assert [line for line in lines if offers_wish(line[:300])] == []
