"""`bench/alerts.py --mode standard`: alerts from OB's standard events next to the bank's own alert events, in
the same run, on the same database engine and the same router.

* sarraf mode: the bank signs one `urn:sarraf:alerts:card-payment` SET per payment → intake (verify, commit)
  → routing (policy decision, audit, rendering) → web chat hand-over in the routing transaction.
* standard mode: the bank books the payment in its AIS ledger and signs one OB `resource-update` SET → intake
  → routing: derivation reads the customer's transactions and balances over HTTP (OB v4.0 JSON from a bank
  server on 127.0.0.1, parsed by the gateway's own mapper), decides and audits that read, derives the alerts,
  puts them in the outbox → routed and handed over like the first mode.

Both modes run intake and routing in this process (routing's hand-over stands in for delivery: the payloads
are built and the rows marked sent in the routing transaction, as for a web chat alert due now). Lost and
duplicated are counted per payment among the rows handed over. The read's decision is taken by the real
agreement and recorded by the counting audit stand-in (tests/alerts/pipeline.py), not the Merkle log.

    .venv/bin/python bench/alerts.py --mode standard --events 2000
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tests.alerts.pipeline import AGREEMENT, Bank, RecordedDecisions, add_customers, create_schema, pipeline

from sarraf.alerts.derive import Memory, Rules
from sarraf.alerts.standard import StandardAlerts, StandardConfig
from sarraf.alerts.standard_ports import Remembered
from sarraf.banks import ob_json
from sarraf.domain.banking import Account, Transaction
from sarraf.domain.disclosure import DisclosureRequest, Minimisation
from sarraf.policy.consent_grant import ConsentGrant, GrantStatus, Scope
from sarraf.policy.decision_cache import CachedDecider
from sarraf.policy.point import AccountBalances, Disclosure, Subject
from sarraf.store.alert_derivation import SqlDerivationMemory
from sarraf.store.tables.alerts import alert_outbox
from sarraf.web.threaded_server import serve_in_thread

CUSTOMERS = 200
PORT = 18150  # this helper's range (18100-18199)


class Ledger:
    """The bank's AIS side: each customer's current account, as OB v4.0 JSON."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.reads = 0

    def book(self, customer: int, n: int) -> None:
        amount = f"{(n * 7919) % 50000 / 100 + 1:.2f}"
        self.rows.setdefault(f"acc{customer}", []).append({
            "AccountId": f"acc{customer}", "TransactionId": f"tx-{n}", "CreditDebitIndicator": "Debit",
            "Status": "BOOK", "BookingDateTime": datetime.now(UTC).isoformat(),
            "Amount": {"Amount": amount, "Currency": "GBP"}, "MerchantDetails": {"MerchantName": f"M{n}#"},
            "ProprietaryBankTransactionCode": {"Code": "CardPayment"},
            "CardInstrument": {"AuthorisationType": "Contactless", "Identification": "************4321"}})

    async def transactions(self, request: Request) -> JSONResponse:
        self.reads += 1
        rows = self.rows.get(request.path_params["account"], [])
        return JSONResponse({"Data": {"Transaction": rows}, "Links": {}, "Meta": {}})

    async def balances(self, request: Request) -> JSONResponse:
        account = request.path_params["account"]
        balance = {"AccountId": account, "CreditDebitIndicator": "Credit", "Type": "InterimAvailable",
                   "DateTime": datetime.now(UTC).isoformat(), "Amount": {"Amount": "5000.00", "Currency": "GBP"}}
        return JSONResponse({"Data": {"Balance": [balance]}})


class HttpReader:
    """The policy door's two reads for the bench: decide with the real agreement, record, read over HTTP."""

    def __init__(self, base: str, http: httpx.AsyncClient) -> None:
        self._base, self._http = base, http
        self._decider = CachedDecider.from_path(AGREEMENT)
        self.audit = RecordedDecisions()

    async def _decide(self, subject: Subject, category: str) -> Any:
        request = DisclosureRequest(subject.tenant, subject.customer_id, subject.purpose, (category,),
                                    subject.recipient)
        grant = ConsentGrant(subject.tenant, subject.customer_id, frozenset({Scope.BALANCES, Scope.TRANSACTIONS}),
                             GrantStatus.ACTIVE, None)
        decision = self._decider.decide(request, grant)
        await self.audit.record_many([(request, decision)])
        return decision

    async def balances(self, subject: Subject) -> Disclosure[list[AccountBalances]]:
        decision = await self._decide(subject, "user.financial.bank_account.balance")
        account_id = "acc" + subject.customer_id.removeprefix("cust")
        body = (await self._http.get(f"{self._base}/accounts/{account_id}/balances")).json()
        account = Account(account_id, "GBP", "Current", "Personal/CurrentAccount", "00000000000000")
        return Disclosure(decision, [AccountBalances(account, tuple(ob_json.balances(body)))])

    async def transactions(self, subject: Subject, since: datetime | None, until: datetime | None
                           ) -> Disclosure[list[Transaction]]:
        decision = await self._decide(subject, "user.financial.bank_account.transactions")
        account_id = "acc" + subject.customer_id.removeprefix("cust")
        body = (await self._http.get(f"{self._base}/accounts/{account_id}/transactions")).json()
        assert decision.minimisation in (Minimisation.FULL, None)
        return Disclosure(decision, ob_json.transactions(body))


