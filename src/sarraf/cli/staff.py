"""`sarraf staff add`: a staff account for a bank's console, with its TOTP second factor.

The password is read from standard input (never an argument: it would land in the shell's history and in `ps`).
The TOTP secret and its otpauth:// URI are printed once, to be put into an authenticator app; only an
envelope-encrypted copy is kept."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from sarraf.cli.options import DataDir

app = typer.Typer(help="Staff accounts for the bank's console (/console).", no_args_is_help=True)

Role = Annotated[str, typer.Option(help="agent | supervisor | compliance")]


@app.command()
def add(
    email: Annotated[str, typer.Argument(help="The staff member's e-mail (their login).")],
    bank: Annotated[str, typer.Option(help="Bank id from the banks file.")],
    role: Role = "agent",
    data_dir: DataDir = None,
) -> None:
    """Add a staff account; the password is read from standard input (one line)."""
    from sarraf.config import load_banks, load_settings
    from sarraf.console.staff import ROLES, hash_password, new_totp_secret, normalise_email, provisioning_uri

    settings = load_settings(data_dir)
    banks = load_banks(settings.banks_file)
    if bank not in banks:
        typer.echo(f"unknown bank {bank!r}; the banks file names: {', '.join(banks)}", err=True)
        raise typer.Exit(2)
    if role not in ROLES:
        typer.echo(f"unknown role {role!r}; one of: {', '.join(ROLES)}", err=True)
        raise typer.Exit(2)
    if "@" not in email or len(email) > 255:
        typer.echo(f"{email!r} is not an e-mail address", err=True)
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    secret = new_totp_secret()
    email = normalise_email(email)
    name = banks[bank].name
    shown = name if isinstance(name, str) else bank
    asyncio.run(_store(settings, bank, email, role, password_hash, secret))
    typer.echo(f"staff account {email} ({role}) added to {bank}")
    typer.echo(f"TOTP secret (shown once): {secret}")
    typer.echo(f"otpauth URI: {provisioning_uri(secret, email, shown)}")


async def _store(settings: object, bank: str, email: str, role: str, password_hash: str, secret: str) -> None:
    from sarraf.policy.crypto.envelope import EnvelopeCipher
    from sarraf.store.console_staff import SqlStaff, StaffExists
    from sarraf.store.database import make_engine, migrate
    from sarraf.store.key_store import SqlDataKeyStore, key_provider

    await migrate(settings.database_url, key_provider(settings))  # type: ignore[attr-defined,arg-type]
    engine = make_engine(settings.database_url)  # type: ignore[attr-defined]
    try:
        cipher = EnvelopeCipher(key_provider(settings), SqlDataKeyStore(engine))  # type: ignore[arg-type]
        staff = SqlStaff(engine, cipher)
        try:
            staff_id = await staff.add(bank, email, role, password_hash, secret)
        except StaffExists as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
        await staff.note(bank, staff_id, email, "account_added", role)
    finally:
        await engine.dispose()
