"""A typed "yes" / "no" while a payment's question and a fraud alert's "Was this you?" are both open (issue #12).

Next to the payment's "confirm?" it answers neither (it must never send money nor clear a fraudulent card
payment); next to a payment question a yes does not answer ("how much?") it is the fraud question's, answered
by the alerts, and the payment's question stays open for the amount that follows."""

from __future__ import annotations

import httpx

from tests.alerts.conftest import ADMIN, AlertGateway
from tests.alerts.helpers import collect, linked_chat, simulate


async def test_yes_beside_payment_confirmation_pays_nothing_and_clears_nothing(
        gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-1")
    summary = await chat.say("send £7.31 to Alice Smith for dinner")
    assert any(q["payload"].startswith("pay:confirm:") for q in summary[-1]["quick_replies"]), summary
    await simulate(http, gateway, "suspected-fraud", "sandbox-en-1")
    (alert,) = await collect(chat, 1)
    assert alert["text"].endswith("Was this you?")

    (reply,) = await chat.say("yes")

    assert reply["text"].startswith("Two of my questions are waiting"), reply["text"]
    assert not reply["buttons"]  # no bank authorisation was started
    yes = next(q["payload"] for q in alert["quick_replies"] if q["payload"].endswith(":yes"))
    (genuine,) = await chat.say(payload=yes)  # the fraud question is still open, answered by its button
    assert genuine["text"].startswith("Thank you. The payment is marked as genuine"), genuine["text"]
    state = (await http.get(f"{gateway.bank}/sarraf/v1/admin/cases", headers=ADMIN)).json()
    assert state["cards"]["sandbox-en-1-debit"] != "frozen"
    confirm = next(q["payload"] for q in summary[-1]["quick_replies"] if q["payload"].startswith("pay:confirm:"))
    authorise = await chat.say(payload=confirm)  # the payment waited for its own button
    assert any("/pay/start/" in (b["url"] or "") for r in authorise for b in r["buttons"]), authorise


async def test_no_beside_a_payment_amount_question_is_the_fraud_answer(
        gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-1")
    asked = await chat.say("send money to Alice Smith")
    assert any(q["payload"].startswith("pay:cancel:") for q in asked[-1]["quick_replies"]), asked
    await simulate(http, gateway, "suspected-fraud", "sandbox-en-1")
    (alert,) = await collect(chat, 1)
    assert alert["text"].endswith("Was this you?")

    replies = await chat.say("no")

    assert any("is now frozen" in r["text"] for r in replies), replies  # the fraud question's owner answered
    assert not any("Cancelled" in r["text"] for r in replies), replies  # and the payment was not cancelled
    state = (await http.get(f"{gateway.bank}/sarraf/v1/admin/cases", headers=ADMIN)).json()
    assert state["cards"]["sandbox-en-1-debit"] == "frozen"
    summary = await chat.say("£4.20")  # the payment's "how much?" is still open
    assert "£4.20" in summary[-1]["text"] and "Alice Smith" in summary[-1]["text"], summary
