"""A fraud alert outside the 24-hour window keeps its "Was this you?" buttons on Messenger and WhatsApp, and a
tap on one answers the question like an in-window button. End to end over HTTP on 127.0.0.1: the sandbox
bank pushes the event → gateway → the fake platform receives a template with buttons → the platform calls our
webhook with the button reply → the card is frozen at the bank.

Request shapes: see the docstrings of channels/whatsapp.py and channels/messenger.py for the pages followed
and what could not be confirmed. A tap on a WhatsApp template's quick-reply button is reported as a message of
type `button` with `button.payload`; a Messenger postback button as a `messaging_postbacks` event
(https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/buttons/
postback).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from sarraf.channels.signatures import hub_signature
from tests.alerts.channel_world import SECRET, WA_NUMBER, ChannelWorld, login_url, world_fixtures
from tests.alerts.helpers import simulate

PSID, WA_ID = "6001", "48600000007"


world, http = world_fixtures("fraud-buttons")


async def _webhook(http: httpx.AsyncClient, world: ChannelWorld, path: str, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    headers = {"X-Hub-Signature-256": hub_signature(SECRET, raw), "Content-Type": "application/json"}
    assert (await http.post(world.url + path, content=raw, headers=headers)).status_code == 200


def _messenger_postback(psid: str, title: str, payload: str) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": "PAGE", "time": 1, "messaging": [{
        "sender": {"id": psid}, "recipient": {"id": "PAGE"}, "timestamp": int(time.time() * 1000),
        "postback": {"title": title, "payload": payload, "mid": f"m_pb_{time.monotonic_ns()}"}}]}]}


def _whatsapp_button(wa_id: str, text: str, payload: str) -> dict[str, Any]:
    """A tap on a template's quick-reply button, as the Cloud API reports it."""
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "1555", "phone_number_id": WA_NUMBER},
            "contacts": [{"profile": {"name": "Customer"}, "wa_id": wa_id}],
            "messages": [{"context": {"from": "1555", "id": "wamid.template"}, "from": wa_id,
                          "id": f"wamid.btn{time.monotonic_ns()}", "timestamp": str(int(time.time())),
                          "type": "button", "button": {"text": text, "payload": payload}}]}}]}]}


async def _fraud_outside_the_window(world: ChannelWorld, http: httpx.AsyncClient, channel: str, sender: str,
                                    customer: str) -> dict[str, Any]:
    """Link and opt in on the platform, let the window close, raise a fraud alert: the one call it makes."""
    say = world.messenger if channel == "messenger" else world.whatsapp
    await say(sender, "link my account")
    (invite,) = await world.wait_for(sender, 0, 1)
    await world.link(login_url(invite), customer)
    await say(sender, "turn on alerts")
    await world.wait_for(sender, 0, 3)
    await world.close_window(channel, sender)
    start = len(world.sent_to(sender))
    await simulate(http, world.gateway(), "suspected-fraud", customer)
    (call,) = await world.wait_for(sender, start, 1)
    return call.body


async def test_messenger_utility_template_keeps_the_buttons_and_a_tap_freezes_the_card(
        world: ChannelWorld, http: httpx.AsyncClient) -> None:
    body = await _fraud_outside_the_window(world, http, "messenger", PSID, "sandbox-en-2")
    assert body["messaging_type"] == "UTILITY" and "tag" not in body, body
    template = body["message"]["template"]
    assert template["name"] == "sarraf_account_question" and template["language"] == {"code": "en_US"}
    text, buttons = template["components"]  # as Meta's utility-messages page shows the send body
    assert text["type"] == "body" and "secure page" in text["parameters"][0]["text"]
    assert buttons["type"] == "buttons" and [b["type"] for b in buttons["parameters"]] == ["POSTBACK", "POSTBACK"]
    assert set(body) == {"recipient", "messaging_type", "message"} and set(template) == {"name", "language",
                                                                                          "components"}
    yes_payload, no_payload = (b["payload"] for b in buttons["parameters"])
    assert yes_payload.startswith("alert:fraud:") and yes_payload.endswith(":yes") and no_payload.endswith(":no")

    start = len(world.sent_to(PSID))
    await _webhook(http, world, "/channels/messenger/webhook", _messenger_postback(PSID, "No", no_payload))
    calls = await world.wait_for(PSID, start, 1)
    assert len(calls) == 1, [c.body for c in calls]
    (reply,) = calls
    assert reply.body["messaging_type"] == "RESPONSE"  # the tap reopened the window: a plain reply
    assert "is now frozen" in reply.body["message"]["text"], reply.body
    assert await world.card_status("sandbox-en-2-debit") == "frozen"


async def test_whatsapp_template_quick_replies_carry_our_payload_and_a_tap_freezes_the_card(
        world: ChannelWorld, http: httpx.AsyncClient) -> None:
    body = await _fraud_outside_the_window(world, http, "whatsapp", WA_ID, "sandbox-en-1")
    assert body["type"] == "template" and "interactive" not in body, body
    template = body["template"]
    assert template["name"] == "sarraf_account_question" and template["language"] == {"code": "en_US"}
    text, yes, no = template["components"]
    assert text["type"] == "body" and "secure page" in text["parameters"][0]["text"]
    assert [(b["type"], b["sub_type"], b["index"]) for b in (yes, no)] == [("button", "quick_reply", "0"),
                                                                           ("button", "quick_reply", "1")]
    assert [p["type"] for b in (yes, no) for p in b["parameters"]] == ["payload", "payload"]
    no_payload = no["parameters"][0]["payload"]
    assert no_payload.startswith("alert:fraud:") and no_payload.endswith(":no")

    # Only what the bot sends as buttons is honoured: a forged intent in a button reply is not acted on.
    start = len(world.sent_to(WA_ID))
    await _webhook(http, world, "/channels/whatsapp/webhook", _whatsapp_button(WA_ID, "Pay", "intent:pay_all"))
    (refused,) = await world.wait_for(WA_ID, start, 1)
    assert refused.body["interactive"]["body"]["text"].startswith("Sorry, I'm not sure I understood"), refused.body
    assert await world.card_status("sandbox-en-1-debit") == "active"

    start = len(world.sent_to(WA_ID))
    await _webhook(http, world, "/channels/whatsapp/webhook", _whatsapp_button(WA_ID, "No, it wasn't me", no_payload))
    (reply,) = await world.wait_for(WA_ID, start, 1)
    assert reply.body["type"] == "text" and "is now frozen" in reply.body["text"]["body"], reply.body
    assert await world.card_status("sandbox-en-1-debit") == "frozen"
    start = len(world.sent_to(WA_ID))
    await _webhook(http, world, "/channels/whatsapp/webhook", _whatsapp_button(WA_ID, "No, it wasn't me", no_payload))
    (again,) = await world.wait_for(WA_ID, start, 1)
    assert again.body["text"]["body"].startswith("You have already answered")
