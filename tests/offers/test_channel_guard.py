"""Last line of defence on Meta's platforms: a marketing message due after the 24-hour window closed (a retry,
a long wait) is not sent, neither as a utility template on Messenger nor as a template on WhatsApp; service
messages still are."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sarraf.alerts.offers import render_offer
from sarraf.channels.messenger import MessengerAccount, MessengerChannel
from sarraf.channels.whatsapp import WhatsAppAccount, WhatsAppChannel
from sarraf.channels.window import ServiceWindows
from sarraf.domain.disclosure import Minimisation
from sarraf.domain.events import AlertKind, BankEvent
from sarraf.domain.messages import Outbound

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


class Windows:
    def __init__(self, last: datetime | None) -> None:
        self.last = last

    async def touch(self, channel: str, account: str, customer: str, at: datetime) -> None:
        self.last = at

    async def last_inbound(self, channel: str, account: str, customer: str) -> datetime | None:
        return self.last


def _messages() -> list[Outbound]:
    offer = BankEvent("sandbox", "e1", AlertKind.OFFER, "c1", NOW, {"description": "A saver.", "term": "Terms."})
    return [*render_offer(offer, Minimisation.LINK_ONLY, "en", "Bank", "https://gw.test/secure/x"),
            Outbound("Your card payment alert is on a secure page.", "en")]


@pytest.mark.parametrize("platform", ["messenger", "whatsapp"])
@pytest.mark.parametrize("last_spoke", [timedelta(hours=1), timedelta(hours=25)])
async def test_an_offer_is_sent_only_inside_the_window(platform: str, last_spoke: timedelta) -> None:
    posted: list[dict[str, object]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content))
        return httpx.Response(200, json={"message_id": "m1", "messages": [{"id": "wamid.1"}]})

    windows = ServiceWindows(Windows(NOW - last_spoke), platform, clock=lambda: NOW)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        if platform == "messenger":
            channel: MessengerChannel | WhatsAppChannel = MessengerChannel(
                {"sandbox": MessengerAccount("sandbox", "s", "v", "t", api_url="https://graph.test")}, "sandbox",
                http, windows)
        else:
            channel = WhatsAppChannel({"sandbox": WhatsAppAccount("sandbox", "s", "v", "t", "123",
                                                                  api_url="https://graph.test")}, "sandbox", http,
                                      windows)
        await channel.deliver("sandbox:9001", _messages())
    sent = json.dumps(posted)
    assert "secure page" in sent  # the service message goes either way (a template outside the window)
    assert ("has an offer for you" in sent) is (last_spoke < timedelta(hours=24))
