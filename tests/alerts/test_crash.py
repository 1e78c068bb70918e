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

from sarraf.store.database import make_engine
from tests.alerts.pipeline import Bank, add_customers, create_schema, delivered_texts, pipeline

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("SARRAF_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
EVENTS = 600
CUSTOMERS = 40
KILLS = 4


@pytest.fixture(params=["sqlite", "postgresql"])
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


def _spawn(url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.alerts.worker_proc", url, "50"], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


async def test_sigkilled_workers_lose_and_duplicate_nothing(database: tuple[str, int]) -> None:
    url, processes = database
    engine = make_engine(url)
    await create_schema(engine)
    await add_customers(engine, CUSTOMERS)
    bank = Bank()
    intake, router, outbox = pipeline(engine, bank)
    workers = [_spawn(url) for _ in range(processes)]
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
                workers[round_ % processes] = _spawn(url)
        while await router.route_pending():
            pass
        deadline = time.monotonic() + 60
        while (await outbox.counts()).get("ready", 0) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    counts = await outbox.counts()
    texts = await delivered_texts(engine)
    await engine.dispose()
    seen = collections.Counter(int(m.group(1)) for t in texts if (m := re.search(r" at M(\d+)#", t)))
    assert kills == KILLS
    assert counts == {"sent": EVENTS}, counts
    assert sorted(seen) == list(range(EVENTS)), f"lost: {sorted(set(range(EVENTS)) - set(seen))[:10]}"
    assert [n for n, c in seen.items() if c != 1] == [], "duplicated"
