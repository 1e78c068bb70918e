"""`sarraf audit ...`: verify the tamper-evident audit log, prove an entry, show recent decisions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from sarraf.config import load_settings
from sarraf.policy.audit import AuditLog, ProofError
from sarraf.store.audit_store import open_audit_log
from sarraf.store.database import make_engine

app = typer.Typer(help="Check and inspect the tamper-evident audit log of disclosure decisions.")
T = TypeVar("T")

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Gateway data folder (default: $SARRAF_HOME or ~/.sarraf).")
]


def _run(data_dir: Path | None, action: Callable[[AuditLog], Awaitable[T]]) -> T:
    settings = load_settings(data_dir)

    async def main() -> T:
        engine = make_engine(settings.database_url)
        try:
            return await action(await open_audit_log(settings, engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except DBAPIError as exc:
        Console(stderr=True).print(
            f"[red]cannot read the audit log at {settings.database_url}:[/red] {exc.orig}", markup=True
        )
        raise typer.Exit(2) from exc


@app.command()
def verify(
    data_dir: DataDir = None,
    checkpoint: Annotated[
        bool, typer.Option(help="When the log is intact, sign a checkpoint covering the newest entries.")
    ] = True,
) -> None:
    """Recompute the log from its stored entries; exit 1 if anything was modified, removed or reordered."""
    console = Console()

    async def action(log: AuditLog) -> bool:
        report = await log.verify()
        for note in report.notes:
            console.print(f"[dim]note:[/dim] {note}", soft_wrap=True)
        if not report.ok:
            console.print(f"[bold red]AUDIT LOG TAMPERED[/bold red] ({len(report.problems) + report.hidden} problems):")
            for line in report.lines():
                console.print(f"  - {line}", markup=False, soft_wrap=True)
            return False
        signed = await log.checkpoint() if checkpoint else None
        if signed:
            console.print(f"signed {signed.describe()}")
        console.print(f"[green]OK[/green]: {report.size} entries match {report.checkpoints} signed checkpoints")
        return True

    if not _run(data_dir, action):
        raise typer.Exit(1)


@app.command()
def prove(index: int, data_dir: DataDir = None) -> None:
    """Print the inclusion proof of entry INDEX against the latest checkpoint, as JSON."""

    async def action(log: AuditLog) -> dict[str, object]:
        return (await log.prove_inclusion(index)).to_json()

    try:
        proof = _run(data_dir, action)
    except ProofError as exc:
        Console(stderr=True).print(f"[red]cannot prove entry {index}:[/red] {exc}")
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(proof, indent=2, ensure_ascii=False))


@app.command()
def show(
    limit: Annotated[int, typer.Option(min=1, help="How many of the newest decisions to show.")] = 20,
    data_dir: DataDir = None,
) -> None:
    """Show the newest decisions (customers appear only as pseudonyms)."""

    async def action(log: AuditLog) -> list[tuple[int, dict[str, object]]]:
        return await log.recent(limit)

    table = Table(title="Recent disclosure decisions")
    for column in ("#", "time", "tenant", "customer", "purpose", "recipient", "outcome", "minimisation", "policy"):
        table.add_column(column)
    for index, leaf in _run(data_dir, action):
        outcome = str(leaf.get("outcome"))
        style = "green" if outcome == "allow" else "red"
        table.add_row(
            str(index), str(leaf.get("time")), str(leaf.get("tenant")), str(leaf.get("customer"))[:12] + "…",
            str(leaf.get("purpose")), str(leaf.get("recipient")), f"[{style}]{outcome}[/{style}]",
            str(leaf.get("minimisation") or "-"), str(leaf.get("policy_id")),
        )
    Console().print(table)
