"""Web chat receipts over HTTP on 127.0.0.1: an alert handed to the page is delivered when the page fetches it,
and read when the page says it was on screen; what the page has not fetched yet is neither."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import select

from sarraf.alerts.outbound import KIND as OUT_OF_TURN
from sarraf.channels import webchat
from sarraf.store.tables.alerts import alert_outbox
from tests.alerts.conftest import AlertGateway
from tests.alerts.helpers import collect, linked_chat, simulate


async def _receipts(gateway: AlertGateway, session: str) -> list[tuple[Any, Any]]:
    async with gateway.app.state.container.engine.connect() as conn:
        t = alert_outbox.c
        rows = await conn.execute(select(t.delivered_at, t.read_at)
                                  .where(t.channel == "webchat", t.sender == webchat.address(session),
                                         t.kind != OUT_OF_TURN)  # the alerts, not the login's answer
                                  .order_by(t.id))
        return [(row.delivered_at, row.read_at) for row in rows]


async def test_fetched_is_delivered_and_shown_is_read(gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-1")
    await simulate(http, gateway, "card-payment", "sandbox-en-1", merchant="Bakery", amount="4.10")
    (alert,) = await collect(chat, 1)
    assert "Bakery" in alert["text"]
    [(delivered, read)] = await _receipts(gateway, chat.session)
    assert delivered is not None and read is None, "fetched by the page: delivered, not yet read"

    # A second alert the page has not fetched yet: the page's read receipt does not cover it.
    await simulate(http, gateway, "card-payment", "sandbox-en-1", merchant="Florist", amount="9.00")
    rows: list[tuple[Any, Any]] = []
    for _ in range(100):
        rows = await _receipts(gateway, chat.session)
        if len(rows) == 2:
            break
        await asyncio.sleep(0.05)
    said = await http.post(f"{gateway.url}/webchat/api/receipts", json={"session": chat.session, "status": "read"})
    assert said.status_code == 204
    (first, second) = await _receipts(gateway, chat.session)
    assert first[1] is not None and first[1] >= first[0], "shown after it was fetched: read"
    assert second == (None, None), "not fetched yet: neither delivered nor read"

    (later,) = await collect(chat, 1)
    assert "Florist" in later["text"]
    assert (await _receipts(gateway, chat.session))[1][0] is not None


async def test_malformed_receipts_are_refused(gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    url = f"{gateway.url}/webchat/api/receipts"
    for body in ({"session": "x", "status": "read"}, {"session": "a" * 36, "status": "delivered"}, {"status": "read"}):
        response = await http.post(url, json=body)
        assert response.status_code == 422, body
