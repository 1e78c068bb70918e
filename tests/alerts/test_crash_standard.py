"""Crash test for alerts derived from standard OB events: the bank books payments in its AIS ledger and pushes
only resource-updates; routing-and-delivery worker processes — which read the ledger, derive, put the derived
alerts in the outbox and route them — are killed with SIGKILL mid-stream and restarted. Afterwards every payment
reached the web chat exactly once: a kill during derivation (before, between or after the outbox and memory
writes, or before the round's commit) loses and duplicates nothing."""

from __future__ import annotations

import asyncio
import collections
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sarraf.alerts.derive import Memory
from sarraf.alerts.standard_ports import Remembered
from sarraf.store.alert_derivation import SqlDerivationMemory
from sarraf.store.database import make_engine
from sarraf.web.threaded_server import serve_in_thread
from tests.alerts.pipeline import Bank, add_customers, create_schema, delivered_texts, pipeline
from tests.alerts.pipeline_standard import Ledger, ais_app, resource_update

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 300
CUSTOMERS = 30
KILLS = 4


def _spawn(url: str, audit_home: Path, ais: str) -> subprocess.Popen[bytes]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.Popen([sys.executable, "-m", "tests.alerts.worker_proc", url, "50", "0.01",
                             "--route", str(audit_home), "--standard", ais],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": path})


@pytest.mark.slow  # a worker process killed and restarted until every payment is through
async def test_sigkill_during_derivation_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    engine = make_engine(url)
    await create_schema(engine)
    await add_customers(engine, CUSTOMERS)
    memory = SqlDerivationMemory(engine)  # every account was looked at long ago: each payment below is news
    await memory.keep_many({("bank", f"acc{c}"): Remembered(f"cust{c}", Memory(horizon="2000-01-01T00:00:00+00:00"),
                                                            None) for c in range(CUSTOMERS)}, datetime.now(UTC))
    bank, ledger = Bank(), Ledger()
    intake, _, outbox = pipeline(engine, bank)
    with serve_in_thread(ais_app(ledger)) as ais:
        worker = _spawn(url, tmp_path / "audit", ais)
        kills = 0
        try:
            per_round = EVENTS // (KILLS + 1)
            for round_ in range(KILLS + 1):
                for n in range(round_ * per_round, (round_ + 1) * per_round):
                    ledger.book(n % CUSTOMERS, n)
                    await intake.accept("bank", resource_update(bank, n % CUSTOMERS, n))
                if round_ < KILLS:
                    await asyncio.sleep(0.4)  # into the middle of derivation rounds
                    os.kill(worker.pid, signal.SIGKILL)
                    worker.wait()
                    kills += 1
                    worker = _spawn(url, tmp_path / "audit", ais)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                counts = await outbox.counts()
                if set(counts) <= {"sent", "filtered"} and counts.get("sent", 0) >= EVENTS:
                    break
                await asyncio.sleep(0.2)
        finally:
            worker.kill()
            worker.wait()
    texts = await delivered_texts(engine)
    counts = await outbox.counts()
    await engine.dispose()
    seen = collections.Counter(int(m.group(1)) for t in texts if (m := re.search(r" at M(\d+)#", t)))
    assert kills == KILLS
    assert counts == {"sent": EVENTS, "filtered": EVENTS}, counts  # each update filtered, its alert sent
    assert sorted(seen) == list(range(EVENTS)), f"lost: {sorted(set(range(EVENTS)) - set(seen))[:10]}"
    assert [n for n, c in seen.items() if c != 1] == [], "duplicated"
