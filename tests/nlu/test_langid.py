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
