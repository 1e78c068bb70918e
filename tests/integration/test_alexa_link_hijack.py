"""Finding 2 of issue #22 for Alexa's account linking: the browser Alexa sends to /oauth/alexa/authorize is the
only one that can finish the bank login it starts; another browser with the same links gets no code for Alexa."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from sarraf.banks.sandbox_login import complete_sandbox_login
from tests.channels.test_alexa_account_linking import (
    ALEXA_REDIRECT,
    CLIENT_ID,
    World,
    _authorize,
    world,  # noqa: F401  (the module-scoped gateway acting as the skill's OAuth server)
)


@pytest.fixture
async def browsers() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with httpx.AsyncClient(timeout=30) as a, httpx.AsyncClient(timeout=30) as b:
        yield a, b


async def test_alexa_login_finished_in_another_browser_gives_alexa_nothing(
    world: World, browsers: tuple[httpx.AsyncClient, httpx.AsyncClient],  # noqa: F811
) -> None:
    a, b = browsers
    params = {"client_id": CLIENT_ID, "redirect_uri": ALEXA_REDIRECT, "state": "alexa-state-1",
              "response_type": "code"}
    authorize = await a.get(f"{world.url}/oauth/alexa/authorize", params=params)
    assert authorize.status_code == 303 and "sarraf_browser=" in authorize.headers["set-cookie"]
    start = authorize.headers["location"]
    # B opens the login link: it belongs to A's browser.
    refused = await b.get(start)
    assert refused.status_code == 403 and "location" not in refused.headers
    # A's browser goes on to the bank; the bank's page leaks to B, who signs in as someone else.
    to_bank = await a.get(start)
    assert to_bank.status_code == 303 and "/bank/oauth/authorize" in to_bank.headers["location"]
    redirect = await complete_sandbox_login(b, to_bank.headers["location"], username="sandbox-pl-1")
    callback = await b.get(redirect)
    assert callback.status_code == 403
    assert "amazon.com" not in callback.headers.get("location", "") and "code=" not in callback.text
    # A starting over in its own browser links end to end and Alexa receives a code.
    assert len(await _authorize(a, world, "sandbox-en-1", state="alexa-state-2")) >= 32
