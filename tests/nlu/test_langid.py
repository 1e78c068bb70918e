from __future__ import annotations

import pytest

from sarraf.conversation.nlu import Nlu


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("what's my balance", "en"),
        ("balance", "en"),
        ("hi", "en"),
        ("jakie mam saldo", "pl"),
        ("cześć", "pl"),
        ("czesc, ile mam na koncie", "pl"),
        ("tak", "pl"),
        ("zablokuj karte", "pl"),
        ("رصيدي", "ar"),
        ("كم الـ balance", "ar"),
        ("kam rasidi", "ar"),
        ("7awel 50 la ahmad", "ar"),
        ("shukran", "ar"),
        ("مرحبا hi", "ar"),
    ],
)
def test_language_of_message(nlu: Nlu, text: str, lang: str) -> None:
    assert nlu.parse(text).lang == lang


@pytest.mark.parametrize(
    "text",
    ["what did I spend since the 3rd", "send 50 at 5pm", "freeze my 2nd card", "my 2fa code never came",
     "3ds check failed", "is p2p free"],
)
def test_ordinals_times_and_shorthand_are_not_arabizi(nlu: Nlu, text: str) -> None:
    # a digit inside a Latin word is Arabizi's mark ("7awel"), except in these; "3rd" once answered in Arabic
    assert nlu.parse(text).lang == "en"


@pytest.mark.parametrize("text", ["przelew do 5tej", "2gi raz to samo", "od 3ciego maja", "1szy przelew"])
def test_polish_ordinals_are_not_arabizi(nlu: Nlu, text: str) -> None:
    assert nlu.parse(text).lang == "pl"


@pytest.mark.parametrize("text", ["3ayez a7awel flous", "ma3i flous", "5alas", "wa7ed"])
def test_arabizi_digit_words_still_mean_arabic(nlu: Nlu, text: str) -> None:
    assert nlu.parse(text, known_lang="en").lang == "ar"


@pytest.mark.parametrize(("word", "known"), [("card", "en"), ("limit", "en"), ("english", "en"), ("limit", "pl"),
                                             ("fraud", "en"), ("pin", "pl")])
def test_a_word_every_language_types_keeps_the_conversations_language(nlu: Nlu, word: str, known: str) -> None:
    assert nlu.parse(word, known_lang=known).lang == known


@pytest.mark.parametrize(
    ("text", "known", "lang"),
    [
        ("what's my balance", "pl", "en"),
        ("I want to see my last transactions please", "ar", "en"),
        ("jakie mam saldo na koncie", "en", "pl"),
        ("pokaz mi ostatnie transakcje", "ar", "pl"),
        ("kam rasidi", "en", "ar"),
        ("رصيدي", "pl", "ar"),
    ],
)
def test_a_clear_message_in_another_language_switches(nlu: Nlu, text: str, known: str, lang: str) -> None:
    assert nlu.parse(text, known_lang=known).lang == lang
