"""The fraud loop over HTTP: "Was this you?" → No freezes the card and opens a case at the bank; Yes marks it
genuine; a late answer still works; an answer from another chat of the same customer counts once; a bank that
is down while freezing is told honestly and the freeze is retried until it holds."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from sarraf.channels import webchat
from sarraf.store.tables.core import channel_identities
from tests.alerts.conftest import ADMIN, AlertGateway
from tests.alerts.helpers import collect, linked_chat, simulate
from tests.integration.helpers import ChatClient


async def _bank_state(http: httpx.AsyncClient, gw: AlertGateway) -> dict[str, Any]:
    response = await http.get(f"{gw.bank}/sarraf/v1/admin/cases", headers=ADMIN)
    assert response.status_code == 200
    return dict(response.json())


def _no_payload(alert: dict[str, Any]) -> str:
    return next(q["payload"] for q in alert["quick_replies"] if q["payload"].endswith(":no"))


async def _fraud_alert(http: httpx.AsyncClient, gw: AlertGateway, chat: ChatClient, customer: str,
                       **options: Any) -> dict[str, Any]:
    await simulate(http, gw, "suspected-fraud", customer, **options)
    (alert,) = await collect(chat, 1)
    return alert


async def test_no_freezes_the_card_and_opens_a_case_yes_marks_it_genuine(gateway: AlertGateway,
                                                                           http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-2", opt_in=False)
    alert = await _fraud_alert(http, gateway, chat, "sandbox-en-2")
    yes = next(q["payload"] for q in alert["quick_replies"] if q["payload"].endswith(":yes"))
    (reply,) = await chat.say(payload=yes)
    assert reply["text"].startswith("Thank you. The payment is marked as genuine")
    assert (await _bank_state(http, gateway))["cards"]["sandbox-en-2-debit"] == "active"

    alert = await _fraud_alert(http, gateway, chat, "sandbox-en-2")
    (reply,) = await chat.say(payload=_no_payload(alert))
    assert "is now frozen" in reply["text"] and "case case-" in reply["text"], reply
    state = await _bank_state(http, gateway)
    assert state["cards"]["sandbox-en-2-debit"] == "frozen"
    assert any(c["CardId"] == "sandbox-en-2-debit" for c in state["cases"])
    (again,) = await chat.say(payload=_no_payload(alert))
    assert again["text"].startswith("You have already answered")
    (unfrozen,) = await chat.say("unfreeze my card")
    assert unfrozen["text"].startswith("Your card ending") and "active again" in unfrozen["text"]


async def test_late_answer_after_a_reminder_on_another_chat_of_the_same_customer(
        gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-1", opt_in=False)
    alert = await _fraud_alert(http, gateway, chat, "sandbox-en-1", answer_within_s=1, card="sandbox-en-1-credit")
    reminder = await collect(chat, 1, timeout=30)  # returns when it arrives: a guard
    assert len(reminder) == 1 and reminder[0]["text"].startswith("Reminder:"), reminder
    # The same customer on a second channel identity (e.g. their phone): the answer counts there too.
    engine = gateway.services.container.engine
    other = ChatClient(http, gateway.url)
    async with engine.begin() as conn:
        customer_id = (await conn.execute(select(channel_identities.c.customer_id).where(
            channel_identities.c.sender == webchat.address(chat.session)))).scalar_one()
    await gateway.services.container.customers.bind("sandbox", "webchat", webchat.address(other.session),
                                                    customer_id)
    (reply,) = await other.say(payload=_no_payload(alert))
    assert "is now frozen" in reply["text"], reply
    assert (await _bank_state(http, gateway))["cards"]["sandbox-en-1-credit"] == "frozen"
    (late,) = await chat.say(payload=_no_payload(alert))
    assert late["text"].startswith("You have already answered")


async def test_bank_down_while_freezing_is_told_honestly_and_retried(gateway: AlertGateway,
                                                                      http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-ar-1", opt_in=False)
    alert = await _fraud_alert(http, gateway, chat, "sandbox-ar-1")
    await http.post(f"{gateway.bank}/sarraf/v1/admin/faults", headers=ADMIN, json={"card_controls_fail": 1})
    (reply,) = await chat.say(payload=_no_payload(alert))
    assert "ليست مجمّدة بعد" in reply["text"] or "NOT frozen" in reply["text"], reply
    assert (await _bank_state(http, gateway))["cards"]["sandbox-ar-1-debit"] == "active"
    later = await collect(chat, 1, timeout=30)  # returns when it arrives: a guard
    assert len(later) == 1, later
    assert (await _bank_state(http, gateway))["cards"]["sandbox-ar-1-debit"] == "frozen"


async def test_a_typed_no_answers_the_pending_question_where_there_are_no_buttons(
        gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    """Voice (Alexa) and people who type instead of tapping: "nie" answers "Was this you?" and freezes the card."""
    chat = await linked_chat(http, gateway, "sandbox-pl-1", opt_in=False)
    await _fraud_alert(http, gateway, chat, "sandbox-pl-1")
    (reply,) = await chat.say("nie")
    assert "zablokowana" in reply["text"], reply
    assert (await _bank_state(http, gateway))["cards"]["sandbox-pl-1-debit"] == "frozen"
    (plain,) = await chat.say("nie")  # nothing pending any more: an ordinary "no"
    assert "zablokowana" not in plain["text"]
    await chat.say("odblokuj moją kartę")  # the module's gateway is shared: leave the card as we found it
    assert (await _bank_state(http, gateway))["cards"]["sandbox-pl-1-debit"] == "active"
