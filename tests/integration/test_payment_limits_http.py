"""The bank's payment limits over HTTP on the web chat (issue #12): a first payment to a typed (unsaved) account
over the new-payee cap is refused before the bank with the cap named, in English and Polish, and the refusal is
in the audit log as a deny by `payment-limit`; the sandbox's ledger is untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from sarraf.policy.payments import LIMIT_POLICY
from sarraf.store.audit_store import open_audit_log
from sarraf.store.database import make_engine
from tests.integration.conftest import Gateway
from tests.integration.helpers import ChatClient
from tests.integration.test_payments import everyday


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def denials(gateway: Gateway) -> list[dict[str, object]]:
    engine = make_engine(gateway.settings.database_url)
    try:
        log = await open_audit_log(gateway.settings, engine)
        return [leaf for _, leaf in await log.recent(50) if LIMIT_POLICY in str(leaf)]
    finally:
        await engine.dispose()


@pytest.mark.parametrize(("customer", "ask", "answers", "said"), [
    ("sandbox-en-1", "pay £300 to GB29NWBK60161331926819", ("Everyday", "Peter Brown"),
     "A payment to a new payee (one not saved at Sarraf Sandbox Bank) can be at most £250.00 in chat."),
    ("sandbox-pl-1", "przelej 1500 zł na PL27114020040000300201355387", ("Konto osobiste", "Jan Kowalski"),
     "Przelew do nowego odbiorcy (niezapisanego w Sarraf Sandbox Bank) może na czacie wynosić najwyżej "
     "1\u00a0000,00\u00a0zł."),
])
async def test_a_new_payee_over_the_cap_never_reaches_the_bank(
        http: httpx.AsyncClient, gateway: Gateway, customer: str, ask: str, answers: tuple[str, str], said: str
) -> None:
    nickname = "Everyday" if customer.startswith("sandbox-en") else None
    before = await everyday(http, gateway, customer, nickname) if nickname else None
    audited = len(await denials(gateway))
    chat = ChatClient(http, gateway.url)
    replies = await chat.link(await chat.say(ask), customer)  # after the login, the request is taken up again
    for answer in answers:  # which of two accounts pays; whose account it is
        if any(said in r["text"] for r in replies):
            break
        replies = await chat.say(answer)
    texts = [r["text"] for r in replies]
    assert any(said in t for t in texts), texts
    assert not any((q["payload"] or "").startswith("pay:confirm:") for r in replies for q in r["quick_replies"])
    assert len(await denials(gateway)) == audited + 1
    if nickname:
        assert await everyday(http, gateway, customer, nickname) == before
