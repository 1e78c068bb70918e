"""The bot's own intents drive the product: they must be recognised in all three languages."""

from __future__ import annotations

import pytest

from sarraf.conversation.nlu import Nlu
from sarraf.conversation.nlu.taxonomy import BOT_INTENTS

KEY_UTTERANCES = [
    ("balance", "check_balance"),
    ("saldo", "check_balance"),
    ("رصيدي", "check_balance"),
    ("kam rasidi", "check_balance"),
    ("check my saldo", "check_balance"),
    ("كم الـ balance", "check_balance"),
    ("hi", "greeting"),
    ("cześć", "greeting"),
    ("مرحبا", "greeting"),
    ("yes", "affirm"),
    ("tak", "affirm"),
    ("نعم", "affirm"),
    ("no", "deny"),
    ("nie", "deny"),
    ("لا", "deny"),
    ("thanks", "thanks"),
    ("dzięki", "thanks"),
    ("شكرا", "thanks"),
    ("bye", "goodbye"),
    ("stop sharing my data with this chat", "revoke_consent"),
    ("przestań udostępniać moje dane temu czatowi", "revoke_consent"),
    ("توقف عن مشاركة بياناتي مع هذه المحادثة", "revoke_consent"),
    ("أوقف مشاركة بياناتي مع هذه المحادثة", "revoke_consent"),
    ("what data do you hold about me?", "my_data"),
    ("jakie dane o mnie przechowujecie?", "my_data"),
    ("ما البيانات التي تحتفظون بها عني؟", "my_data"),
    ("usuń moje dane", "delete_my_data"),
    ("احذف بياناتي", "delete_my_data"),
    ("how much did I spend on food last month", "spending_summary"),
    ("ile wydałem na jedzenie w zeszłym miesiącu", "spending_summary"),
    ("كم صرفت على الأكل الشهر الماضي", "spending_summary"),
    ("send £20 to Tom", "transfer_money"),
    ("przelej 50 zł do Ani", "transfer_money"),
    ("حول خمسين دولار لأحمد", "transfer_money"),
    ("freeze my card", "freeze_card"),
    ("zablokuj kartę", "freeze_card"),
    ("unfreeze my card", "unfreeze_card"),
    ("talk to a human", "human_agent"),
    ("delete my data", "delete_my_data"),
    ("show my recent transactions", "recent_transactions"),
    ("I am still waiting on my card", "card_arrival"),
    ("my balance did not update after the transfer", "balance_not_updated_after_bank_transfer"),
    ("what exchange rate do you use", "exchange_rate"),
    ("ktoś ukradł mi kartę", "lost_or_stolen_card"),
]


@pytest.mark.parametrize(("text", "intent"), KEY_UTTERANCES)
def test_key_utterances_are_recognised_in_scope(nlu: Nlu, text: str, intent: str) -> None:
    p = nlu.parse(text)
    assert (p.intent, p.in_scope) == (intent, True), p.ranking


def test_every_taxonomy_intent_is_a_class(nlu: Nlu) -> None:
    bot = set(BOT_INTENTS)
    assert bot <= set(nlu.intents)
    assert len(nlu.intents) == 77 + len(bot)
    assert {"Refund_not_showing_up", "reverted_card_payment?", "card_arrival"} <= set(nlu.intents)


def test_confidence_is_a_probability_and_ranking_is_sorted(nlu: Nlu) -> None:
    p = nlu.parse("what's my balance")
    scores = [s for _, s in p.ranking]
    assert 0.0 < p.confidence <= 1.0
    assert scores == sorted(scores, reverse=True)
    assert p.ranking[0] == (p.intent, p.confidence)
