"""`sarraf channels templates sync --bank B`: create the Messenger utility templates a bank's Page needs and show
Meta's review status of each (channels/meta_template_sync.py)."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Annotated

import typer

from sarraf.cli.options import DataDir

if TYPE_CHECKING:
    from sarraf.channels.messenger import MessengerAccount
    from sarraf.channels.meta_template_sync import TemplateStatus
    from sarraf.domain.names import LocalizedName

app = typer.Typer(help="Chat platforms: what a bank's Page or number needs set up there.", no_args_is_help=True)
templates = typer.Typer(help="Messenger utility templates (messages outside the 24-hour window).",
                        no_args_is_help=True)
app.add_typer(templates, name="templates")


@templates.command()
def sync(bank: Annotated[str, typer.Option(help="Bank id from the banks file.")], data_dir: DataDir = None) -> None:
    """Create the bank's Messenger utility templates (every language) and print each one's review status."""
    from rich.console import Console
    from rich.table import Table

    from sarraf.channels.messenger import MessengerAccount
    from sarraf.channels.registry import OPTIONAL, REQUIRED, platform_settings
    from sarraf.config import load_banks, load_settings

    settings = load_settings(data_dir)
    banks = load_banks(settings.banks_file)
    if bank not in banks:
        typer.echo(f"unknown bank {bank!r}; the banks file names: {', '.join(banks)}", err=True)
        raise typer.Exit(2)
    found = platform_settings("messenger", banks[bank], default=bank == next(iter(banks)), env=os.environ)
    missing = [key for key in REQUIRED["messenger"] if key not in found]
    if missing:
        typer.echo(f"Messenger is not configured for {bank}: missing {', '.join(missing)} (banks file "
                   f"channels.messenger, or SARRAF_MESSENGER_* for the first bank)", err=True)
        raise typer.Exit(2)
    known = (*REQUIRED["messenger"], *OPTIONAL["messenger"])
    account = MessengerAccount(bank, **{k: v for k, v in found.items() if k in known})
    statuses = asyncio.run(_sync(account, banks[bank].name))
    table = Table("template", "language", "status", "id")
    for s in statuses:
        table.add_row(s.name, s.language, s.status, s.template_id or "")
    Console().print(table)
    if any(s.status.startswith("ERROR") for s in statuses):
        raise typer.Exit(1)


async def _sync(account: MessengerAccount, name: LocalizedName) -> list[TemplateStatus]:
    import httpx

    from sarraf.channels.meta_template_sync import sync

    async with httpx.AsyncClient(timeout=20) as http:
        return await sync(account, name, http)
