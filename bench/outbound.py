"""The one outbound path for messages outside a turn (alerts/outbound.py): what a request pays to have its answer
(three messages, as after a bank login) written to the alert outbox and sent by this process's delivery worker,
compared with sending them straight from the request, as the old Pusher did (reference, same run, same fake
platform). Also counted: messages the platform received (must be exactly 3 per answer: none lost, none twice).
SQLite file database, real store and worker, a platform that answers at once; pacing set aside (the same for
both paths).
Run: PYTHONPATH=src:. .venv/bin/python bench/outbound.py [answers]"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from tests.alerts.pipeline import create_schema
from tests.support.sealing import addresses_for_tests, identities_for_tests, sealer_for_tests

from sarraf.alerts.delivery import DeliveryPolicy, DeliveryWorker
from sarraf.alerts.outbound import Addressee, Bell, OutOfTurn
from sarraf.channels import webchat
from sarraf.domain.messages import Outbound
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.customers import SqlCustomers
from sarraf.store.database import make_engine

ANSWER = [Outbound("Your bank account is linked.", "en"), Outbound("You asked: what is my balance?", "en"),
          Outbound("Your balance is 12.00 GBP.", "en")]


class Platform:
    def __init__(self) -> None:
        self.received = 0

    def pull(self, channel: str) -> bool:
        return channel == webchat.NAME

    def render_pull(self, channel: str, messages: list[Outbound]) -> list[dict[str, Any]]:
        return [webchat.render(m) for m in messages]

    async def send(self, channel: str, sender: str, messages: list[Outbound]) -> list[str]:
        self.received += len(messages)
        return [str(self.received)]


def ms(samples: list[float]) -> tuple[str, str]:
    ordered = sorted(samples)
    return f"{statistics.median(ordered) * 1000:.2f}", f"{ordered[int(len(ordered) * 0.95) - 1] * 1000:.2f}"


async def run(answers: int, home: Path) -> dict[str, Any]:
    engine = make_engine(f"sqlite+aiosqlite:///{home / 'outbound.db'}")
    await create_schema(engine)
    customers = SqlCustomers(engine, identities_for_tests())
    to = [Addressee("bank", (await customers.identify("bank", "telegram", f"{8000 + n}")).id, "telegram",
                    f"{8000 + n}") for n in range(answers)]
    outbox = SqlAlertOutbox(engine, sealer_for_tests(), addresses_for_tests())
    platform, bell, stop = Platform(), Bell(), asyncio.Event()
    # Pacing aside (both paths pace alike, at the platform's rate: Telegram's 30/s would make every answer 0.1 s)
    unpaced = DeliveryPolicy(channel_per_second={"telegram": 1e6}, customer_per_second=1e6, customer_burst=1000)
    worker = asyncio.create_task(DeliveryWorker(outbox, platform, unpaced, bell=bell).run(stop))
    while not bell.workers:
        await asyncio.sleep(0.01)
    path = OutOfTurn(outbox, platform, {"telegram"}, bell=bell)
    durable = []
    for n, who in enumerate(to):
        started = time.perf_counter()
        await path.send(who, ANSWER, f"login:{n}")
        durable.append(time.perf_counter() - started)
    received_durable = platform.received
    for n, who in enumerate(to):  # every answer told again (replayed callbacks): nothing more is sent
        await path.send(who, ANSWER, f"login:{n}")
    await asyncio.sleep(0.2)
    repeated = platform.received - received_durable
    stop.set()
    await worker
    reference, direct = [], Platform()
    for who in to:
        started = time.perf_counter()
        await direct.send(who.channel, who.sender, ANSWER)
        reference.append(time.perf_counter() - started)
    await engine.dispose()
    return {"durable": durable, "reference": reference, "received": received_durable, "repeated": repeated}


def main() -> None:
    answers = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        got = asyncio.run(run(answers, Path(tmp)))
    table = Table(title=f"Answers outside a turn: {answers} answers of 3 messages, SQLite")
    for column in ("path", "median ms / answer", "p95 ms / answer", "messages received"):
        table.add_column(column, justify="right")
    table.add_row("outbox + in-process worker (now)", *ms(got["durable"]), str(got["received"]))
    table.add_row("reference: sent from the request", *ms(got["reference"]), str(answers * 3))
    Console().print(table)
    median_ms = statistics.median(got["durable"]) * 1000
    print(f"RESULT answers={answers} durable_median_ms={median_ms:.2f} "
          f"reference_median_ms={statistics.median(got['reference']) * 1000:.3f} "
          f"lost={answers * 3 - got['received']} double={got['repeated']}")


if __name__ == "__main__":
    main()