def resource_update(bank: Bank, customer: int, n: int) -> str:
    now = int(time.time())
    return jwt.encode({"alg": bank.alg, "kid": "bench"}, {
        "iss": "bench-bank", "iat": now, "jti": f"ru-{n}", "aud": "sarraf", "sub": f"urn:consent/c{customer}",
        "txn": uuid.uuid4().hex, "toe": now, "events": {"urn:uk:org:openbanking:events:resource-update": {}}},
        bank.key, algorithms=[bank.alg])


async def one_mode(mode: str, events: int, ledger: Ledger, base: str) -> dict[str, float]:
    path = Path("/tmp") / f"sarraf-bench-std-{uuid.uuid4().hex[:8]}.db"
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    await create_schema(engine)
    await add_customers(engine, CUSTOMERS)
    bank = Bank()
    intake, router, outbox = pipeline(engine, bank)
    router.hand_over_with(lambda channel, messages: [{"text": m.text} for m in messages])
    async with httpx.AsyncClient(timeout=10) as http:
        reader = HttpReader(base, http)
        if mode == "standard":
            memory = SqlDerivationMemory(engine)
            # a first look happened long ago: every payment below is news
            await memory.keep_many({("bank", f"acc{c}"): Remembered(f"cust{c}", _seen_memory(), None)
                                    for c in range(CUSTOMERS)}, datetime.now(UTC))
            router.derive_with(StandardAlerts(reader, memory, outbox, {"bank": StandardConfig(Rules())}))
        tokens: dict[str, str] = {}
        for n in range(events):
            customer = n % CUSTOMERS
            if mode == "standard":
                ledger.book(customer, n)
                tokens[f"ru-{n}"] = resource_update(bank, customer, n)
            else:
                tokens[f"evt-{n}"] = bank.card_payment(customer, n)
        started = time.perf_counter()
        items = list(tokens.items())
        for start in range(0, len(items), 250):
            await intake.accept_many("bank", dict(items[start:start + 250]))
            await router.route_pending()
        while await router.route_pending():
            pass
        elapsed = time.perf_counter() - started
    c = alert_outbox.c
    async with engine.connect() as conn:
        rows = (await conn.execute(select(c.event_id, c.status, c.kind))).all()
    await engine.dispose()
    path.unlink(missing_ok=True)
    sent = [r.event_id for r in rows if r.status == "sent" and r.kind != "resource_update"]
    per_payment = Counter(_payment_of(e) for e in sent)
    lost = sum(1 for n in range(events) if per_payment.get(n, 0) == 0)
    dup = sum(count - 1 for count in per_payment.values() if count > 1)
    return {"events_per_s": events / elapsed, "seconds": elapsed, "lost": lost, "dup": dup,
            "reads": len(reader.audit.decisions)}


def _seen_memory() -> Memory:
    return Memory(horizon="2000-01-01T00:00:00+00:00")


def _payment_of(event_id: str) -> int:
    # evt-<n> (sarraf mode) or std:acc<c>:tx-<n>:payment (standard mode)
    return int(event_id.split("tx-")[1].split(":")[0]) if "tx-" in event_id else int(event_id.removeprefix("evt-"))


def run_standard(events: int) -> None:
    ledger = Ledger()
    app = Starlette(routes=[Route("/accounts/{account}/transactions", ledger.transactions),
                            Route("/accounts/{account}/balances", ledger.balances)])
    with serve_in_thread(app, port=PORT) as base:
        sarraf = asyncio.run(one_mode("sarraf", events, ledger, base))
        standard = asyncio.run(one_mode("standard", events, ledger, base))
    print(f"{'mode':>10}{'payments':>10}{'seconds':>9}{'events/s':>10}{'lost':>6}{'dup':>5}{'AIS reads':>11}")
    for name, r in (("sarraf", sarraf), ("standard", standard)):
        print(f"{name:>10}{events:>10}{r['seconds']:>9.2f}{r['events_per_s']:>10.0f}{int(r['lost']):>6}"
              f"{int(r['dup']):>5}{ledger.reads if name == 'standard' else 0:>11}")
    ratio = standard["events_per_s"] / sarraf["events_per_s"]
    print(f"RESULT sarraf_events_per_s={sarraf['events_per_s']:.0f} standard_events_per_s="
          f"{standard['events_per_s']:.0f} ratio={ratio:.2f} lost={int(sarraf['lost'] + standard['lost'])} "
          f"dup={int(sarraf['dup'] + standard['dup'])}")

