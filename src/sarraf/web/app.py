"""The gateway's ASGI app: web chat, account-linking return, secure pages, operations, and (by default)
the built-in sandbox bank mounted at /bank."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

import sarraf
from sarraf.alert_loops import start_alerts
from sarraf.bootstrap import build
from sarraf.config import SANDBOX_MOUNT, Settings, load_banks, load_settings
from sarraf.heap import settle_after_start_up
from sarraf.housekeeping import Housekeeping
from sarraf.store.database import private_file, private_folder
from sarraf.web import (
    outage,
    routes_alerts,
    routes_alexa_oauth,
    routes_channels,
    routes_linking,
    routes_operator,
    routes_ops,
    routes_payments,
    routes_webchat,
)
from sarraf.web.api_docs import mount_api_docs
from sarraf.web.body_limit import BodyLimit
from sarraf.web.console import router as console_routes
from sarraf.web.console import wire_console
from sarraf.web.openapi_refusals import with_refusals
from sarraf.web.security_headers import SecurityHeaders

log = logging.getLogger(__name__)
HOUSEKEEPING_SECONDS = 60.0
SETTLE_DELAY_S = 3.0  # after routing's warm-up: a fresh gateway's first answers go before the heap is settled


async def _settle_when_warm(warmed: asyncio.Event, delay_s: float = SETTLE_DELAY_S) -> None:
    await warmed.wait()
    await asyncio.sleep(delay_s)  # the collection blocks the loop: not while the first requests come in
    settle_after_start_up()


def create_app(
    settings: Settings | None = None, *, mount_sandbox: bool = True, settle_heap: bool = False,
) -> FastAPI:
    """`settle_heap`: the process serves only this app (`sarraf serve`), so what start-up built is frozen out of
    the garbage collector's reach once it is up (see sarraf.heap)."""
    settings = settings or load_settings()
    banks = load_banks(settings.banks_file)
    embedded = [b.id for b in banks.values() if b.embedded]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway = await build(settings, bank_urls={bank: settings.public_url + SANDBOX_MOUNT for bank in embedded},
                              console=True)
        app.state.container = gateway.web  # what the routes read (web/deps.py)
        upkeep = asyncio.create_task(Housekeeping(gateway.web).run_forever(HOUSEKEEPING_SECONDS))
        # With separate alert workers this process only verifies and stores bank events (scale-out).
        external = settings.alert_workers
        app.state.console = wire_console(gateway)
        app.state.alerts = await start_alerts(gateway, in_process_worker=not external, route_in_process=not external)
        # After the server listens (a task), once routing's warm-up is loaded: a full collection costs
        # ~0.05-0.2 s that the first answer need not wait for.
        settling = asyncio.create_task(_settle_when_warm(app.state.alerts.runtime.warmed)) if settle_heap else None
        try:
            yield
        finally:
            if settling is not None:
                settling.cancel()
            await app.state.alerts.stop()
            upkeep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await upkeep
            await gateway.aclose()

    app = FastAPI(
        title="Sarraf",
        version=sarraf.__version__,
        description="Privacy-first conversational banking gateway.",
        lifespan=lifespan,
        docs_url=None,  # served by mount_api_docs without a CDN
        redoc_url=None,
    )
    mount_api_docs(app)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Bad input is the caller's problem and must say why; it is never a 500.
        reasons = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"error": "invalid request", "reasons": reasons}, status_code=422)

    outage.install(app)  # our store failing: a clear answer saying nothing was changed, never a bare 500
    app.add_middleware(BodyLimit)  # every body bounded while it streams, before anything parses it
    # Outermost: every answer (refusals, 413s, the mounted sandbox bank) carries the security headers.
    app.add_middleware(SecurityHeaders, hsts=settings.public_url.startswith("https://"))
    app.include_router(routes_webchat.router)
    app.include_router(routes_linking.router)
    app.include_router(routes_payments.router)
    app.include_router(routes_ops.router)
    app.include_router(routes_operator.router)
    app.include_router(routes_channels.router)
    app.include_router(routes_alerts.router)
    app.include_router(routes_alexa_oauth.router)
    app.include_router(console_routes)
    app.openapi = with_refusals(app)  # type: ignore[method-assign]  # FastAPI's documented way to extend it
    app.mount("/static", StaticFiles(directory=str(Path(__file__).with_name("static"))), name="static")
    if mount_sandbox and embedded:
        # Only the web layer may know the sandbox exists; the gateway reaches it over HTTP like any bank.
        from sarraf.sandbox_bank import admin
        from sarraf.sandbox_bank.app import create_app as create_sandbox_bank

        state = private_file(private_folder(settings.data_dir) / "sandbox-bank.db")  # customers' data: 0600
        sandbox = create_sandbox_bank(state_path=state,
                                      admin_secret=admin.installation_secret(settings.data_dir))
        app.mount(SANDBOX_MOUNT, sandbox)
        log.log(logging.WARNING if sandbox.state.admin_remote else logging.INFO,
                "sandbox bank at %s: its admin API (events for sandbox customers) answers %s, with the "
                    "secret in %s (or %s)", SANDBOX_MOUNT, "any machine" if sandbox.state.admin_remote
                    else "only on the loopback interface", admin.secret_path(settings.data_dir), admin.SECRET_ENV)
        if not settings.database_url.startswith("sqlite"):
            log.warning(SHARED_DATABASE_WITH_EMBEDDED_BANK)
    return app


def prepare_embedded_bank(settings: Settings) -> bool:
    """Before several worker processes start: the embedded sandbox bank's admin secret, created once. False
    when no bank of the banks file is the embedded one."""
    if not any(bank.embedded for bank in load_banks(settings.banks_file).values()):
        return False
    from sarraf.sandbox_bank import admin

    admin.installation_secret(settings.data_dir)
    return True


def app_from_environment() -> FastAPI:
    """The app of one `sarraf serve --workers N` process: uvicorn imports this and calls it in each worker,
    whose settings come from the environment the command set (SARRAF_HOME, SARRAF_HOST, SARRAF_PORT...)."""
    return create_app(load_settings(), settle_heap=True)


# A shared database means replicas; each would mount a sandbox bank of its own, with its own logins and tokens.
SHARED_DATABASE_WITH_EMBEDDED_BANK = (
    "banks.yaml names the embedded sandbox bank while the database is shared (not SQLite): every replica "
    "mounts a sandbox bank of its own, so a customer linked through one replica is unknown to the others. "
    "With several replicas run the sandbox once (`sarraf sandbox serve`) and give its URL as the bank's base_url."
)
