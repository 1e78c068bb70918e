"""Offers on Messenger end to end over HTTP on 127.0.0.1 (the fake Graph API of tests/channels): link-only —
the platform gets a link to our secure page and the two buttons, never the offer's text —, nothing outside the
24-hour window (Messenger takes only utility templates there, and marketing is not allowed in them), and the
"Stop offers" postback revokes the scope at once."""

from __future__ import annotations

import html
import json
from typing import Any

import httpx
from sqlalchemy import select

from sarraf.i18n.replies import catalog
from sarraf.store.tables.core import channel_identities
from tests.alerts.channel_world import ChannelWorld, login_url, world_fixtures
from tests.alerts.helpers import simulate
from tests.offers.support import marketing_decisions, never_quiet, row_of

PSID = "7001"
world, http = world_fixtures("offers-messenger")


async def _customer(world: ChannelWorld) -> str:
    async with world.app.state.container.engine.connect() as conn:
        found = (await conn.execute(select(channel_identities.c.customer_id).where(
            channel_identities.c.channel == "messenger"))).scalar_one()
    return str(found)


async def _offer(world: ChannelWorld, http: httpx.AsyncClient) -> tuple[dict[str, Any], Any]:
    (issued,) = await simulate(http, world.gateway(), "offer", "sandbox-en-1")
    return issued, await row_of(world.app.state.container.engine, issued["jti"])


async def _postback(world: ChannelWorld, payload: str) -> None:
    body = {"object": "page", "entry": [{"id": "PAGE", "time": 1, "messaging": [{
        "sender": {"id": PSID}, "recipient": {"id": "PAGE"}, "timestamp": 1,
        "postback": {"mid": f"m_{world.next_id()}", "title": "tap", "payload": payload}}]}]}
    await world.meta("/channels/messenger/webhook", body)


async def test_a_link_only_offer_in_the_window_none_outside_and_the_stop_postback(
        world: ChannelWorld, http: httpx.AsyncClient) -> None:
    await world.messenger(PSID, "link my account")
    (invite,) = await world.wait_for(PSID, 0, 1)
    await world.link(login_url(invite), "sandbox-en-1")
    customer_id = await _customer(world)
    await never_quiet(world.app.state.container.engine, customer_id)
    start = len(world.sent_to(PSID))
    await world.messenger(PSID, "send me offers")
    (said,) = await world.wait_for(PSID, start, 1)
    assert "offers" in json.dumps(said.body)

    start = len(world.sent_to(PSID))
    issued, row = await _offer(world, http)
    assert row.status in ("ready", "sent"), row.last_error
    (call,) = await world.wait_for(PSID, start, 1)
    assert call.body["messaging_type"] == "UPDATE", call.body
    payload = call.body["message"]["attachment"]["payload"]
    c = catalog()
    bank = world.app.state.container.bank_names["sandbox"]
    assert payload["text"] == c.text("en", "offers_link_only", bank=bank)
    link, stop, why = payload["buttons"]
    assert link["type"] == "web_url" and link["url"].startswith(f"{world.url}/secure/")
    assert (stop["type"], stop["payload"], stop["title"]) == ("postback", "offers:stop", "Stop offers")
    assert (why["type"], why["payload"]) == ("postback", "offers:why")
    sent = json.dumps(call.body, ensure_ascii=False)
    assert issued["data"]["description"] not in sent and issued["data"]["term"] not in sent

    page = await http.get(link["url"])  # the details: on our page, decided again for bank_page
    assert page.status_code == 200
    assert issued["data"]["description"] in html.unescape(page.text)
    decided = await marketing_decisions(world.app.state.container, customer_id)
    assert decided[-2:] == [("allow", "permit-direct-marketing-offers", "messenger"),
                            ("allow", "permit-direct-marketing-offers", "bank_page")]

    await world.close_window("messenger", PSID)
    start = len(world.sent_to(PSID))
    _, row = await _offer(world, http)
    assert (row.status, row.last_error) == ("filtered", "messenger allows no marketing outside its 24-hour window")

    await _postback(world, "offers:stop")  # the one tap (it opens the window again)
    (stopped,) = await world.wait_for(PSID, start, 1)
    assert c.text("en", "offers_opted_out", bank=bank) in json.dumps(stopped.body, ensure_ascii=False)
    _, row = await _offer(world, http)
    assert row.status == "filtered" and row.last_error.startswith("denied by consent"), row.last_error
    gone = await http.get(link["url"])  # the page no longer shows an offer the customer stopped
    assert issued["data"]["description"] not in html.unescape(gone.text)
    assert c.text("en", "offers_page_gone") in html.unescape(gone.text)
