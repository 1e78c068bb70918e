"""Health and metrics for operators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from sarraf.web.deps import container_of

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, Any]:
    container = container_of(request)
    return {
        "status": "ok",
        "banks": sorted(container.bank_names),
        "database": container.settings.database_url.split(":", 1)[0],
        "channels": container.channel_status(),
    }


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
