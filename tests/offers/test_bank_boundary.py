"""Nothing an offer was matched on crosses the bank boundary: over real HTTP, the signed events the gateway receives
for an offer carry the offer alone, the gateway makes no account-data call to the bank for it, and no merchant,
transaction, balance or account number of the customer's ledger appears in what the gateway received, stored
or sent to the chat."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.alerts.conftest import AlertGateway
from tests.alerts.helpers import collect, simulate
from tests.integration.helpers import ChatClient
from tests.offers.support import customer_of, forget_offers, never_quiet, row_of

OFFER_FIELDS = {"offer_id", "offer_type", "lang", "description", "term", "start", "end", "url", "rate"}
CUSTOMER = "sandbox-pl-1"


def _claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return claims


def _ledger_secrets(gw: AlertGateway) -> set[str]:
    """What the bank matched on: merchants, transactions, balances and account numbers of the customer."""
    secrets: set[str] = set()
    for account in gw.sandbox.state.sandbox.bank.accounts_of(CUSTOMER):
        secrets |= {account.account_id, account.spec.identification, f"{account.balance:.2f}"}
        for entry in account.entries:
            secrets |= {entry.transaction_id, f"{entry.balance_after:.2f}"}
            if entry.merchant is not None:
                secrets.add(entry.merchant.name)
            if entry.amount >= Decimal(10):
                secrets.add(f"{entry.amount:.2f}")
    return secrets


@pytest.fixture
def wire(gateway: AlertGateway, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Records the SETs the gateway accepts from the bank and every request the gateway makes to it."""
    seen: dict[str, list[Any]] = {"sets": [], "requests": []}
    intake = gateway.services.intake
    accept, accept_many = intake.accept, intake.accept_many

    async def one(bank: str, token: str) -> Any:
        seen["sets"].append(token)
        return await accept(bank, token)

    async def many(bank: str, sets: dict[str, str]) -> Any:
        seen["sets"] += list(sets.values())
        return await accept_many(bank, sets)

    monkeypatch.setattr(intake, "accept", one)
    monkeypatch.setattr(intake, "accept_many", many)

    async def outbound(request: httpx.Request) -> None:
        seen["requests"].append(str(request.url))

    hooks = gateway.services.container.http.event_hooks
    hooks["request"] = [*hooks["request"], outbound]
    yield seen
    hooks["request"] = [h for h in hooks["request"] if h is not outbound]


async def test_no_transaction_balance_or_merchant_leaves_the_bank_for_an_offer(
        gateway: AlertGateway, http: httpx.AsyncClient, wire: dict[str, list[Any]]) -> None:
    engine = gateway.services.container.engine
    await forget_offers(engine)
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say("połącz moje konto"), CUSTOMER)
    customer_id = await customer_of(engine, chat.session)
    await never_quiet(engine, customer_id)
    await chat.say("chcę dostawać oferty")
    await chat.updates()
    wire["sets"].clear()
    wire["requests"].clear()

    issued = [e for kind in ("savings_rate", "fx_card") for e in await simulate(http, gateway, "offer", CUSTOMER,
                                                                                offer=kind)]
    rows = [await row_of(engine, e["jti"]) for e in issued]
    mine = [r for r in rows if r.customer_id == customer_id]
    assert [r.status in ("ready", "sent") for r in mine] == [True, True], [r.last_error for r in mine]
    delivered = await collect(chat, 2)
    assert len(delivered) == 2

    received = [_claims(t) for t in wire["sets"]]
    assert {c["jti"] for c in received} >= {e["jti"] for e in issued}  # what crossed: these SETs, in full
    for claims in received:
        ((uri, payload),) = claims["events"].items()
        assert uri == "urn:sarraf:alerts:offer"
        assert set(payload) <= OFFER_FIELDS, payload
    assert not [u for u in wire["requests"] if "/aisp/" in u or "/accounts" in u], wire["requests"]

    secrets = _ledger_secrets(gateway)
    assert len(secrets) > 100
    crossed = json.dumps([received, delivered, [r.messages for r in mine]], ensure_ascii=False)
    leaked = sorted(s for s in secrets if s in crossed)
    assert leaked == [], leaked
