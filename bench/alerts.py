"""Alerts at saturation: bank pushes signed SETs over HTTP → intake → outbox → routing (policy decision and
Merkle audit entry per event) → delivery worker → web chat hand-over. Prints a table and the CPU each process
spent per event for each of `--runs` whole runs (3 by default, each on a fresh database), then every run's
figure side by side and, last, the RESULT line: the median run by events/s, lost and dup summed over all runs.

    .venv/bin/python bench/alerts.py --events 20000 --backend sqlite
    .venv/bin/python bench/alerts.py --events 20000 --backend postgresql   # 127.0.0.1:5432, trust auth
    .venv/bin/python bench/alerts.py --batch 1     # one SET per POST (RFC 8935) instead of JSON batches
    .venv/bin/python bench/alerts.py --workers 0   # routing and delivery inside the gateway (the embedded default)
    .venv/bin/python bench/alerts.py --route-in gateway   # routing in the gateway, delivery in the worker
    .venv/bin/python bench/alerts.py --audit recorded     # decisions kept in a list instead of the audit log
    .venv/bin/python bench/alerts.py --runs 1      # one run (~25 s) instead of three
    .venv/bin/python bench/alerts.py --mode standard --events 2000   # OB resource-update → read → derive

By default routing and delivery run in `--workers` separate worker processes (tests/alerts/worker_proc.py: the
real router, agreement, Merkle audit log, DeliveryWorker and outbox, as `alert_loops.run_alert_worker`
runs them), so the gateway process only verifies and commits events. Routing is single-flight across worker
processes; SQLite allows one worker process in all (it has no row locks), PostgreSQL several. A web chat alert
due now is handed over in the routing transaction (the worker routes and delivers), as in production. The
audit log is the real one (`--audit merkle`, in the same database): "audited" counts its leaves, at least one
per event. The database is ANALYZEd after seeding, as a bank's database has planner statistics.

The bank (another process, so it does not share the gateway's GIL) pushes `--batch` SETs per POST as
``{"sets": {jti: SET}}`` over CONCURRENCY connections; the clock starts when it starts pushing (signing the
SETs and starting the processes are not counted). Amounts vary per event, so nothing can be served from a
cache of formatted amounts. The same run first pushes the same bodies to an empty FastAPI handler on the same
server: the HTTP ceiling of this machine for that request shape.

Event-to-send latency (p50/p99) is from the intake's commit (received_at) to the hand-over commit (sent_at).
The gateway pushes back on a bank that sends faster than it can route (alerts.intake.Backlog: the 2xx comes
later), so "bank p50/p99" is also printed: from the start of the POST carrying the event to its hand-over,
which counts the waiting at the bank too. At saturation that one is the honest end-to-end figure.
Lost / duplicated are counted at the receiver: the web chat outbox rows, one per event id expected.
CPU per event is the user+system time of each process over the run (the gateway's includes its SQLite
thread), and of PostgreSQL's server processes on that backend. The load average before the run is printed,
and the time of one SET verification measured just before it: this machine is shared, and a busy neighbour lowers every
figure (compare runs at a similar verification time). The bank signs with PS256 (RSA 2048), the algorithm OB
UK's event notification signing requires; `--alg ES256` shows a bank under OB's waiver W003 (an ES256
verification costs about 3.5 times a PS256 one: the gateway's largest single cost per event).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from fastapi import FastAPI, Request, Response  # noqa: E402
from joserfc import jws  # noqa: E402
from joserfc.jwk import KeySet  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from tests.alerts.pipeline import (  # noqa: E402
    Bank,
    add_customers,
    create_schema,
    delivered_texts,
    open_audit,
    pipeline,
)
from tests.alerts.worker_proc import WebChatOnly  # noqa: E402

from sarraf.alerts.delivery import DeliveryPolicy, DeliveryWorker  # noqa: E402
from sarraf.alerts.intake import Backlog  # noqa: E402
from sarraf.alerts.ports import ROUTED  # noqa: E402
from sarraf.alerts.runtime import AlertRuntime  # noqa: E402
from sarraf.heap import settle_after_start_up  # noqa: E402
from sarraf.store.database import make_engine  # noqa: E402
from sarraf.store.tables.alerts import alert_outbox  # noqa: E402
from sarraf.store.tables.audit import audit_leaves  # noqa: E402
from sarraf.web import routes_alerts  # noqa: E402
from sarraf.web.threaded_server import serve_in_thread  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
CUSTOMERS = 500
CONCURRENCY = 4
EMPTY = "/bench/empty"


class _Services:
    def __init__(self, intake: Any) -> None:
        self.intake = intake


def gateway_app(url: str, bank: Bank, in_process_worker: bool, route_here: bool, audit_home: Path | None
                ) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        engine = make_engine(url)
        audit = await open_audit(engine, audit_home) if audit_home and route_here else None
        intake, router, outbox = pipeline(engine, bank, audit)
        worker = DeliveryWorker(outbox, WebChatOnly(), DeliveryPolicy(batch=500, idle_poll_s=0.005)) \
            if in_process_worker else None
        intake.backlog = Backlog()
        runtime = AlertRuntime(router if route_here else None, worker, None, None, route_idle_s=0.05,
                               backlog=intake.backlog, unrouted=outbox.unrouted,
                               routed_signal=lambda wake: outbox.listen(wake, ROUTED))
        intake._on_accept = runtime.notify
        app.state.alerts = _Services(intake)
        await runtime.start()
        settle_after_start_up()  # as `sarraf serve` does
        yield
        await runtime.stop()
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(routes_alerts.router)

    @app.post(EMPTY, status_code=202)
    async def empty(request: Request) -> Response:
        await request.body()
        return Response(status_code=202)

    return app


def push_in_own_process(url: str, bodies: list[tuple[bytes, str]]) -> tuple[list[float], float]:
    """POST every body from a separate process; returns the wall-clock time each body's first POST started,
    and the CPU seconds the pushing process used."""
    context = multiprocessing.get_context("spawn")
    started = context.Queue()
    process = context.Process(target=_push_process, args=(url, bodies, started))
    process.start()
    posted, cpu = started.get()  # before join: a large result would otherwise block the child's exit
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the pushing process failed ({process.exitcode})")
    return list(posted), cpu


def _push_process(url: str, bodies: list[tuple[bytes, str]], started: Any) -> None:
    cpu = time.process_time()
    posted = asyncio.run(push_all(url, bodies))
    started.put((posted, time.process_time() - cpu))


def set_verify_us(bank: Bank, count: int = 2000) -> float:
    """This machine's speed right now, in the unit intake spends most on: one SET's signature check as intake
    does it (joserfc, the bank's algorithm). The machine is shared, and the same code gave 4,300 and 5,500
    events/s an hour apart as it slowed."""
    token = bank.card_payment(0, 0)
    keys = KeySet.import_key_set(bank.jwks())  # type: ignore[arg-type]
    started = time.perf_counter()
    for _ in range(count):
        jws.deserialize_compact(token, keys, algorithms=[bank.alg])
    return (time.perf_counter() - started) / count * 1e6


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live child process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """User + system CPU of every live PostgreSQL server process (backends, WAL writer, checkpointer): the
    database's share of this 2-core machine, which the processes above compete with."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(proc.name))
        except (OSError, IndexError, ValueError):  # exited meanwhile
            continue
    return total


async def push_all(url: str, bodies: list[tuple[bytes, str]]) -> list[float]:
    queue: asyncio.Queue[tuple[int, bytes, str]] = asyncio.Queue()
    for i, (content, content_type) in enumerate(bodies):
        queue.put_nowait((i, content, content_type))
    posted = [0.0] * len(bodies)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        async def pusher() -> None:
            while not queue.empty():
                i, content, content_type = queue.get_nowait()
                posted[i] = time.time()
                for _ in range(5):
                    response = await http.post(url, content=content, headers={"Content-Type": content_type})
                    if response.status_code in (200, 202) and b'"setErrs":{"' not in response.content:
                        break
                else:
                    raise RuntimeError(f"intake refused: {response.status_code} {response.text}")

        await asyncio.gather(*(pusher() for _ in range(CONCURRENCY)))
    return posted


def request_bodies(tokens: list[str], batch: int) -> list[tuple[bytes, str]]:
    if batch <= 1:
        return [(token.encode(), "application/secevent+jwt") for token in tokens]
    return [(json.dumps({"sets": {f"evt-{i + n}": t for n, t in enumerate(tokens[i:i + batch])}}).encode(),
             "application/json") for i in range(0, len(tokens), batch)]


def spawn_workers(url: str, count: int, audit_home: Path | None) -> list[subprocess.Popen[bytes]]:
    route = ["--route", str(audit_home)] if audit_home else []
    return [subprocess.Popen([sys.executable, "-m", "tests.alerts.worker_proc", url, "500", "0.02", *route],
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}) for _ in range(count)]


