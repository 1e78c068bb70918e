"""An alerts worker process for the crash test and the bench:
`python -m tests.alerts.worker_proc DATABASE_URL [BATCH] [IDLE_POLL_S] [--route AUDIT_HOME]`.

It runs the real DeliveryWorker and outbox against the database; web chat is the channel (handed over inside
the outbox transaction), exactly as in the gateway. With --route it routes too (the real router, agreement
and Merkle audit log, keys under AUDIT_HOME), as `alert_loops.run_alert_worker` does for a gateway whose
routing runs out of process."""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx

from sarraf.alerts.delivery import DeliveryPolicy, DeliveryWorker
from sarraf.alerts.derive import Rules
from sarraf.alerts.runtime import AlertRuntime
from sarraf.alerts.standard import StandardAlerts, StandardConfig
from sarraf.channels import webchat
from sarraf.domain.messages import Outbound
from sarraf.heap import settle_after_start_up
from sarraf.store.alert_derivation import SqlDerivationMemory
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.database import make_engine
from tests.alerts.pipeline import open_audit, router_for
from tests.alerts.pipeline_standard import HttpReader
from tests.support.sealing import addresses_for_tests, sealer_for_tests


class WebChatOnly:
    def pull(self, channel: str) -> bool:
        return True

    def render_pull(self, channel: str, messages: list[Outbound]) -> list[dict[str, Any]]:
        return [webchat.render(m) for m in messages]

    async def send(self, channel: str, sender: str, messages: list[Outbound]) -> None:
        raise AssertionError("every channel here is pulled")


async def main(url: str, batch: int, idle_poll_s: float, audit_home: Path | None, standard: str | None) -> None:
    engine = make_engine(url)
    outbox = SqlAlertOutbox(engine, sealer_for_tests(), addresses_for_tests())
    worker = DeliveryWorker(outbox, WebChatOnly(), DeliveryPolicy(batch=batch, idle_poll_s=idle_poll_s))
    router = router_for(engine, outbox, await open_audit(engine, audit_home)) if audit_home else None
    http = httpx.AsyncClient(timeout=10)
    if router is not None and standard:  # resource-updates derived from the bank's AIS at `standard`
        router.derive_with(StandardAlerts(HttpReader(standard, http), SqlDerivationMemory(engine), outbox,
                                          {"bank": StandardConfig(Rules())}))
    runtime = AlertRuntime(router, worker, None, route_idle_s=idle_poll_s)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await runtime.start()
    settle_after_start_up()  # as `sarraf alerts worker` does
    try:
        await stop.wait()
    finally:
        await runtime.stop()
        await http.aclose()
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("batch", type=int, nargs="?", default=50)
    parser.add_argument("idle_poll_s", type=float, nargs="?", default=0.01)
    parser.add_argument("--route", type=Path, default=None, help="route too, with the audit log's keys here")
    parser.add_argument("--standard", default=None, help="derive alerts from resource-updates, AIS at this URL")
    args = parser.parse_args()
    asyncio.run(main(args.url, args.batch, args.idle_poll_s, args.route, args.standard))
