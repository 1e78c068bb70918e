"""Alerts at saturation: bank pushes signed SETs over HTTP → intake → outbox → routing (policy decision per
event) → delivery worker → web chat hand-over. Prints a table and, last, the RESULT line.

    .venv/bin/python bench/alerts.py --events 5000 --backend sqlite
    .venv/bin/python bench/alerts.py --events 5000 --backend postgresql   # 127.0.0.1:5432, trust auth

Event-to-send latency is from the intake's commit (received_at) to the hand-over commit (sent_at).
Lost / duplicated are counted at the receiver: the web chat outbox rows, one per event id expected.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing
import re
import statistics
import sys
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from sqlalchemy import select  # noqa: E402
from tests.alerts.pipeline import Bank, add_customers, create_schema, delivered_texts, pipeline  # noqa: E402
from tests.alerts.worker_proc import WebChatOnly  # noqa: E402

from sarraf.alerts.delivery import DeliveryPolicy, DeliveryWorker  # noqa: E402
from sarraf.alerts.runtime import AlertRuntime  # noqa: E402
from sarraf.store.database import make_engine  # noqa: E402
from sarraf.store.tables.alerts import alert_outbox  # noqa: E402
from sarraf.web import routes_alerts  # noqa: E402
from sarraf.web.threaded_server import serve_in_thread  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
CUSTOMERS = 500
CONCURRENCY = 8


class _Services:
    def __init__(self, intake: Any) -> None:
        self.intake = intake


def gateway_app(url: str, bank: Bank) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        engine = make_engine(url)
        intake, router, outbox = pipeline(engine, bank)
        worker = DeliveryWorker(outbox, WebChatOnly(), DeliveryPolicy(batch=500, idle_poll_s=0.02))
        fraud_free = _NoFraud()
        runtime = AlertRuntime(router, worker, fraud_free, None, route_idle_s=0.05)  # type: ignore[arg-type]
        intake._on_accept = runtime.notify
        app.state.alerts = _Services(intake)
        await runtime.start()
        yield
        await runtime.stop()
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(routes_alerts.router)
    return app


class _NoFraud:
    """Only card payments are benchmarked: nothing to escalate."""

    async def run(self, stop: asyncio.Event, interval_s: float = 1.0) -> None:
        await stop.wait()


def push_in_own_process(base: str, bank: Bank, events: int) -> None:
    """The bank is another machine: push from a separate process so it does not share the gateway's GIL."""
    tokens = [bank.card_payment(n % CUSTOMERS, n) for n in range(events)]
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=_push_process, args=(base, tokens))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the pushing process failed ({process.exitcode})")


def _push_process(base: str, tokens: list[str]) -> None:
    asyncio.run(push_all(base, tokens))


async def push_all(base: str, tokens: list[str]) -> float:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for token in tokens:
        queue.put_nowait(token)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        async def pusher() -> None:
            while not queue.empty():
                token = queue.get_nowait()
                for _ in range(5):
                    response = await http.post(f"{base}/banks/bank/events", content=token,
                                               headers={"Content-Type": "application/secevent+jwt"})
                    if response.status_code == 202:
                        break
                else:
                    raise RuntimeError(f"intake refused: {response.status_code} {response.text}")

        start = time.perf_counter()
        await asyncio.gather(*(pusher() for _ in range(CONCURRENCY)))
    return start


async def run(events: int, backend: str) -> None:
    name = None
    if backend == "sqlite":
        path = Path("/tmp") / f"sarraf-bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite+aiosqlite:///{path}"
    else:
        name = f"sarraf_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    try:
        engine = make_engine(url)
        await create_schema(engine)
        await add_customers(engine, CUSTOMERS)
        bank = Bank()
        wall0 = time.time()
        with serve_in_thread(gateway_app(url, bank)) as base:
            t0 = time.perf_counter()
            await asyncio.to_thread(push_in_own_process, base, bank, events)
            pushed_s = time.perf_counter() - t0
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                async with engine.connect() as conn:
                    rows = (await conn.execute(select(alert_outbox.c.status))).all()
                if sum(1 for r in rows if r.status == "sent") >= events:
                    break
                await asyncio.sleep(0.2)
        async with engine.connect() as conn:
            rows = (await conn.execute(select(alert_outbox.c.received_at, alert_outbox.c.sent_at)
                                       .where(alert_outbox.c.status == "sent"))).all()
        texts = await delivered_texts(engine)
        await engine.dispose()
    finally:
        if name:
            admin = await asyncpg.connect(PG_ADMIN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
        elif backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    def ts(value: Any) -> float:
        return value.timestamp() if value.tzinfo else value.replace(tzinfo=__import__("datetime").UTC).timestamp()

    latencies = sorted((ts(r.sent_at) - ts(r.received_at)) * 1000 for r in rows)
    last_sent = max(ts(r.sent_at) for r in rows) if rows else wall0
    seen = collections.Counter(int(m.group(1)) for t in texts if (m := re.search(r" at M(\d+)#", t)))
    lost = sum(1 for n in range(events) if seen[n] == 0)
    dup = sum(c - 1 for c in seen.values() if c > 1)
    elapsed = last_sent - wall0
    rate = events / elapsed if elapsed > 0 else 0.0
    p50 = statistics.median(latencies) if latencies else 0.0
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    print(f"{'backend':<12}{'events':>8}{'push s':>9}{'end-to-end s':>14}{'events/s':>10}{'p50 ms':>9}"
          f"{'p99 ms':>9}{'lost':>6}{'dup':>5}")
    print(f"{backend:<12}{events:>8}{pushed_s:>9.2f}{elapsed:>14.2f}{rate:>10.0f}{p50:>9.1f}{p99:>9.1f}"
          f"{lost:>6}{dup:>5}")
    print(f"RESULT events_per_s={rate:.0f} p50_ms={p50:.1f} p99_ms={p99:.1f} lost={lost} dup={dup}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    asyncio.run(run(args.events, args.backend))


if __name__ == "__main__":
    main()
