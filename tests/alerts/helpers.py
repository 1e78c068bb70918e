"""Drive alerts end to end: make the sandbox emit, wait for what the web chat receives."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.alerts.conftest import ADMIN, AlertGateway
from tests.integration.helpers import ChatClient


async def simulate(http: httpx.AsyncClient, gw: AlertGateway, event: str, customer: str,
                   **options: Any) -> list[dict[str, Any]]:
    """Ask the sandbox for an event; waits until the gateway's subscription exists so the push lands (not when
    the event is only queued for polling: `push=False`, or a bank the gateway does not subscribe at)."""
    wait_for_push = options.pop("wait_for_push", options.get("push", True))
    deadline = time.monotonic() + 60  # a guard: returns as soon as the push is set up
    while True:
        response = await http.post(f"{gw.bank}/sarraf/v1/admin/simulate", headers=ADMIN,
                                   json={"event": event, "customer": customer, **options})
        assert response.status_code == 200, response.text
        issued = list(response.json()["events"])
        if not wait_for_push or all(e["pushed"] is not None for e in issued) or time.monotonic() > deadline:
            return issued
        await asyncio.sleep(0.2)


async def collect(chat: ChatClient, want: int, timeout: float = 20.0, settle: float = 0.4) -> list[dict[str, Any]]:
    """Everything pushed to the chat until `want` arrived (then a short wait to catch any extra)."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        got += await chat.updates()
        await asyncio.sleep(0.05)
    await asyncio.sleep(settle)
    got += await chat.updates()
    return got


async def linked_chat(http: httpx.AsyncClient, gw: AlertGateway, customer: str, *, opt_in: bool = True,
                      phrase: str = "turn on alerts") -> ChatClient:
    chat = ChatClient(http, gw.url)
    await chat.link(await chat.say("link my account"), customer)
    if opt_in:
        replies = await chat.say(phrase)
        assert len(replies) == 1 and not replies[0]["quick_replies"], replies
    await chat.updates()
    return chat
