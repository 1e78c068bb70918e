"""Forged, replayed and out-of-order events: refused with a reason, or absorbed without a second message."""

from __future__ import annotations

import time

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from tests.alerts.conftest import AlertGateway
from tests.alerts.helpers import collect, linked_chat, simulate

SET = {"Content-Type": "application/secevent+jwt"}


async def _consent_of(http: httpx.AsyncClient, gw: AlertGateway, customer: str) -> tuple[str, str]:
    """The consent URL the bank uses as `sub` for this customer (read from a real resource-update event)."""
    issued = await simulate(http, gw, "resource-update", customer, push=False)
    consent = issued[-1]["consent_id"]
    return consent, f"{gw.bank}/open-banking/v4.0/aisp/account-access-consents/{consent}"


async def test_forged_and_malformed_sets_are_refused_with_a_reason(gateway: AlertGateway,
                                                                    http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-1", phrase="turn on alerts")
    _, sub = await _consent_of(http, gateway, "sandbox-en-1")
    signer = gateway.sandbox.state.events.signer
    url = f"{gateway.url}/banks/sandbox/events"
    now = int(time.time())
    body = {"urn:sarraf:alerts:card-payment": {"amount": "1.00", "currency": "GBP", "merchant": "X"}}
    good = {"iss": "sarraf-sandbox-bank", "iat": now, "jti": "j-good", "aud": "sarraf", "sub": sub, "txn": "t",
            "toe": now, "events": body}

    async def post(token: str) -> httpx.Response:
        return await http.post(url, content=token, headers=SET)

    cases = {
        "not a jwt": (await post("garbage"), 400, "invalid_request"),
        "unsigned": (await post(jwt.encode({"alg": "none"}, good, None, algorithms=["none"]).rstrip(".") + "."),
                     400, "invalid_request"),
        "wrong key": (await post(jwt.encode({"alg": "ES256", "kid": signer.kid}, good,
                                            ECKey.generate_key("P-256", private=True))), 401, "invalid_key"),
        "another bank's RSA key": (await post(jwt.encode({"alg": "PS256", "kid": signer.kid}, good,
                                                         RSAKey.generate_key(2048, private=True),
                                                         algorithms=["PS256"])), 401, "invalid_key"),
        "hmac with a guessable key": (await post(jwt.encode({"alg": "HS256"}, good, OctKey.import_key(b"k" * 32))),
                                      401, "invalid_key"),
        "wrong audience": (await post(signer.sign({**good, "aud": "someone-else"})), 400, "invalid_audience"),
        "stale iat": (await post(signer.sign({**good, "iat": now - 3600})), 400, "invalid_request"),
        "unknown event": (await post(signer.sign({**good, "events": {"urn:x": {}}})), 400, "invalid_request"),
    }
    for name, (response, status, err) in cases.items():
        assert response.status_code == status, (name, response.text)
        assert response.json()["err"] == err and response.json()["description"], name
    assert (await http.post(f"{gateway.url}/banks/nobank/events", content=signer.sign(good), headers=SET)
            ).status_code == 404
    assert await collect(chat, 0, settle=0.3) == []


async def test_replayed_event_is_absorbed_and_delivered_once(gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-2")
    _, sub = await _consent_of(http, gateway, "sandbox-en-2")
    await collect(chat, 1, timeout=2)  # the resource-update notice
    signer = gateway.sandbox.state.events.signer
    now = int(time.time())
    token = signer.sign({"iss": "sarraf-sandbox-bank", "iat": now, "jti": "replayed-once", "aud": "sarraf",
                         "sub": sub, "txn": "t", "toe": now, "events": {"urn:sarraf:alerts:card-payment": {
                             "amount": "9.99", "currency": "GBP", "merchant": "Boots", "card_last4": "1234"}}})
    answers = [await http.post(f"{gateway.url}/banks/sandbox/events", content=token, headers=SET) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    got = await collect(chat, 1)
    assert len(got) == 1 and "Boots" in got[0]["text"]


async def test_out_of_order_shipping_update_is_absorbed(gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-pl-1", phrase="włącz powiadomienia")
    await simulate(http, gateway, "shipping-update", "sandbox-pl-1", order_id="ORD-9", status="delivered")
    await simulate(http, gateway, "shipping-update", "sandbox-pl-1", order_id="ORD-9", status="shipped",
                   toe_offset_s=-120)
    got = await collect(chat, 1)
    assert len(got) == 1 and "doręczone" in got[0]["text"], got


async def test_a_batch_of_sets_is_acknowledged_one_by_one_and_delivered_once(gateway: AlertGateway,
                                                                              http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-ar-1", phrase="فعّل التنبيهات")
    _, sub = await _consent_of(http, gateway, "sandbox-ar-1")
    signer = gateway.sandbox.state.events.signer
    now = int(time.time())

    def payment(jti: str, merchant: str, **changes: object) -> str:
        return signer.sign({"iss": "sarraf-sandbox-bank", "iat": now, "jti": jti, "aud": "sarraf", "sub": sub,
                            "txn": "t", "toe": now, "events": {"urn:sarraf:alerts:card-payment": {
                                "amount": "5.00", "currency": "SAR", "merchant": merchant, "card_last4": "1"}},
                            **changes})

    sets = {"b-1": payment("b-1", "Jarir"), "b-2": payment("b-2", "Extra"),
            "b-bad": payment("b-bad", "Nobody", aud="someone-else")}
    url = f"{gateway.url}/banks/sandbox/events"
    first = await http.post(url, json={"sets": sets})
    again = await http.post(url, json={"sets": {"b-1": sets["b-1"]}})  # a bank re-sending part of a batch
    assert first.status_code == 200 and sorted(first.json()["ack"]) == ["b-1", "b-2"]
    assert first.json()["setErrs"]["b-bad"]["err"] == "invalid_audience"
    assert again.status_code == 200 and again.json() == {"ack": ["b-1"], "setErrs": {}}
    assert (await http.post(url, json={"sets": ["not", "a", "map"]})).status_code == 400
    got = await collect(chat, 2)
    assert sorted(m for m in ("Jarir", "Extra") for g in got if m in g["text"]) == ["Extra", "Jarir"], got
    assert len(got) == 2
