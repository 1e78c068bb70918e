"""Crash test: while events stream in, delivery-worker processes are killed with SIGKILL and restarted several
times. Afterwards every accepted event reached the web chat exactly once — none lost, none duplicated — on
SQLite (one worker process) and on PostgreSQL (two worker processes claiming with SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import collections
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select

from sarraf.store.database import make_engine
from sarraf.store.tables.audit import audit_leaves
from tests.alerts.pipeline import Bank, add_customers, create_schema, delivered_texts, open_audit, pipeline

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("SARRAF_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
EVENTS = 600
CUSTOMERS = 40
KILLS = 4


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}", 1
        return
    name = f"sarraf_crash_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", 2
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _spawn(url: str, audit_home: Path | None) -> subprocess.Popen[bytes]:
    route = ["--route", str(audit_home)] if audit_home else []
    # PYTHONPATH: the tests, and the sarraf this test imports (a checkout's clone sets it to its own src)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.Popen([sys.executable, "-m", "tests.alerts.worker_proc", url, "50", "0.01", *route],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": path})


@pytest.mark.slow  # worker processes killed and restarted until a batch of events is through
@pytest.mark.parametrize("route_in", ["test", "workers"])
async def test_sigkilled_workers_lose_and_duplicate_nothing(database: tuple[str, int], route_in: str,
                                                            tmp_path: Path) -> None:
    """route_in="workers": the killed processes also route, with the real Merkle audit log (on PostgreSQL
    two of them, taking turns); the test process only takes events in."""
    url, processes = database
    engine = make_engine(url)
    await create_schema(engine)
    await add_customers(engine, CUSTOMERS)
    bank = Bank()
    audit_home = tmp_path / "audit" if route_in == "workers" else None
    audit = await open_audit(engine, audit_home) if audit_home else None
    intake, router, outbox = pipeline(engine, bank, audit)
    if route_in == "workers":
        router = _NotHere()  # type: ignore[assignment]
    workers = [_spawn(url, audit_home) for _ in range(processes)]
    kills = 0
    try:
        per_round = EVENTS // (KILLS + 1)
        for round_ in range(KILLS + 1):
            for n in range(round_ * per_round, (round_ + 1) * per_round):
                await intake.accept("bank", bank.card_payment(n % CUSTOMERS, n))
                if n % 20 == 0:
                    await router.route_pending()
            await router.route_pending()
            if round_ < KILLS:
                await asyncio.sleep(0.3)  # let the workers get into the middle of batches
                victim = workers[round_ % processes]
                os.kill(victim.pid, signal.SIGKILL)
                victim.wait()
                kills += 1
                workers[round_ % processes] = _spawn(url, audit_home)
        while await router.route_pending():
            pass
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and set(await outbox.counts()) - {"sent"}:
            await asyncio.sleep(0.1)
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    counts = await outbox.counts()
    texts = await delivered_texts(engine)
    async with engine.connect() as conn:
        audited = (await conn.execute(select(func.count()).select_from(audit_leaves))).scalar()
    await engine.dispose()
    seen = collections.Counter(int(m.group(1)) for t in texts if (m := re.search(r" at M(\d+)#", t)))
    assert kills == KILLS
    assert counts == {"sent": EVENTS}, counts
    assert sorted(seen) == list(range(EVENTS)), f"lost: {sorted(set(range(EVENTS)) - set(seen))[:10]}"
    assert [n for n, c in seen.items() if c != 1] == [], "duplicated"
    if route_in == "workers":
        # A routing turn killed between its audit append and its commit is routed again: audited twice,
        # sent once. Never less than one decision per event.
        assert audited is not None and audited >= EVENTS


class _NotHere:
    """Routing runs in the worker processes: the test process only takes events in."""

    async def route_pending(self, **_: object) -> int:
        return 0
