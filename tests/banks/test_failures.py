"""A bank that is down, failing or talking nonsense becomes BankUnavailable, never a crash."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sarraf.domain.consent import Tokens
from sarraf.domain.errors import BankUnavailable
from tests.banks.conftest import REDIRECT, connector_for
from tests.support.live_server import closed_port_url, serve

TOKENS = Tokens("access", "refresh", datetime.now(UTC) + timedelta(minutes=5))
AISP = "/open-banking/v4.0/aisp"


async def _discovery(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    return JSONResponse({"authorization_endpoint": base + "/authorize", "token_endpoint": base + "/token"})


async def _token(_: Request) -> Response:
    return JSONResponse({"access_token": "t", "token_type": "Bearer", "expires_in": 300})


async def _unavailable(_: Request) -> Response:
    return PlainTextResponse("maintenance", status_code=503)


async def _garbage(_: Request) -> Response:
    return PlainTextResponse("<html>not json</html>", media_type="application/json")


async def _wrong_shape(_: Request) -> Response:
    return JSONResponse({"Data": {"Balance": [{"AccountId": "a", "Amount": "lots"}]}})


async def _elsewhere(_: Request) -> Response:
    return JSONResponse({"Data": {"Transaction": []}, "Links": {"Self": "x", "Next": "http://evil.example/steal"}})


@pytest.fixture(scope="module")
def broken_bank() -> Iterator[str]:
    app = Starlette(routes=[
        Route("/.well-known/openid-configuration", _discovery),
        Route("/token", _token, methods=["POST"]),
        Route(AISP + "/account-access-consents", _unavailable, methods=["POST"]),
        Route(AISP + "/accounts", _garbage),
        Route(AISP + "/accounts/{account_id}/balances", _wrong_shape),
        Route(AISP + "/accounts/{account_id}/transactions", _elsewhere),
    ])
    with serve(app) as url:
        yield url


async def test_bank_down_is_unavailable() -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        connector = connector_for(http, closed_port_url())
        with pytest.raises(BankUnavailable):
            await connector.start_linking(["ReadBalances"], REDIRECT)
        with pytest.raises(BankUnavailable):
            await connector.accounts(TOKENS)


async def test_timeout_is_unavailable(broken_bank: str) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(1e-6)) as http:
        with pytest.raises(BankUnavailable):
            await connector_for(http, broken_bank).accounts(TOKENS)


async def test_5xx_is_unavailable(broken_bank: str) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        with pytest.raises(BankUnavailable, match="503"):
            await connector_for(http, broken_bank).start_linking(["ReadBalances"], REDIRECT)


async def test_malformed_json_is_unavailable(broken_bank: str) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        connector = connector_for(http, broken_bank)
        with pytest.raises(BankUnavailable, match="malformed JSON"):
            await connector.accounts(TOKENS)
        with pytest.raises(BankUnavailable, match="unexpected response"):
            await connector.balances(TOKENS, "a")


async def test_next_link_to_another_host_is_not_followed(broken_bank: str) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        with pytest.raises(BankUnavailable, match="points elsewhere"):
            await connector_for(http, broken_bank).transactions(TOKENS, "a", None, None)
