"""The help text ("what can you do?") promises only what the channel asking can do: for every capability it
names, an example request is answered by that capability (or by the login it needs first), never with "I
can't do that in chat yet" or "I didn't understand". Checked in three languages on both wirings: the
gateway's (web chat here; Messenger, WhatsApp, Telegram and Alexa share its conversation) and the
terminal's (`sarraf say`, built in-process exactly as the CLI builds it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from sarraf.bootstrap import build
from sarraf.channels import terminal
from sarraf.config import load_banks, load_settings
from sarraf.i18n.replies import catalog
from sarraf.sandbox_bank.app import create_app as create_sandbox_bank
from sarraf.web.threaded_server import serve_in_thread
from tests.integration.conftest import Gateway
from tests.integration.helpers import ChatClient

BANK = {"en": "Sarraf Sandbox Bank", "pl": "Sarraf Sandbox Bank", "ar": "بنك صرّاف التجريبي"}  # banks.yaml
LANGS = ("en", "pl", "ar")
HELP = {"en": "what can you do?", "pl": "co potrafisz?", "ar": "ماذا تستطيع أن تفعل؟"}
# capability: (words by which a help text names it, an example request), per language
CAPABILITIES: dict[str, dict[str, tuple[str, str]]] = {
    "balance": {"en": ("balance", "what's my balance?"), "pl": ("saldo", "ile mam na koncie?"),
                "ar": ("رصيد", "كم رصيدي؟")},
    "transactions": {"en": ("recent transactions", "show my recent transactions"),
                     "pl": ("ostatnie transakcje", "pokaż ostatnie transakcje"),
                     "ar": ("آخر المعاملات", "اعرض آخر المعاملات")},
    "spending": {"en": ("how much you spent", "how much did I spend this month?"),
                 "pl": ("ile wydałeś", "ile wydałem w tym miesiącu?"), "ar": ("بكم صرفت", "كم صرفت هذا الشهر؟")},
    "alerts": {"en": ("alerts", "turn on alerts"), "pl": ("powiadomienia", "włącz powiadomienia"),
               "ar": ("التنبيهات", "فعّل التنبيهات")},
    "cards": {"en": ("freeze", "freeze my card"), "pl": ("zablokować", "zablokuj kartę"),
              "ar": ("تجميد", "جمّد بطاقتي")},
    "my_data": {"en": ("what I hold", "what data do you hold about me?"),
                "pl": ("przechowuję", "jakie dane o mnie przechowujesz?"),
                "ar": ("أحتفظ", "ما البيانات التي تحتفظ بها عني؟")},
    "link": {"en": ("link or unlink", "link my bank account"), "pl": ("połączyć lub odłączyć", "połącz konto"),
             "ar": ("ربط حسابك", "اربط حسابي البنكي")},
}
BROKEN_PROMISES = ("not_available", "rephrase", "service_question")

Say = Callable[[str], Awaitable[str]]


def broken(lang: str) -> set[str]:
    return {catalog().text(lang, key, bank=BANK[lang]) for key in BROKEN_PROMISES}


async def check_promises(say: Say, lang: str) -> set[str]:
    """The capabilities the help text names, each checked with its example; returns their names."""
    help_text = await say(HELP[lang])
    assert help_text in (catalog().text(lang, "help"), catalog().text(lang, "help_basic"))
    named = {name for name, by_lang in CAPABILITIES.items() if by_lang[lang][0] in help_text}
    for name in named:
        answer = await say(CAPABILITIES[name][lang][1])
        assert answer not in broken(lang), (lang, name, answer)
    return named


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest.mark.parametrize("lang", LANGS)
async def test_the_gateways_help_promises_what_its_channels_do(gateway: Gateway, http: httpx.AsyncClient,
                                                               lang: str) -> None:
    chat = ChatClient(http, gateway.url)

    async def say(text: str) -> str:
        return str((await chat.say(text))[0]["text"])

    assert await check_promises(say, lang) == set(CAPABILITIES)  # alerts and cards run on the gateway


@pytest.mark.parametrize("lang", LANGS)
async def test_the_terminals_help_promises_what_the_terminal_does(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  lang: str) -> None:
    monkeypatch.setenv("SARRAF_HOME", str(tmp_path))
    monkeypatch.delenv("SARRAF_DATABASE_URL", raising=False)
    settings = load_settings()
    banks = load_banks(settings.banks_file)
    with serve_in_thread(create_sandbox_bank(state_path=tmp_path / "sandbox-bank.db")) as bank_url:
        # as the terminal's gateway was built before alerts were part of it: the promises of a gateway without them
        gateway = await build(settings, bank_urls={b.id: bank_url for b in banks.values() if b.embedded},
                              chat_alerts=False)
        tenant = next(iter(banks))
        try:
            async def say(text: str) -> str:
                replies = await gateway.conversation.handle(tenant, terminal.inbound("sandbox-en-1", text))
                return replies[0].text

            named = await check_promises(say, lang)
        finally:
            await gateway.aclose()
    assert {"balance", "transactions", "spending", "my_data", "link"} <= named
