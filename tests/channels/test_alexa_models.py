"""Alexa's requests as per-type models (channels/webhook_models.py, #17): LaunchRequest, IntentRequest,
SessionEndedRequest and request types the skill does not serve are read by their model; a malformed body is
refused with 400 and the field at fault, over real HTTP with a signed request (the channels' gateway)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sarraf.channels.alexa import parse
from sarraf.channels.webhook_models import (
    IntentRequest,
    LaunchRequest,
    OtherAlexaRequest,
    SessionEndedRequest,
    alexa_envelope,
)
from sarraf.domain.messages import InboundKind
from tests.channels.alexa_ca import envelope
from tests.channels.fake_platform import fixture
from tests.channels.test_gateway_channels import SKILL, World, http, world  # noqa: F401

USER = "amzn1.ask.account.MODELS"


def _body(kind: str = "intent", **changes: Any) -> dict[str, Any]:
    body = envelope(fixture("alexa_requests.json")[kind], skill=SKILL, user=USER, request_id="r-1", locale="pl-PL")
    body["request"].update(changes)
    return body


def test_each_request_type_is_read_by_its_model() -> None:
    for body, model in [(_body("launch"), LaunchRequest), (_body(), IntentRequest),
                        (_body(type="SessionEndedRequest", reason="USER_INITIATED"), SessionEndedRequest),
                        (_body(type="AlexaSkillEvent.SkillEnabled"), OtherAlexaRequest)]:
        _, request = alexa_envelope(body)
        assert type(request) is model, body["request"]["type"]


def test_turns_from_each_request_type() -> None:
    launch = parse(_body("launch"), "sandbox", "sandbox").inbound
    assert launch is not None and (launch.sender, launch.payload, launch.locale) == (USER, "intent:greeting", "pl-PL")
    spoken = _body(intent={"name": "QueryIntent", "slots": {"query": {"name": "query", "value": "saldo"}}})
    said = parse(spoken, "sandbox", "sandbox").inbound
    assert said is not None and (said.kind, said.text) == (InboundKind.TEXT, "saldo")
    for ending in (_body(type="SessionEndedRequest", reason="ERROR", error={"type": "INVALID_RESPONSE"}),
                   _body(type="Connections.Response")):
        turn = parse(ending, "sandbox", "sandbox")
        assert turn.inbound is None and turn.ends_session


@pytest.mark.parametrize(("change", "reason"), [
    ({"intent": "CheckBalanceIntent"}, "request.intent:model_type"),
    ({"intent": {"slots": {}}}, "request.intent.name:missing"),
    ({"intent": {"name": "QueryIntent", "slots": {"query": {"value": 5}}}}, "request.intent.slots.query.value"),
    ({"locale": ["pl-PL"]}, "request.locale:string_type"),
    ({"type": 7}, "request.type:string_type"),
])
def test_malformed_requests_are_refused_naming_the_field(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match="malformed Alexa request: " + reason.replace(".", r"\.")):
        parse(_body(**change), "sandbox", "sandbox")


def test_a_malformed_envelope_is_refused_naming_the_field() -> None:
    body = _body()
    body["session"]["user"] = "someone"
    with pytest.raises(ValueError, match=r"malformed Alexa request: session\.user:model_type"):
        parse(body, "sandbox", "sandbox")
    body = _body()
    body["request"] = "IntentRequest"
    with pytest.raises(ValueError, match=r"malformed Alexa request: request:dict_type"):
        parse(body, "sandbox", "sandbox")


@pytest.mark.parametrize(("change", "reason"), [
    ({"intent": "CheckBalanceIntent"}, "request.intent:model_type"),
    ({"intent": {"name": ["x"]}}, "request.intent.name:string_type"),
    ({"requestId": {"id": 1}}, "request.requestId:string_type"),
])
async def test_malformed_signed_bodies_are_a_400_with_the_reason(world: World, http: httpx.AsyncClient,  # noqa: F811
                                                               change: dict[str, Any], reason: str) -> None:
    raw = json.dumps(_body(**change)).encode()
    answer = await http.post(world.url + "/channels/alexa", content=raw, headers=world.chain.headers(raw))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == f"malformed Alexa request: {reason}"


async def test_a_session_ended_request_is_accepted_and_answered_empty(world: World,  # noqa: F811
                                                                      http: httpx.AsyncClient) -> None:  # noqa: F811
    raw = json.dumps(_body(type="SessionEndedRequest", reason="USER_INITIATED")).encode()
    answer = await http.post(world.url + "/channels/alexa", content=raw, headers=world.chain.headers(raw))
    assert answer.status_code == 200 and answer.json() == {"version": "1.0", "response": {}}
