"""`sarraf sandbox serve`: run the built-in Open Banking sandbox bank on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sarraf.config import SANDBOX_MOUNT

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

    from sarraf.config import load_settings
    from sarraf.sandbox_bank import create_app
    from sarraf.sandbox_bank.admin import installation_secret, secret_path

    home = load_settings().data_dir
    typer.echo(f"Sandbox bank on http://{host}:{port}{root_path} (every customer's password is 'sandbox'); "
               f"admin API on loopback only, secret in {secret_path(home)}")
    bank = create_app(state, admin_secret=installation_secret(home))
    uvicorn.run(bank, host=host, port=port, root_path=root_path, log_level="warning")


@app.command()
def simulate(
    event: Annotated[str, typer.Argument(help="card-payment, large-purchase, foreign-purchase, low-balance, "
                                              "suspected-fraud, receipt, shipping-update, resource-update, "
                                              "consent-revoked")],
    customer: Annotated[str, typer.Option(help="Sandbox customer id, e.g. sandbox-en-1.")],
    bank_url: Annotated[str | None, typer.Option(
        envvar="SARRAF_SANDBOX_URL",
        help="Where the running sandbox is (default: the gateway's /bank, at SARRAF_PUBLIC_URL or "
             "SARRAF_HOST:SARRAF_PORT, as `sarraf serve` uses them).")] = None,
    admin_secret: Annotated[str | None, typer.Option(envvar="SARRAF_SANDBOX_ADMIN_SECRET", help="Default: the "
                                                     "installation's, from SARRAF_HOME/keys.")] = None,
    amount: Annotated[str | None, typer.Option(help="Amount (payments, receipt) or balance (low-balance).")] = None,
    merchant: Annotated[str | None, typer.Option(help="Merchant name, e.g. 'Pret A Manger'.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2, e.g. BR for a payment abroad.")] = None,
    currency: Annotated[str | None, typer.Option(help="ISO 4217 code (default: the account's).")] = None,
    card: Annotated[str | None, typer.Option(help="CardId (default: the customer's debit card).")] = None,
    item: Annotated[list[str] | None, typer.Option(help="Receipt line 'name:quantity:amount' (repeatable).")] = None,
    order: Annotated[str | None, typer.Option(help="Order id (shipping-update).")] = None,
    status: Annotated[str | None, typer.Option(help="ordered, shipped, out_for_delivery, delivered.")] = None,
    carrier: Annotated[str | None, typer.Option(help="Carrier name (shipping-update).")] = None,
    answer_within: Annotated[int, typer.Option(help="Fraud: seconds before the gateway escalates.")] = 600,
) -> None:
    """Make a RUNNING sandbox bank produce an event now (pushed to subscribers, kept for /events polling)."""
    import json

    import httpx

    from sarraf.config import load_settings
    from sarraf.sandbox_bank.admin import secret_path, stored_secret

    settings = load_settings()
    admin_secret = admin_secret or stored_secret(settings.data_dir)
    if not admin_secret:
        typer.echo(f"no sandbox admin secret in {secret_path(settings.data_dir)}: start the gateway (or `sarraf "
                   "sandbox serve`) with this SARRAF_HOME first, or set SARRAF_SANDBOX_ADMIN_SECRET", err=True)
        raise typer.Exit(2)
    url = (bank_url or settings.public_url + SANDBOX_MOUNT).rstrip("/")
    items = None
    if item:
        items = []
        for spec in item:
            name, quantity, price = [*spec.split(":"), "1", "0"][:3]
            items.append({"name": name, "quantity": int(quantity), "amount": price})
    body = {"event": event, "customer": customer, "amount": amount, "merchant": merchant, "country": country,
            "currency": currency, "card": card, "items": items, "order_id": order, "status": status,
            "carrier": carrier, "answer_within_s": answer_within}
    try:
        response = httpx.post(f"{url}/sarraf/v1/admin/simulate",
                              json={k: v for k, v in body.items() if v is not None},
                              headers={"x-sandbox-admin-secret": admin_secret}, timeout=30)
    except httpx.TransportError as exc:
        typer.echo(f"no sandbox bank answers at {url} ({type(exc).__name__}): start the gateway with `sarraf serve` "
                   "(or `sarraf sandbox serve`), or say where it runs with --bank-url / SARRAF_SANDBOX_URL", err=True)
        raise typer.Exit(2) from exc
    if response.status_code != 200:
        typer.echo(f"the sandbox at {url} refused ({response.status_code}): {response.text[:300]}", err=True)
        raise typer.Exit(1)
    issued = response.json()["events"]
    if not issued:
        typer.echo(f"{customer} has no authorised consent at this bank: nobody to tell.")
    for found in issued:
        typer.echo(json.dumps({k: found[k] for k in ("jti", "consent_id", "event", "pushed")}))
