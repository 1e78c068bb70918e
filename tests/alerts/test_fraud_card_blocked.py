"""Fraud "No" when the bank declines the freeze because the card is already blocked as lost: the customer is
told the truth (blocked, unusable, case opened) in their language, never that the bank could not be reached."""

from __future__ import annotations

import httpx
import pytest

from tests.alerts.conftest import ADMIN, AlertGateway
from tests.alerts.helpers import collect, simulate
from tests.integration.helpers import ChatClient

# customer: (how they ask to link, what they must be told, what they must not be told)
TOLD = {
    "sandbox-en-1": ("link my account", "was already blocked at", "could not reach"),
    "sandbox-pl-1": ("połącz moje konto", "była już zablokowana", "Nie udało mi się połączyć"),
    "sandbox-ar-1": ("اربط حسابي", "محظورة مسبقًا", "لم أتمكن من الوصول"),
}


@pytest.mark.parametrize("customer", sorted(TOLD))
async def test_no_on_a_card_already_blocked_as_lost_says_so_and_opens_the_case(
        gateway: AlertGateway, http: httpx.AsyncClient, customer: str) -> None:
    card = f"{customer}-debit"
    ask, said, never = TOLD[customer]
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say(ask), customer)  # in the customer's language: alerts speak it
    await chat.updates()
    gateway.sandbox.state.cards.act(customer, card, "report-lost")  # the customer reported it lost at the bank
    await simulate(http, gateway, "suspected-fraud", customer, card=card)
    (alert,) = await collect(chat, 1)
    no = next(q["payload"] for q in alert["quick_replies"] if q["payload"].endswith(":no"))

    (reply,) = await chat.say(payload=no)

    assert said in reply["text"] and never not in reply["text"], reply["text"]
    state = (await http.get(f"{gateway.bank}/sarraf/v1/admin/cases", headers=ADMIN)).json()
    assert state["cards"][card] == "blocked"
    case = next(c for c in state["cases"] if c["CardId"] == card)
    assert case["CaseId"] in reply["text"]
    assert not await collect(chat, 0, settle=0.2)  # no retry, no later "could not freeze" message
