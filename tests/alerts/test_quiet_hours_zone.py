"""Quiet hours set by chatting are kept in the customer's zone (the bank's zone for their language) and the
reply names that zone the way the customer's language does — never as a raw IANA id like "Europe/London"."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from sarraf.channels import webchat
from sarraf.store.tables.alerts import alert_preferences
from sarraf.store.tables.core import channel_identities
from tests.alerts.conftest import AlertGateway
from tests.integration.helpers import ChatClient

# customer: (how they link, how they ask for quiet nights, the zone kept, how the reply names it)
CASES = {
    "sandbox-en-2": ("link my account", "no alerts at night", "Europe/London", "(United Kingdom Time)"),
    "sandbox-pl-1": ("połącz moje konto", "wyłącz powiadomienia w nocy", "Europe/Warsaw", "(czas: Polska)"),
    "sandbox-ar-1": ("اربط حسابي", "أوقف التنبيهات في الليل", "Asia/Riyadh", "(توقيت المملكة العربية السعودية)"),
}


@pytest.mark.parametrize("customer", sorted(CASES))
async def test_quiet_hours_use_the_customers_zone_and_name_it_in_their_language(
        gateway: AlertGateway, http: httpx.AsyncClient, customer: str) -> None:
    link, ask, zone, named = CASES[customer]
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say(link), customer)

    (reply,) = await chat.say(ask)

    assert "22:00" in reply["text"] and named in reply["text"], reply["text"]
    assert "/" not in reply["text"].replace("/bank", ""), reply["text"]  # no "Europe/…" id
    engine = gateway.services.container.engine
    async with engine.connect() as conn:
        customer_id = (await conn.execute(select(channel_identities.c.customer_id).where(
            channel_identities.c.sender == webchat.address(chat.session)))).scalar_one()
        stored = (await conn.execute(select(alert_preferences.c.timezone).where(
            alert_preferences.c.customer_id == customer_id))).scalar_one()
    assert stored == zone
