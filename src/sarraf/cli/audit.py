"""`sarraf audit ...`: verify the tamper-evident audit log, prove an entry, show recent decisions."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from sarraf.cli.options import DataDir

if TYPE_CHECKING:
    from rich.table import Table

    from sarraf.config import Settings
    from sarraf.policy.audit import AuditLog

app = typer.Typer(help="Check and inspect the tamper-evident audit log of disclosure decisions.",
                  no_args_is_help=True)
T = TypeVar("T")


class NoAuditLog(Exception):
    """The data folder has no gateway database yet, or one without the audit log's tables."""


async def _exists(settings: Settings) -> bool:
    """Whether there is an audit log to read, found without creating anything (a folder, a file, keys)."""
    from sqlalchemy import inspect

    from sarraf.store.database import make_engine, sqlite_file
    from sarraf.store.tables.audit import audit_leaves

    file = sqlite_file(settings.database_url)
    if file is not None and not file.exists():
        return False
    engine = make_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return bool(await conn.run_sync(lambda sync: inspect(sync).has_table(audit_leaves.name)))
    finally:
        await engine.dispose()


def _run(data_dir: Path | None, action: Callable[[AuditLog], Awaitable[T]]) -> T:
    from rich.console import Console
    from sqlalchemy.exc import DBAPIError

    from sarraf.config import load_settings
    from sarraf.store.audit_store import open_audit_log
    from sarraf.store.database import make_engine

    settings = load_settings(data_dir)

    async def main() -> T:
        if not await _exists(settings):
            raise NoAuditLog(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            return await action(await open_audit_log(settings, engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except (DBAPIError, OSError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        Console(stderr=True).print(f"[red]cannot read the audit log at {settings.database_url}:[/red] {reason}")
        raise typer.Exit(2) from exc


def _nothing_yet(exc: NoAuditLog) -> None:
    typer.echo(f"nothing to verify: no audit log yet at {exc} (the gateway creates it on its first start)")


@app.command()
def verify(
    data_dir: DataDir = None,
    checkpoint: Annotated[
        bool, typer.Option("--checkpoint/--no-checkpoint",
                           help="When the log is intact, sign a checkpoint covering the newest entries.")
    ] = True,
) -> None:
    """Recompute the log from its stored entries; exit 1 if anything was modified, removed or reordered."""
    from rich.console import Console

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
        if report.size == 0:
            console.print("nothing to verify: the audit log has no entries yet")
            return True
        signed = await log.checkpoint() if checkpoint else None
        if signed:
            console.print(f"signed {signed.describe()}")
        console.print(f"[green]OK[/green]: {report.size} entries match {report.checkpoints} signed checkpoints")
        return True

    try:
        intact = _run(data_dir, action)
    except NoAuditLog as exc:
        _nothing_yet(exc)
        return
    if not intact:
        raise typer.Exit(1)


@app.command()
def prove(
    index: Annotated[int, typer.Argument(help="Position of the entry in the log (0 is the first).")],
    data_dir: DataDir = None,
) -> None:
    """Print the inclusion proof of entry INDEX against the latest checkpoint, as JSON."""
    from rich.console import Console

    from sarraf.policy.audit import ProofError

    async def action(log: AuditLog) -> dict[str, object]:
        return (await log.prove_inclusion(index)).to_json()

    try:
        proof = _run(data_dir, action)
    except NoAuditLog as exc:
        Console(stderr=True).print(f"cannot prove entry {index}: no audit log yet at {exc}")
        raise typer.Exit(1) from exc
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
    from rich.console import Console

    async def action(log: AuditLog) -> list[tuple[int, dict[str, Any]]]:
        return await log.recent(limit)

    try:
        rows = _run(data_dir, action)
    except NoAuditLog as exc:
        typer.echo(f"no decisions yet: no audit log at {exc}")
        return
    Console().print(decisions_table(rows))


PURPOSE_WIDTH, POLICY_WIDTH = 20, 15


def wrap_key(key: str, width: int) -> str:
    """Break a dotted or hyphenated key after its separators so each line is at most `width` long where the
    parts allow (`essential.service.` / `operations.support`); a part longer than that is left to the table."""
    parts = re.findall(r"[^.\-]+[.\-]?", key) or [key]
    lines = [""]
    for part in parts:
        if lines[-1] and len(lines[-1]) + len(part) > width:
            lines.append("")
        lines[-1] += part
    return "\n".join(lines)


def decisions_table(rows: list[tuple[int, dict[str, Any]]]) -> Table:
    """Fits 80 columns: time on two lines, decision and minimisation in one cell, the pseudonym's first 8
    hex digits (enough to tell customers apart on a screen), long keys folded rather than cut off."""
    from rich import box
    from rich.table import Table

    tenants = sorted({str(leaf.get("tenant")) for _, leaf in rows})
    one_bank = len(tenants) == 1
    title = "Recent disclosure decisions" + (f" at {tenants[0]}" if one_bank else "")
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("time (UTC)", no_wrap=True)
    if not one_bank:
        table.add_column("bank", overflow="fold")
    table.add_column("customer", no_wrap=True)
    table.add_column("purpose", overflow="fold")
    table.add_column("recipient", no_wrap=True)
    table.add_column("decision", no_wrap=True)
    table.add_column("policy", overflow="fold")
    for index, leaf in rows:
        outcome = str(leaf.get("outcome"))
        style = "green" if outcome == "allow" else "red"
        at = str(leaf.get("time"))
        cells = [str(index), f"{at[:10]}\n{at[11:19]}"]
        if not one_bank:
            cells.append(str(leaf.get("tenant")))
        cells += [
            str(leaf.get("customer"))[:8], wrap_key(str(leaf.get("purpose")), PURPOSE_WIDTH),
            str(leaf.get("recipient")), f"[{style}]{outcome}[/{style}]\n{leaf.get('minimisation') or '-'}",
            wrap_key(str(leaf.get("policy_id")), POLICY_WIDTH),
        ]
        table.add_row(*cells)
    return table
