"""The end-to-end alert tests with the sandbox in standard-events mode: it sends only OB's resource-update and
consent revocation; the gateway reads AIS through the policy door and derives the alerts (alerts/standard.py).
Bank push → intake → routing (derivation, then the derived events routed like any) → delivery → web chat."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from sarraf.config import DEFAULT_BANKS_FILE, load_settings
from sarraf.store.tables.alerts import alert_outbox
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.alerts.conftest import ADMIN_SECRET, AlertGateway
from tests.alerts.helpers import collect, linked_chat, simulate

DERIVE = {"derive": True, "home_country": "GB", "large_from": "1000.00", "low_balance_below": "100.00",
          "fraud": {"new_merchant_abroad_above": "300.00", "declined_attempts": 3}}


def standard_banks(folder: Path) -> Path:
    """banks.yaml with the sandbox bank's alerts derived (paths made absolute for the copy)."""
    raw: dict[str, Any] = yaml.safe_load(DEFAULT_BANKS_FILE.read_text(encoding="utf-8"))
    bank = raw["banks"][0]
    bank["agreement"] = str(DEFAULT_BANKS_FILE.parent / bank["agreement"])
    bank["service"]["answers"] = str(DEFAULT_BANKS_FILE.parent / bank["service"]["answers"])
    bank["alerts"] = DERIVE
    path = folder / "banks.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertGateway]:
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    env = {"SARRAF_HOME": str(home), "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
           "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "SARRAF_SANDBOX_ADMIN_SECRET": ADMIN_SECRET, "SARRAF_SANDBOX_EVENTS": "standard",
           "SARRAF_BANKS_FILE": str(standard_banks(home))}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        settings = load_settings()
        app = create_app(settings)
    with serve_in_thread(app, port=port) as url:
        yield AlertGateway(url, settings, app)


async def outcomes(gw: AlertGateway) -> list[tuple[str, str, str, str | None]]:
    c = alert_outbox.c
    async with gw.services.container.engine.connect() as conn:
        rows = await conn.execute(select(c.event_id, c.kind, c.status, c.last_error).order_by(c.id))
        return [(r.event_id, r.kind, r.status, r.last_error) for r in rows]


