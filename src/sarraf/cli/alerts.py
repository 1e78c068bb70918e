"""`sarraf alerts worker`: a separate process that routes and delivers alerts (SARRAF_ALERT_WORKERS=1)."""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING, Annotated

import typer

from sarraf.cli.options import DataDir

if TYPE_CHECKING:
    from sarraf.config import Settings

app = typer.Typer(help="Real-time alerts: delivery workers.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Keep `worker` a sub-command."""


async def _run_worker(settings: Settings, batch: int, route: bool) -> None:
    from sarraf.alert_loops import run_alert_worker
    from sarraf.alerts.delivery import DeliveryPolicy
    from sarraf.bootstrap import build

    gateway = await build(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_alert_worker(gateway, stop, route=route, policy=DeliveryPolicy(batch=batch), settle_heap=True)
    finally:
        await gateway.aclose()


@app.command()
def worker(
    data_dir: DataDir = None,
    batch: Annotated[int, typer.Option(help="Rows claimed per transaction.")] = 500,
    route: Annotated[
        bool, typer.Option("--route/--no-route", help="Also route new events (decision, audit, rendering).")
    ] = True,
) -> None:
    """Route and deliver alerts until SIGTERM (run the gateway with SARRAF_ALERT_WORKERS=1). Safe to run several:
    delivery claims rows with FOR UPDATE SKIP LOCKED and one process at a time routes (a lock)."""
    from sarraf.config import load_settings
    from sarraf.log_repeats import worker_logging

    worker_logging()
    settings = load_settings(data_dir)
    if settings.database_url.startswith("sqlite"):
        typer.echo("note: on SQLite run one worker in all, and the gateway with SARRAF_ALERT_WORKERS=1", err=True)
    asyncio.run(_run_worker(settings, batch, route))
