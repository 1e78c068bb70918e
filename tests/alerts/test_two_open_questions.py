"""A typed "yes" while both "Erase now?" and a fraud alert's "Was this you?" are open answers neither: it
could erase the customer's data or clear a fraudulent payment. The customer is asked to use the buttons."""

from __future__ import annotations

import httpx

from tests.alerts.conftest import ADMIN, AlertGateway
from tests.alerts.helpers import collect, linked_chat, simulate


async def test_yes_with_two_questions_open_changes_nothing(gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-1", opt_in=False)
    (asked,) = await chat.say("delete my data")
    assert asked["text"].endswith("Erase now?")
    await simulate(http, gateway, "suspected-fraud", "sandbox-en-1")
    (alert,) = await collect(chat, 1)
    assert alert["text"].endswith("Was this you?")

    (reply,) = await chat.say("yes")

    assert reply["text"].startswith("Two of my questions are waiting"), reply["text"]
    (balance,) = await chat.say("what's my balance?")  # still linked: nothing was erased
    assert balance["text"].startswith("Your balances at")
    no = next(q["payload"] for q in alert["quick_replies"] if q["payload"].endswith(":no"))
    (frozen,) = await chat.say(payload=no)  # and the fraud question is still open, answered by its button
    assert "is now frozen" in frozen["text"], frozen["text"]
    state = (await http.get(f"{gateway.bank}/sarraf/v1/admin/cases", headers=ADMIN)).json()
    assert state["cards"]["sandbox-en-1-debit"] == "frozen"