async def run(events: int, backend: str, batch: int, workers: int, route_in: str, audit: str, alg: str
              ) -> dict[str, float]:
    if backend == "sqlite" and workers > 1:
        raise SystemExit("SQLite has no row locks: at most one delivery worker process")
    if route_in == "worker" and workers == 0:
        raise SystemExit("--route-in worker needs --workers 1 or more")
    load_before = os.getloadavg()[0]
    bank = Bank(alg)
    verify_us = set_verify_us(bank)
    audit_dir = tempfile.TemporaryDirectory(prefix="sarraf-bench-audit-")
    audit_home = Path(audit_dir.name) if audit == "merkle" else None
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
        # A bank's database has planner statistics (PostgreSQL's autovacuum gathers them within a minute of
        # a change this size); a freshly seeded one has none, and the recipients' join is then planned for
        # tables of one row each: 10 ms a batch instead of 0.3 ms.
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        bodies = request_bodies([bank.card_payment(n % CUSTOMERS, n) for n in range(events)], batch)
        if audit_home:  # open once before the processes start, so they share one set of keys
            await open_audit(engine, audit_home)
        processes = spawn_workers(url, workers, audit_home if route_in == "worker" else None)
        app = gateway_app(url, bank, in_process_worker=workers == 0, route_here=route_in == "gateway",
                          audit_home=audit_home)
        with serve_in_thread(app) as base:
            empty0 = min((await asyncio.to_thread(push_in_own_process, base + EMPTY, bodies))[0])
            empty_s = time.time() - empty0
            gateway_cpu = time.process_time()
            workers_cpu = sum(cpu_seconds(process.pid) for process in processes)
            database_cpu = postgres_cpu_seconds()
            posted, pusher_cpu = await asyncio.to_thread(push_in_own_process, f"{base}/banks/bank/events", bodies)
            wall0 = min(posted)
            pushed_s = time.time() - wall0
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                # A count, not the rows: this loop shares the gateway's process (its server runs in a thread).
                async with engine.connect() as conn:
                    sent = (await conn.execute(select(func.count()).select_from(alert_outbox)
                                               .where(alert_outbox.c.status == "sent"))).scalar() or 0
                if sent >= events:
                    break
                await asyncio.sleep(0.5)  # a count of every row: polled rarely, the end time comes from sent_at
            gateway_cpu = time.process_time() - gateway_cpu
            workers_cpu = sum(cpu_seconds(process.pid) for process in processes) - workers_cpu
            database_cpu = postgres_cpu_seconds() - database_cpu
        for process in processes:
            process.terminate()
            process.wait()
        async with engine.connect() as conn:
            t = alert_outbox.c
            rows = (await conn.execute(select(t.event_id, t.received_at, t.sent_at)
                                       .where(alert_outbox.c.status == "sent"))).all()
        texts = await delivered_texts(engine)
        async with engine.connect() as conn:
            audited = (await conn.execute(select(func.count()).select_from(audit_leaves))).scalar() or 0
        await engine.dispose()
    finally:
        if name:
            admin = await asyncpg.connect(PG_ADMIN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
        elif backend == "sqlite":
            for suffix in ("", "-wal", "-shm", ".routing.lock"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        audit_dir.cleanup()

    def ts(value: Any) -> float:
        return value.timestamp() if value.tzinfo else value.replace(tzinfo=__import__("datetime").UTC).timestamp()

    latencies = sorted((ts(r.sent_at) - ts(r.received_at)) * 1000 for r in rows)
    # From the moment the bank started the POST carrying the event: includes waiting for our 2xx, so queueing
    # pushed back to the bank (Backlog) is counted here rather than hidden.
    per_body = max(1, batch)
    from_bank = sorted((ts(r.sent_at) - posted[int(r.event_id.removeprefix("evt-")) // per_body]) * 1000
                       for r in rows)
    last_sent = max(ts(r.sent_at) for r in rows) if rows else wall0
    seen = collections.Counter(int(m.group(1)) for t in texts if (m := re.search(r" at M(\d+)#", t)))
    lost = sum(1 for n in range(events) if seen[n] == 0)
    dup = sum(c - 1 for c in seen.values() if c > 1)
    elapsed = last_sent - wall0
    rate = events / elapsed if elapsed > 0 else 0.0
    p50 = statistics.median(latencies) if latencies else 0.0
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    bank_p50 = statistics.median(from_bank) if from_bank else 0.0
    bank_p99 = from_bank[min(len(from_bank) - 1, int(len(from_bank) * 0.99))] if from_bank else 0.0
    print(f"{'backend':<12}{'events':>8}{'batch':>6}{'push s':>9}{'end-to-end s':>14}{'events/s':>10}{'p50 ms':>9}"
          f"{'p99 ms':>9}{'bank p50':>10}{'bank p99':>10}{'lost':>6}{'dup':>5}{'workers':>8}{'route in':>9}"
          f"{'audit':>8}{'audited':>9}{'empty handler events/s':>24}")
    print(f"{backend:<12}{events:>8}{batch:>6}{pushed_s:>9.2f}{elapsed:>14.2f}{rate:>10.0f}{p50:>9.1f}{p99:>9.1f}"
          f"{bank_p50:>10.1f}{bank_p99:>10.1f}{lost:>6}{dup:>5}{workers:>8}{route_in:>9}{audit:>8}{audited:>9}"
          f"{events / empty_s:>24.0f}")
    here = ", routing" if route_in == "gateway" else ""
    there = " (routing, audit, delivery)" if route_in == "worker" else " (delivery)"
    print(f"CPU µs/event: gateway {gateway_cpu / events * 1e6:.0f} (HTTP, verify, outbox{here}"
          f"{', delivery' if workers == 0 else ''}), worker processes {workers_cpu / events * 1e6:.0f}"
          f"{there}, bank {pusher_cpu / events * 1e6:.0f}"
          f"{f', PostgreSQL {database_cpu / events * 1e6:.0f}' if backend == 'postgresql' else ''}; "
          f"load average before the run {load_before:.2f}; one {alg} SET verification here now {verify_us:.0f} µs")
    return {"events_per_s": rate, "p50_ms": p50, "p99_ms": p99, "lost": lost, "dup": dup,
            "bank_p50_ms": bank_p50, "bank_p99_ms": bank_p99, "empty_handler": events / empty_s}


def summarise(runs: list[dict[str, float]]) -> None:
    """Every run was printed above; the RESULT line is the median run by events/s (lost and dup summed over
    all runs). One run on this shared machine can land in a slow spell; the median of several does not
    hide it (the runs are all shown) but is not made by it either."""
    if len(runs) > 1:
        print(f"{'run':>4}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'empty handler events/s':>24}")
        for n, r in enumerate(runs, 1):
            print(f"{n:>4}{r['events_per_s']:>10.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['empty_handler']:>24.0f}")
    median = sorted(runs, key=lambda r: r["events_per_s"])[len(runs) // 2]
    lost, dup = sum(int(r["lost"]) for r in runs), sum(int(r["dup"]) for r in runs)
    print(f"RESULT events_per_s={median['events_per_s']:.0f} p50_ms={median['p50_ms']:.1f} "
          f"p99_ms={median['p99_ms']:.1f} lost={lost} dup={dup} bank_p50_ms={median['bank_p50_ms']:.1f} "
          f"bank_p99_ms={median['bank_p99_ms']:.1f} runs={len(runs)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20000, help="enough for a stable figure here (~4 s of pushing)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--batch", type=int, default=250, help="SETs per POST (1: one application/secevent+jwt each)")
    parser.add_argument("--workers", type=int, default=1,
                        help="delivery worker processes (0: the gateway's in-process worker)")
    parser.add_argument("--route-in", choices=("worker", "gateway"), default="worker",
                        help="which process routes: the worker processes (single-flight) or the gateway")
    parser.add_argument("--audit", choices=("merkle", "recorded"), default="merkle",
                        help="merkle: the real audit log in the same database; recorded: a list in memory")
    parser.add_argument("--runs", type=int, default=3,
                        help="whole runs, each on a fresh database; RESULT is the median run (all are printed)")
    parser.add_argument("--alg", choices=("PS256", "ES256"), default="PS256",
                        help="the bank's SET signature: PS256 as OB UK requires, ES256 as under OB's waiver W003")
    parser.add_argument("--mode", choices=("sarraf", "standard"), default="sarraf",
                        help="standard: OB resource-update → AIS read → derive → hand-over, next to the bank's own "
                             "alert events in the same run (bench/alerts_standard.py)")
    args = parser.parse_args()
    if args.mode == "standard":
        from bench.alerts_standard import run_standard  # only this mode needs a bank's AIS server
        run_standard(args.events)
        return
    if args.route_in == "worker" and args.workers == 0:
        args.route_in = "gateway"
    runs = [asyncio.run(run(args.events, args.backend, args.batch, args.workers, args.route_in, args.audit, args.alg))
            for _ in range(args.runs)]
    summarise(runs)


if __name__ == "__main__":
    main()
