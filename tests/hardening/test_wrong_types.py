"""Finding 2 of #17: signed webhooks with wrong JSON types were a 500 (AttributeError in the adapters).

They are skipped with a reason and counted in sarraf_webhook_skipped_total{platform,reason}; never a 5xx.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sarraf.channels.signatures import hub_signature
from tests.channels.test_gateway_channels import SECRET, TG_SECRET, World

META_BODIES: list[Any] = [
    {"object": "page", "entry": [1, "x", None, {"messaging": "x"}]},
    {"object": "page", "entry": [{"messaging": [1, None, {"sender": "x", "message": []}]}]},
    {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"messages": [{"from": []}]}}]}]},
    {"object": "whatsapp_business_account", "entry": [{"changes": "x"}]},
    {"object": 5, "entry": {"a": 1}},
]
TELEGRAM_BODIES: list[Any] = [
    {"update_id": 2, "message": {"chat": "x", "text": 5, "from": []}},
    {"update_id": "x", "callback_query": [1]},
    {"update_id": 3, "message": {"chat": {"id": []}, "text": ["a"]}},
    {"update_id": 4, "message": None},
]


@pytest.mark.parametrize("body", META_BODIES)
@pytest.mark.parametrize("platform", ["messenger", "whatsapp"])
async def test_signed_meta_payloads_of_wrong_types_are_never_a_5xx(world: World, http: httpx.AsyncClient,
                                                                   platform: str, body: Any) -> None:
    raw = json.dumps(body).encode()
    response = await http.post(f"{world.url}/channels/{platform}/webhook", content=raw,
                               headers={"X-Hub-Signature-256": hub_signature(SECRET, raw)})
    assert response.status_code < 500, response.text


@pytest.mark.parametrize("body", TELEGRAM_BODIES)
async def test_signed_telegram_payloads_of_wrong_types_are_never_a_5xx(world: World, http: httpx.AsyncClient,
                                                                       body: dict[str, Any]) -> None:
    response = await http.post(f"{world.url}/channels/telegram/webhook", json=body,
                               headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
    assert response.status_code < 500, response.text


async def test_a_skipped_payload_is_counted_with_its_platform_and_reason(world: World,
                                                                         http: httpx.AsyncClient) -> None:
    response = await http.post(f"{world.url}/channels/telegram/webhook", json=TELEGRAM_BODIES[0],
                               headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
    assert response.status_code == 200 and response.json()["status"] == "skipped"
    metrics = (await http.get(f"{world.url}/metrics")).text
    assert 'sarraf_webhook_skipped_total{platform="telegram"' in metrics
