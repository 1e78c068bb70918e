"""Assemble the sandbox bank: one ASGI app, its state store and its seeded customers."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

from sarraf.sandbox_bank import (
    activity,
    admin,
    aisp,
    authorize,
    cards,
    errors,
    events,
    oauth,
    offers,
    pisp,
    pisp_international,
    sca,
    service,
    settlement,
)
from sarraf.sandbox_bank.context import Client, Sandbox, utc_now
from sarraf.sandbox_bank.ledger import PaymentLedger
from sarraf.sandbox_bank.seed import seed_bank
from sarraf.sandbox_bank.settle_rule import SettleLater
from sarraf.sandbox_bank.store import Store

CLIENT_ID = "sarraf"
DEFAULT_CLIENT_SECRET = "sandbox-secret"


def create_app(
    state_path: Path | None = None,
    *,
    access_token_ttl: int = 300,
    now: Callable[[], datetime] = utc_now,
    client_secret: str | None = None,
    code_ttl: int = 60,
    page_size: int = 100,
    admin_secret: str | None = None,
    events_mode: str | None = None,
) -> FastAPI:
    """The sandbox bank as an ASGI app; state in SQLite at `state_path` (in memory when None).

    `now` is the bank's clock (tests move it to expire codes and consents). The registered client is
    `sarraf`, its secret `client_secret` or env SARRAF_SANDBOX_CLIENT_SECRET (default "sandbox-secret").
    `events_mode` (else env SARRAF_SANDBOX_EVENTS): "sarraf" (default) sends our alert events; "standard" only
    OB's resource-update and consent revocation, payments showing in AIS instead (activity.py).
    The admin API takes `admin_secret` (see sandbox_bank/admin.py: the installation's, from its data folder),
    else SARRAF_SANDBOX_ADMIN_SECRET, else a random one nobody knows (the admin API is then closed).
    """
    secret = client_secret or os.environ.get("SARRAF_SANDBOX_CLIENT_SECRET") or DEFAULT_CLIENT_SECRET
    app = FastAPI(title="Sarraf Sandbox Bank", version="4.0", docs_url=None, redoc_url=None, openapi_url=None)
    store, bank = Store(state_path), seed_bank(now().date())
    store.ensure_schema(sca.SCHEMA)
    app.state.sandbox = Sandbox(
        store=store, bank=bank, client=Client(CLIENT_ID, secret, "Sarraf"),
        now=now, access_token_ttl=access_token_ttl, code_ttl=code_ttl, ledger=PaymentLedger(store, bank),
    )
    mode = (events_mode or os.environ.get("SARRAF_SANDBOX_EVENTS") or activity.SARRAF).strip().lower()
    if mode not in (activity.SARRAF, activity.STANDARD):
        raise ValueError(f"SARRAF_SANDBOX_EVENTS must be {activity.SARRAF!r} or {activity.STANDARD!r}, not {mode!r}")
    app.state.sandbox.events_mode = mode
    app.state.sandbox.activity = activity.Activity() if mode == activity.STANDARD else None
    app.state.page_size = page_size
    app.state.settle_later = SettleLater.from_environment()  # payments that settle later (settlement.py)
    app.state.admin_secret = admin_secret or os.environ.get(admin.SECRET_ENV) or secrets.token_urlsafe(32)
    app.state.admin_remote = admin.remote_allowed()
    app.state.cards = cards.CardBook(app.state.sandbox)
    issuer = os.environ.get("SARRAF_SANDBOX_ISSUER", "sarraf-sandbox-bank")
    app.state.events = events.EventHub(events.EventSigner(issuer), app.state.sandbox.store)
    errors.install(app)
    app.include_router(oauth.router)
    app.include_router(authorize.router)
    app.include_router(aisp.router)
    app.include_router(offers.router)
    app.include_router(cards.router)
    app.include_router(events.router)
    app.include_router(service.router)
    app.include_router(pisp.router)
    app.include_router(pisp_international.router)
    app.include_router(settlement.router)
    app.include_router(sca.router)
    return app
