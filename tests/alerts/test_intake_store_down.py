"""The outbox failing while a bank pushes: a 503 with a reason and Retry-After (never a bare 500); what a
batch had committed before the failure is absorbed when the bank sends it again."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError

from sarraf.alerts.intake import CHUNK, EventIntake
from sarraf.alerts.sets import SetVerifier
from sarraf.domain.events import BankEvent
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.database import make_engine
from sarraf.web import routes_alerts
from tests.alerts.pipeline import Bank, create_schema
from tests.support.live_server import serve
from tests.support.sealing import addresses_for_tests, sealer_for_tests


class StoreFailsOnce(SqlAlertOutbox):
    """The second write of the first request fails, as a database going away mid-batch would."""

    writes = 0

    async def accept(self, events: Sequence[BankEvent]) -> list[bool]:
        self.writes += 1
        if self.writes == 2:
            raise OperationalError("INSERT …", {}, Exception("database is gone"))
        return await super().accept(events)


class Services:
    def __init__(self, intake: EventIntake) -> None:
        self.intake = intake


async def test_store_failure_mid_batch_is_a_503_and_the_resend_is_absorbed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'down.db'}")
    await create_schema(engine)
    bank, outbox = Bank(), StoreFailsOnce(engine, sealer_for_tests(), addresses_for_tests())

    async def jwks(refresh: bool) -> dict[str, Any]:
        return bank.jwks()

    app = FastAPI()
    app.include_router(routes_alerts.router)
    app.state.alerts = Services(EventIntake({"bank": SetVerifier("bank", "sarraf", jwks)}, outbox))
    count = CHUNK * 2 + 5
    body = json.dumps({"sets": {f"evt-{n}": bank.card_payment(n % 5, n) for n in range(count)}})
    try:
        with serve(app) as base:
            async with httpx.AsyncClient(timeout=10) as http:
                url = f"{base}/banks/bank/events"
                failed = await http.post(url, content=body, headers={"Content-Type": "application/json"})
                assert failed.status_code == 503
                assert failed.headers["Retry-After"] == "1"
                assert failed.json()["err"] == "temporarily_unavailable"
                again = await http.post(url, content=body, headers={"Content-Type": "application/json"})
        assert again.status_code == 200
        assert len(again.json()["ack"]) == count and again.json()["setErrs"] == {}
        assert await outbox.counts() == {"received": count}  # the first chunk once, nothing lost
    finally:
        await engine.dispose()
