"""Finding 2 of #17, properly: every event of a signed webhook is validated on its own (channels/webhook_models.py);
one that does not fit is skipped with its reason in the log and sarraf_webhook_skipped_total, and the rest of the
batch is answered. Hypothesis generates nested, oversized and wrong-typed JSON — random values, and real
payloads with any one field replaced by any JSON value — for every webhook and every API body: never a 5xx.
Over real HTTP on 127.0.0.1 (the channels' gateway: four platforms configured)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sarraf.channels.signatures import hub_signature
from tests.channels.test_gateway_channels import (
    SECRET,
    TG_SECRET,
    World,
    _messenger_text,
    _telegram_text,
    _whatsapp_text,
)

EXAMPLES = 40
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
LEAVES = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-(2**80), max_value=2**80)
          | st.floats(allow_nan=False) | st.text(max_size=30)
          | st.integers(min_value=1_000, max_value=70_000).map(lambda n: "x" * n))  # oversized strings
JSON = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20)
NESTED = st.integers(min_value=50, max_value=3000).map(lambda depth: "[" * depth + "]" * depth)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, (*prefix, key))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    changed = copy.deepcopy(value)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return changed


@st.composite
def _mutated(draw: st.DrawFn, template: dict[str, Any]) -> dict[str, Any]:
    """A real payload with one field (anywhere, the whole body included) replaced by any JSON value."""
    path = draw(st.sampled_from(list(_paths(template))))
    return _replaced(template, path, draw(JSON))


def _body(draw_from: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return st.one_of(draw_from.map(lambda v: json.dumps(v).encode()), JSON.map(lambda v: json.dumps(v).encode()),
                     NESTED.map(str.encode))


MESSENGER = _body(_mutated(_messenger_text("7001", "m_fuzz", "what's my balance")))
WHATSAPP = _body(_mutated(_whatsapp_text("7001", "wamid.fuzz", "what's my balance")))
TELEGRAM = _body(_mutated(_telegram_text(70001, 7001, "/start", "en")))
seen: dict[str, list[int]] = {}


def _post(world: World, path: str, raw: bytes, headers: dict[str, str]) -> int:
    with httpx.Client(base_url=world.url, timeout=60) as http:
        status = http.post(path, content=raw, headers={"Content-Type": "application/json", **headers}).status_code
    seen.setdefault(path, []).append(status)
    assert status < 500, (path, raw[:300])
    return status


@FUZZ
@given(raw=MESSENGER)
def test_messenger_webhook_never_5xx(world: World, raw: bytes) -> None:
    _post(world, "/channels/messenger/webhook", raw, {"X-Hub-Signature-256": hub_signature(SECRET, raw)})


@FUZZ
@given(raw=WHATSAPP)
def test_whatsapp_webhook_never_5xx(world: World, raw: bytes) -> None:
    _post(world, "/channels/whatsapp/webhook", raw, {"X-Hub-Signature-256": hub_signature(SECRET, raw)})


@FUZZ
@given(raw=TELEGRAM)
def test_telegram_webhook_never_5xx(world: World, raw: bytes) -> None:
    _post(world, "/channels/telegram/webhook", raw, {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})


@FUZZ
@given(raw=_body(JSON), path=st.sampled_from(["/channels/alexa", "/banks/sandbox/events", "/banks/nobank/events",
                                               "/webchat/api/messages", "/webchat/api/receipts",
                                               "/oauth/alexa/token", "/channels/messenger/webhook"]))
def test_other_bodies_never_5xx(world: World, raw: bytes, path: str) -> None:
    _post(world, path, raw, {})


@FUZZ
@given(body=_mutated({"session": "fuzz-session-000001", "text": "hello", "payload": None, "locale": "en",
                      "message_id": "m1", "bank": "sandbox"}))
def test_webchat_message_fields_never_5xx(world: World, body: dict[str, Any]) -> None:
    _post(world, "/webchat/api/messages", json.dumps(body).encode(), {})


def _skips(world: World, platform: str) -> float:
    text = httpx.get(f"{world.url}/metrics", timeout=30).text
    return sum(float(v) for v in re.findall(
        rf'sarraf_webhook_skipped_total{{platform="{platform}",reason="[^"]*"}} ([0-9.e+]+)', text))


def test_one_broken_event_is_skipped_and_the_rest_of_the_batch_answered(world: World) -> None:
    good = _messenger_text("7002", "m_good_1", "hello")
    broken = {"sender": {"id": "7003"}, "timestamp": 1, "message": {"mid": "m_bad", "text": {"not": "text"}}}
    good["entry"][0]["messaging"].insert(0, broken)
    good["entry"].insert(0, "not an entry")
    before = _skips(world, "messenger")
    world.fake.calls.clear()
    raw = json.dumps(good).encode()
    assert _post(world, "/channels/messenger/webhook", raw, {"X-Hub-Signature-256": hub_signature(SECRET, raw)}) \
        == 200
    recipients = {c.body.get("recipient", {}).get("id") for c in world.fake.calls}
    assert "7002" in recipients and "7003" not in recipients  # the good event answered, the broken one not
    assert _skips(world, "messenger") == before + 2  # the entry that is not one, and the event
    metrics = httpx.get(f"{world.url}/metrics", timeout=30).text
    assert 'reason="message.text:string_type"' in metrics


def test_a_whatsapp_status_of_another_shape_does_not_lose_the_message_beside_it(world: World) -> None:
    body = _whatsapp_text("7004", "wamid.good", "hello")
    body["entry"][0]["changes"][0]["value"]["statuses"] = [{"recipient_id": "7004", "timestamp": "9" * 40}]
    world.fake.calls.clear()
    raw = json.dumps(body).encode()
    _post(world, "/channels/whatsapp/webhook", raw, {"X-Hub-Signature-256": hub_signature(SECRET, raw)})
    assert any(c.body.get("to") == "7004" for c in world.fake.calls)


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    yield
    total = sum(len(v) for v in seen.values())
    worst = max((s for v in seen.values() for s in v), default=0)
    print(f"\nRESULT fuzz_operations={len(seen)} fuzz_cases={total} max_status={worst}")
