"""Offers delivered per second through the alert pipeline, against card-payment alerts in the same run.

Each kind runs on a fresh SQLite database holding `--customers` customers with a bank link and a web chat
identity (tests/alerts/pipeline.py); for offers every one of them opted in. The bank's SETs are signed and
verified before the clock starts (the same cost for both kinds, measured by bench/alerts.py). Timed: the outbox
commit of the verified events, then routing until every event is settled — per event the disclosure decision
against the real agreement, its audit record, and the web chat hand-over in the routing transaction; per offer
also the customer's opt-in read, the caps counted (per customer and per bank), the fraud-alert-today check and
the offer recorded for the caps (alerts/offers.py: four to five statements more per offer). Every customer gets
one event of each kind, so the cap of two a week lets all offers through; "delivered" counts the hand-overs.

    .venv/bin/python bench/offers.py                     # 2,000 customers, 3 runs, median
    .venv/bin/python bench/offers.py --customers 500 --runs 1

Prints a table per run and, last, `RESULT offers_per_s=... alerts_per_s=... ratio=...` (medians; ratio is the
median over runs of offers/s over alerts/s measured in the same run: this machine is shared, and a neighbour's
load moves both figures of a run together more than it moves their ratio).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from joserfc import jwt  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402
from tests.alerts.pipeline import AGREEMENT, Bank, NoLinks, RecordedDecisions, add_customers, create_schema  # noqa: E402
from tests.alerts.worker_proc import WebChatOnly  # noqa: E402
from tests.support.sealing import addresses_for_tests, identities_for_tests, sealer_for_tests  # noqa: E402

from sarraf.alerts.delivery import DeliveryWorker  # noqa: E402
from sarraf.alerts.offers import OfferGate  # noqa: E402
from sarraf.alerts.router import AlertRouter  # noqa: E402
from sarraf.alerts.sets import SetVerifier  # noqa: E402
from sarraf.domain.offers import OfferRules  # noqa: E402
from sarraf.policy.decision_cache import CachedDecider  # noqa: E402
from sarraf.store.alerts_outbox import SqlAlertOutbox  # noqa: E402
from sarraf.store.alerts_prefs import SqlFraudCases  # noqa: E402
from sarraf.store.channel_state import SqlWindowStore  # noqa: E402
from sarraf.store.database import make_engine  # noqa: E402
from sarraf.store.offers import SqlOffers  # noqa: E402
from sarraf.store.tables.alerts import alert_outbox, alert_preferences  # noqa: E402
from sarraf.store.tables.offers import offer_optins  # noqa: E402

OFFER = {"offer_type": "PromotionalRate", "lang": "en", "description": "Easy-access saver at 4.10% AER.",
         "term": "Variable rate. Offer open for 30 days.", "url": "https://bank.example/offers/1", "rate": "4.10"}


def offer_token(bank: Bank, customer: int, n: int) -> str:
    now = int(time.time())
    return jwt.encode({"alg": bank.alg, "kid": "bench"}, {
        "iss": "bench-bank", "iat": now, "jti": f"offer-{n}", "aud": "sarraf", "sub": f"urn:consent/c{customer}",
        "txn": uuid.uuid4().hex, "toe": now, "events": {"urn:sarraf:alerts:offer": {**OFFER, "offer_id": f"OF-{n}"}}},
        bank.key, algorithms=[bank.alg])


async def one_kind(kind: str, customers: int, bank: Bank, folder: Path) -> dict[str, float]:
    engine = make_engine(f"sqlite+aiosqlite:///{folder / f'{kind}.db'}")
    await create_schema(engine)
    await add_customers(engine, customers)
    now = datetime.now(UTC)
    far = now + timedelta(hours=12)  # quiet hours of one minute, far from now: nothing waits for the morning
    async with engine.begin() as conn:
        await conn.execute(update(alert_preferences).values(quiet_start=f"{far:%H:%M}",
                                                            quiet_end=f"{far + timedelta(minutes=1):%H:%M}"))
        if kind == "offers":
            await conn.execute(insert(offer_optins), [{"tenant": "bank", "customer_id": f"cust{i}", "opted_in": True,
                                                       "channel": "webchat", "changed_at": now}
                                                      for i in range(customers)])
    sealer = sealer_for_tests()
    outbox = SqlAlertOutbox(engine, sealer, addresses_for_tests())
    windows = SqlWindowStore(engine, identities_for_tests())
    gate = OfferGate(SqlOffers(engine, sealer), {"bank": OfferRules(2, 10**9)}, windows)
    cases = SqlFraudCases(engine, sealer_for_tests(), addresses_for_tests())
    router = AlertRouter(outbox, CachedDecider.from_path(AGREEMENT), RecordedDecisions(), NoLinks(),
                         cases, outbox, bank_names={"bank": "Bench Bank"},
                         default_langs={"bank": "en"}, offers=gate)
    router.hand_over_with(DeliveryWorker(outbox, WebChatOnly()).pull_payloads)
    router.warm()

    async def jwks(refresh: bool) -> dict[str, Any]:
        return bank.jwks()

    verifier = SetVerifier("bank", "sarraf", jwks)
    tokens = [offer_token(bank, i, i) if kind == "offers" else bank.card_payment(i, i) for i in range(customers)]
    events = [await verifier.verify(t) for t in tokens]
    started = time.perf_counter()
    for at in range(0, len(events), 500):
        await outbox.accept(events[at:at + 500])
    routed = await router.route_pending()
    seconds = time.perf_counter() - started
    async with engine.connect() as conn:
        sent = int((await conn.execute(select(func.count()).select_from(alert_outbox).where(
            alert_outbox.c.status == "sent"))).scalar_one())
    await engine.dispose()
    return {"events": float(routed), "seconds": seconds, "per_s": sent / seconds, "delivered": float(sent)}


async def run(customers: int) -> dict[str, dict[str, float]]:
    bank = Bank()
    with tempfile.TemporaryDirectory(prefix="sarraf-bench-offers-") as folder:
        return {kind: await one_kind(kind, customers, bank, Path(folder)) for kind in ("alerts", "offers")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=2000, help="customers, one event of each kind each")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    figures: list[dict[str, dict[str, float]]] = []
    for n in range(args.runs):
        result = asyncio.run(run(args.customers))
        figures.append(result)
        print(f"run {n + 1}: {'kind':<8} {'events':>7} {'delivered':>9} {'seconds':>8} {'delivered/s':>12}")
        for kind, f in result.items():
            print(f"       {kind:<8} {f['events']:>7.0f} {f['delivered']:>9.0f} {f['seconds']:>8.2f} "
                  f"{f['per_s']:>12.0f}")
    offers = statistics.median(f["offers"]["per_s"] for f in figures)
    alerts = statistics.median(f["alerts"]["per_s"] for f in figures)
    ratio = statistics.median(f["offers"]["per_s"] / f["alerts"]["per_s"] for f in figures)  # same run, same load
    lost = sum(f["offers"]["events"] - f["offers"]["delivered"] for f in figures)
    print(f"RESULT offers_per_s={offers:.0f} alerts_per_s={alerts:.0f} ratio={ratio:.2f} "
          f"customers={args.customers} runs={args.runs} offers_not_delivered={lost:.0f}")


if __name__ == "__main__":
    main()
