"""Health and metrics for operators.

* `/healthz` is liveness: the process answers. Cheap, touches nothing (a load balancer may call it often).
* `/readyz` is readiness: the database answers, the alert tasks run, and each bank's reachability. 503 when
  the database or an alert task is down (this replica cannot do its work; send traffic elsewhere). A bank
  that cannot be reached is reported but does not make the replica unready: every replica reaches the same
  bank, and customers are still answered ("I can't reach the bank, nothing was changed").
"""

from __future__ import annotations

import asyncio
import hmac
import os
import time
from typing import Any

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from sarraf.bootstrap import Container
from sarraf.web.deps import container_of

router = APIRouter(tags=["operations"])
CHECK_TIMEOUT_S = 2.0
BANK_CHECK_TTL_S = 10.0  # readiness probes come every few seconds; a bank is asked at most this often


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, Any]:
    container = container_of(request)
    return {
        "status": "ok",
        "banks": sorted(container.bank_names),
        "database": container.settings.database_url.split(":", 1)[0],
        "channels": container.channel_status(),
        "readiness": "/readyz",
    }


async def _database(container: Container) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S), container.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means the same: this replica cannot serve
        return f"down: {type(exc).__name__}"
    return "ok"


async def _bank(container: Container, bank: str, checks: dict[str, tuple[float, str]]) -> str:
    config = container.banks[bank]
    base = config.reached_at(container.settings.public_url)
    held = checks.get(bank)
    if held is not None and time.monotonic() - held[0] < BANK_CHECK_TTL_S:
        return held[1]
    try:
        response = await container.http.get(base + "/.well-known/openid-configuration", timeout=CHECK_TIMEOUT_S)
        found = "reachable" if response.is_success else f"unreachable: answered {response.status_code}"
    except httpx.HTTPError as exc:
        found = f"unreachable: {type(exc).__name__}"
    checks[bank] = (time.monotonic(), found)
    return found


def _alerts(request: Request, container: Container) -> dict[str, str]:
    services = getattr(request.app.state, "alerts", None)
    if services is None:
        return {"alerts": "not started"}
    found: dict[str, str] = services.runtime.health()
    if container.settings.alert_workers:
        found["routing and delivery"] = "external: sarraf alerts worker"
    return found


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    container = container_of(request)
    if not hasattr(request.app.state, "bank_checks"):
        request.app.state.bank_checks = {}  # this app's recent bank checks: bank → (when, outcome)
    checks = request.app.state.bank_checks
    database, *banks = await asyncio.gather(_database(container),
                                            *(_bank(container, b, checks) for b in container.banks))
    alerts = _alerts(request, container)
    ready = database == "ok" and all(v == "running" or v.startswith("external") for v in alerts.values())
    body = {"status": "ready" if ready else "not ready", "database": database,
            "banks": dict(zip(container.banks, banks, strict=True)), "alerts": alerts}
    return JSONResponse(body, status_code=200 if ready else 503)


METRICS_TOKEN_ENV = "SARRAF_METRICS_TOKEN"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics. With SARRAF_METRICS_TOKEN set, only for `Authorization: Bearer <token>`; unset,
    only for a scraper on this host (loopback), since the labels name banks, channels and failure reasons.
    Behind a reverse proxy on the same host, set the token: the proxy's requests come from loopback."""
    token = os.environ.get(METRICS_TOKEN_ENV) or None
    if token is not None:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return JSONResponse({"detail": "metrics need Authorization: Bearer <SARRAF_METRICS_TOKEN>"},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
    elif request.client is None or request.client.host not in LOOPBACK:
        return JSONResponse({"detail": "metrics are served to this host only; set SARRAF_METRICS_TOKEN to "
                                       "scrape from elsewhere"}, status_code=403)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
