"""`sarraf keys rotate`: a new master key, every customer's data key re-wrapped under it."""

from __future__ import annotations

import asyncio

import typer

from sarraf.cli.options import DataDir

app = typer.Typer(help="Encryption keys at rest (envelope encryption).", no_args_is_help=True)


@app.command()
def rotate(
    data_dir: DataDir = None,
) -> None:
    """Create a new master key version and re-wrap all data keys; ciphertexts stay as they are."""
    from sarraf.config import load_settings
    from sarraf.policy.crypto import rotate_master_key
    from sarraf.store.database import make_engine, migrate
    from sarraf.store.key_store import SqlDataKeyStore, key_provider

    settings = load_settings(data_dir)

    async def run() -> tuple[str, int]:
        await migrate(settings.database_url, key_provider(settings))
        engine = make_engine(settings.database_url)
        try:
            keys = key_provider(settings)
            count = await rotate_master_key(keys, SqlDataKeyStore(engine))
            return keys.current_key_id, count
        finally:
            await engine.dispose()

    key_id, count = asyncio.run(run())
    typer.echo(f"master key is now {key_id}; {count} data key(s) re-wrapped")
