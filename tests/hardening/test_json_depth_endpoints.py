"""Finding 1 of #17 over HTTP: nested JSON on every JSON endpoint, unsigned and signed, is a 4xx."""

from __future__ import annotations

import httpx
import pytest

from sarraf.channels.signatures import hub_signature
from tests.channels.test_gateway_channels import SECRET, TG_SECRET, World
from tests.hardening.test_json_depth import DEEP_ARRAY, DEEP_OBJECT

BODIES = [DEEP_ARRAY, DEEP_OBJECT]


@pytest.mark.parametrize("raw", BODIES)
@pytest.mark.parametrize("path", ["/channels/alexa", "/banks/nobank/events", "/banks/sandbox/events",
                                  "/webchat/api/messages"])
async def test_unsigned_nested_json_is_a_4xx(world: World, http: httpx.AsyncClient, path: str, raw: bytes) -> None:
    response = await http.post(world.url + path, content=raw, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize("raw", BODIES)
@pytest.mark.parametrize("platform", ["messenger", "whatsapp"])
async def test_signed_meta_nested_json_is_a_400(world: World, http: httpx.AsyncClient, platform: str,
                                                raw: bytes) -> None:
    response = await http.post(f"{world.url}/channels/{platform}/webhook", content=raw,
                               headers={"X-Hub-Signature-256": hub_signature(SECRET, raw)})
    assert response.status_code == 400
    assert "nested" in response.json()["error"]


@pytest.mark.parametrize("raw", BODIES)
async def test_signed_telegram_and_alexa_nested_json_is_a_400(world: World, http: httpx.AsyncClient,
                                                               raw: bytes) -> None:
    telegram = await http.post(f"{world.url}/channels/telegram/webhook", content=raw,
                               headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
    assert telegram.status_code == 400 and "nested" in telegram.json()["error"]
    alexa = await http.post(f"{world.url}/channels/alexa", content=raw, headers=world.chain.headers(raw))
    assert alexa.status_code == 400 and "nested" in alexa.json()["error"]


async def test_alexa_unsigned_body_is_refused_before_it_is_parsed(world: World, http: httpx.AsyncClient) -> None:
    response = await http.post(f"{world.url}/channels/alexa", content=b"{not json")
    assert response.status_code == 403  # the signature is missing: the malformed body is never read


async def test_events_for_an_unknown_bank_are_a_404_before_the_body_is_read(world: World,
                                                                            http: httpx.AsyncClient) -> None:
    response = await http.post(f"{world.url}/banks/nobank/events", content=b"{not json",
                               headers={"content-type": "application/json"})
    assert response.status_code == 404


@pytest.mark.parametrize("after", ["9223372036854775808", "99999999999999999999999", "-1", "1e3", "x"])
async def test_updates_after_out_of_range_is_a_422(world: World, http: httpx.AsyncClient, after: str) -> None:
    """Finding 3 of #17: `after` past a signed 64-bit integer overflowed in SQLite (a 500)."""
    response = await http.get(f"{world.url}/webchat/api/updates",
                              params={"session": "abcdefghijklmnopqrstuvwx", "after": after})
    assert response.status_code == 422, response.text


async def test_updates_after_at_the_top_of_the_range_is_answered(world: World, http: httpx.AsyncClient) -> None:
    response = await http.get(f"{world.url}/webchat/api/updates",
                              params={"session": "abcdefghijklmnopqrstuvwx", "after": str(2**63 - 1)})
    assert response.status_code == 200, response.text
