"""Finding 9 of #17: /metrics was open to anyone. Loopback only by default; a bearer token when configured."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from sarraf.web.routes_ops import METRICS_TOKEN_ENV, router


def _client(host: str) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(router)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(host, 40000)), base_url="http://gw")


async def test_without_a_token_only_this_host_may_scrape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(METRICS_TOKEN_ENV, raising=False)
    async with _client("127.0.0.1") as local:
        assert (await local.get("/metrics")).status_code == 200
    async with _client("203.0.113.7") as remote:
        refused = await remote.get("/metrics")
    assert refused.status_code == 403 and METRICS_TOKEN_ENV in refused.json()["detail"]


async def test_with_a_token_every_scraper_needs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(METRICS_TOKEN_ENV, "scrape-secret")
    for host in ("127.0.0.1", "203.0.113.7"):
        async with _client(host) as client:
            assert (await client.get("/metrics")).status_code == 401
            assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
            scraped = await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
            assert scraped.status_code == 200 and "sarraf_" in scraped.text
