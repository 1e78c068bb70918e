"""`sarraf sandbox serve`: run the built-in Open Banking sandbox bank on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The built-in Open Banking v4.0 sandbox bank.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Keep `serve` a sub-command even while it is the only one."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8100,
    state: Annotated[Path | None, typer.Option(help="SQLite file for consents and tokens (memory if unset).")] = None,
    root_path: Annotated[str, typer.Option(help="Prefix when served behind a proxy, e.g. /bank.")] = "",
) -> None:
    """Serve the sandbox bank: OAuth at /oauth, OB v4.0 AIS at /open-banking/v4.0/aisp."""
    import uvicorn

    from sarraf.sandbox_bank import create_app

    typer.echo(f"Sandbox bank on http://{host}:{port}{root_path} (every customer's password is 'sandbox')")
    uvicorn.run(create_app(state), host=host, port=port, root_path=root_path, log_level="warning")
