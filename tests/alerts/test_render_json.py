"""The outbox's stored form of rendered alerts: to_json builds by hand what dataclasses.asdict would give."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

import pytest

from sarraf.alerts.render import from_json, render, to_json
from sarraf.domain.disclosure import Minimisation
from sarraf.domain.events import AlertKind, BankEvent

RECEIPT = {"amount": "20.00", "currency": "GBP", "merchant": "Grocer", "card_last4": "4321",
           "items": [{"name": "Tea", "quantity": 2, "amount": "5.00"}, {"name": "Milk", "amount": "10.00"}]}
SHIPPING = {"order_id": "o-1", "merchant": "Shop", "status": "shipped", "carrier": "DPD"}


@pytest.mark.parametrize("lang", ["en", "pl", "ar"])
@pytest.mark.parametrize("level", list(Minimisation))
@pytest.mark.parametrize(("kind", "data"), [
    (AlertKind.RECEIPT, RECEIPT),
    (AlertKind.SUSPECTED_FRAUD, {"amount": "99.00", "currency": "EUR", "merchant": "X", "card_last4": "1111"}),
    (AlertKind.SHIPPING_UPDATE, SHIPPING),
    (AlertKind.LOW_BALANCE, {"balance": "3.50", "currency": "PLN"}),
])
def test_to_json_is_asdict_and_reads_back(kind: AlertKind, data: dict[str, object], level: Minimisation,
                                          lang: str) -> None:
    event = BankEvent("bank", "evt-1", kind, "c1", datetime(2026, 1, 1, tzinfo=UTC), data)
    messages = render(event, kind, level, lang, "Bank", "https://gw.example/s/1")
    stored = to_json(messages)
    assert json.dumps(stored, sort_keys=True) == json.dumps([asdict(m) for m in messages], sort_keys=True)
    assert from_json(json.loads(json.dumps(stored))) == messages