async def test_card_payment_is_derived_and_reaches_the_web_chat_exactly_once(gateway: AlertGateway,
                                                                             http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-1")
    issued = await simulate(http, gateway, "card-payment", "sandbox-en-1", merchant="Pret A Manger", amount="7.85")
    assert {e["event"] for e in issued} == {"urn:uk:org:openbanking:events:resource-update"}
    got = await collect(chat, 1)
    assert len(got) == 1, got
    assert got[0]["text"].startswith("Card payment: £7.85 at Pret A Manger, card ending ")
    # the bank says again that the account changed (and again, out of order): nothing new to say
    await simulate(http, gateway, "resource-update", "sandbox-en-1", toe_offset_s=-60)
    await simulate(http, gateway, "resource-update", "sandbox-en-1")
    assert await collect(chat, 1, timeout=2.0) == []


EVERY_EVENT: list[tuple[str, dict[str, Any], list[str]]] = [
    ("card-payment", {"merchant": "Biedronka", "amount": "45.10"}, ["Płatność kartą", "Biedronka"]),
    ("large-purchase", {"merchant": "Media Expert", "amount": "3999.00"}, ["Duży zakup", "Media Expert"]),
    ("foreign-purchase", {"merchant": "Fnac Paris", "amount": "120.00", "country": "FR"}, ["za granicą (FR)"]),
    ("low-balance", {"amount": "35.20"}, ["Niskie saldo"]),
    ("suspected-fraud", {}, ["Podejrzana płatność", "Czy to Ty?"]),
    ("transaction", {"code": "DirectDebit", "merchant": "Netflix", "amount": "43.00"},
     ["Nowe polecenie zapłaty", "Netflix"]),
    ("transaction", {"code": "Salary", "merchant": "ACME", "amount": "5000.00", "credit": True}, ["wynagrodzenie"]),
    ("transaction", {"code": "Refund", "merchant": "Zalando", "amount": "99.00", "credit": True}, ["Zwrot"]),
]


async def test_every_derived_alert_renders_in_the_customers_language(gateway: AlertGateway,
                                                                     http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-pl-1", phrase="włącz powiadomienia")
    for event, options, expected in EVERY_EVENT:
        await simulate(http, gateway, event, "sandbox-pl-1", **options)
        got = await collect(chat, 1)
        assert len(got) == 1, (event, got)
        for fragment in expected:
            assert fragment in got[0]["text"], (event, got[0]["text"])
        assert got[0]["lang"] == "pl"
        if event == "suspected-fraud":
            assert [q["title"] for q in got[0]["quick_replies"]] == ["Tak, to ja", "Nie, to nie ja"]


async def test_pending_booked_under_a_new_id_is_one_alert(gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-2")
    await simulate(http, gateway, "card-payment", "sandbox-en-2", merchant="Shell", amount="60.00",
                   txn_status="PDNG", transaction_id="pend-shell-1")
    got = await collect(chat, 1)
    assert len(got) == 1 and "Shell" in got[0]["text"], got
    await simulate(http, gateway, "booking", "sandbox-en-2", transaction_id="pend-shell-1",
                   new_transaction_id="book-shell-1")
    assert await collect(chat, 1, timeout=2.0) == []
    ids = [r[0] for r in await outcomes(gateway) if "shell" in r[0]]
    assert ids == ["std:" + ids[0].split(":", 2)[1] + ":pend-shell-1:payment"], ids


async def test_no_alert_without_opt_in_but_the_fraud_question_still_comes(gateway: AlertGateway,
                                                                          http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-ar-1", opt_in=False)
    await simulate(http, gateway, "card-payment", "sandbox-ar-1", merchant="Jarir", amount="30.00")
    await simulate(http, gateway, "card-payment", "sandbox-ar-1", merchant="A", amount="5.00", txn_status="RJCT")
    await simulate(http, gateway, "card-payment", "sandbox-ar-1", merchant="A", amount="5.00", txn_status="RJCT")
    await simulate(http, gateway, "card-payment", "sandbox-ar-1", merchant="A", amount="5.00", txn_status="RJCT")
    got = await collect(chat, 1)
    # three declines in an hour: the bank-configured rule asks, though the customer never opted in to alerts
    assert len(got) == 1 and got[0]["text"].startswith("Suspicious payment: SAR5.00 at A"), got
    filtered = [r for r in await outcomes(gateway) if r[0].endswith(":payment") and "not opted in" in (r[3] or "")]
    assert filtered, await outcomes(gateway)


async def test_shipping_and_offers_are_not_standard_events(gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    response = await http.post(f"{gateway.bank}/sarraf/v1/admin/simulate", headers={"x-sandbox-admin-secret":
                               ADMIN_SECRET}, json={"event": "shipping-update", "customer": "sandbox-en-1"})
    assert response.status_code == 200 and response.json()["events"] == []


async def test_after_revocation_nothing_is_read_or_sent(gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-pl-1", phrase="włącz powiadomienia")
    await simulate(http, gateway, "consent-revoked", "sandbox-pl-1")
    got = await collect(chat, 1)
    assert len(got) == 1 and "wycofana" in got[0]["text"], got
    # the bank still pushes an update for that consent: the gateway no longer reads the account, sends nothing
    response = await http.post(f"{gateway.bank}/sarraf/v1/admin/simulate", headers={"x-sandbox-admin-secret":
                               ADMIN_SECRET}, json={"event": "card-payment", "customer": "sandbox-pl-1"})
    made = response.json()["transaction"]["transaction_id"]
    assert await collect(chat, 1, timeout=2.0) == []
    rows = await outcomes(gateway)
    assert not [r for r in rows if made in r[0]], rows
    update = [r for r in rows if r[1] == "resource_update"][-1]
    assert update[2] == "filtered", update
