"""A delivery-worker process for the crash test and the bench:
`python -m tests.alerts.worker_proc DATABASE_URL [BATCH] [IDLE_POLL_S]`.

It runs the real DeliveryWorker and outbox against the database; web chat is the channel (handed over inside
the outbox transaction), exactly as in the gateway."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from sarraf.alerts.delivery import DeliveryPolicy, DeliveryWorker
from sarraf.channels import webchat
from sarraf.domain.messages import Outbound
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.database import make_engine


class WebChatOnly:
    def pull(self, channel: str) -> bool:
        return True

    def render_pull(self, channel: str, messages: list[Outbound]) -> list[dict[str, Any]]:
        return [webchat.render(m) for m in messages]

    async def send(self, channel: str, sender: str, messages: list[Outbound]) -> None:
        raise AssertionError("every channel here is pulled")


async def main(url: str, batch: int, idle_poll_s: float) -> None:
    engine = make_engine(url)
    worker = DeliveryWorker(SqlAlertOutbox(engine), WebChatOnly(), DeliveryPolicy(batch=batch, idle_poll_s=idle_poll_s))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await worker.run(stop)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 50,
                     float(sys.argv[3]) if len(sys.argv) > 3 else 0.01))
