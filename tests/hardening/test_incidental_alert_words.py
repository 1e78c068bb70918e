"""Issue 17, finding 8: a word about alerts inside another request never changes alert preferences. Only the
words in the clause about alerts switch them, and "alerts" without what to do with them changes nothing and
says so. Through the conversation as the terminal wires it (alert flows included)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sarraf.bootstrap import Container, build
from sarraf.bootstrap_alerts import AlertParts
from sarraf.channels import terminal
from sarraf.config import load_banks, load_settings
from sarraf.conversation.flows.alerts import preference_change
from sarraf.i18n.replies import catalog
from sarraf.sandbox_bank.app import create_app as create_sandbox_bank
from sarraf.web.threaded_server import serve_in_thread

INCIDENTAL = {
    "en": ["tell me my balance, I never get alerts", "send me my transactions, not alerts",
           "show my transactions and tell me about alerts"],
    "pl": ["pokaż saldo, nie dostaję powiadomień"],
    "ar": ["كم رصيدي؟ لا تصلني تنبيهات"],
}
MEANT = {"en": "turn off balance alerts", "pl": "wyłącz powiadomienia w nocy", "ar": "لا تنبيهات بالليل"}


@pytest.mark.parametrize("text", [t for texts in INCIDENTAL.values() for t in texts])
def test_a_word_about_alerts_in_another_request_is_no_change(text: str) -> None:
    assert preference_change(text) is None


@pytest.mark.parametrize("lang", sorted(MEANT))
def test_an_instruction_about_alerts_is_still_one(lang: str) -> None:
    change = preference_change(MEANT[lang])
    assert change is not None and change.on is False


@pytest.fixture
async def wired(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Container,
                                                                                      AlertParts]]:
    monkeypatch.setenv("SARRAF_HOME", str(tmp_path))
    monkeypatch.delenv("SARRAF_DATABASE_URL", raising=False)
    settings = load_settings()
    banks = load_banks(settings.banks_file)
    with serve_in_thread(create_sandbox_bank(state_path=tmp_path / "sandbox-bank.db")) as bank_url:
        gateway = await build(settings, bank_urls={b.id: bank_url for b in banks.values() if b.embedded})
        try:
            yield gateway.web, gateway.alerts
        finally:
            await gateway.aclose()


async def test_the_conversation_leaves_preferences_alone_and_says_so(
        wired: tuple[Container, AlertParts]) -> None:
    container, alerts = wired
    tenant = next(iter(container.banks))
    for lang, texts in INCIDENTAL.items():
        for text in texts:
            inbound = terminal.inbound(f"incidental-{lang}", text)
            replies = await container.conversation.handle(tenant, inbound)
            customer = await container.customers.identify(tenant, "terminal", f"incidental-{lang}")
            prefs = await alerts.preferences.get(tenant, customer.id)
            assert not prefs.opted_in and not prefs.disabled, (text, prefs)
            assert replies and replies[0].text == catalog().text(lang, "alerts_which_way"), (text, replies)
