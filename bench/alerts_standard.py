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

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from tests.alerts.pipeline import Bank, add_customers, create_schema, pipeline
from tests.alerts.pipeline_standard import HttpReader, Ledger, ais_app, resource_update

from sarraf.alerts.derive import Memory, Rules
from sarraf.alerts.standard import StandardAlerts, StandardConfig
from sarraf.alerts.standard_ports import Remembered
from sarraf.store.alert_derivation import SqlDerivationMemory
from sarraf.store.tables.alerts import alert_outbox
from sarraf.web.threaded_server import serve_in_thread

CUSTOMERS = 200
PORT = 18150  # this helper's range (18100-18199)


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
    with serve_in_thread(ais_app(ledger), port=PORT) as base:
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

