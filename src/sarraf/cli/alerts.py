"""`sarraf alerts worker`: a separate delivery-worker process (PostgreSQL; SQLite runs one worker in-process)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Real-time alerts: delivery workers.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Keep `worker` a sub-command."""


async def _run_worker(data_dir: Path | None, batch: int) -> None:
    from sarraf.alerts.delivery import DeliveryPolicy, DeliveryWorker
    from sarraf.bootstrap import build
    from sarraf.bootstrap_alerts import ChannelTransport
    from sarraf.config import load_settings
    from sarraf.store.alerts_outbox import SqlAlertOutbox

    settings = load_settings(data_dir)
    container = await build(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = DeliveryWorker(SqlAlertOutbox(container.engine), ChannelTransport(container), DeliveryPolicy(batch=batch))
    try:
        await worker.run(stop)
    finally:
        await container.aclose()


@app.command()
def worker(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", envvar="SARRAF_HOME")] = None,
    batch: Annotated[int, typer.Option(help="Rows claimed per transaction.")] = 500,
) -> None:
    """Deliver due alerts until SIGTERM. Safe to run several: rows are claimed with FOR UPDATE SKIP LOCKED."""
    from sarraf.config import load_settings

    if load_settings(data_dir).database_url.startswith("sqlite"):
        typer.echo("warning: on SQLite the gateway's in-process worker is the only safe one", err=True)
    asyncio.run(_run_worker(data_dir, batch))
