"""Bank failures leave a log line and a count (issue #22, finding 7): the bank, the endpoint and the reason,
the detail redacted, and `sarraf_bank_failures_total{bank, endpoint, reason}` in /metrics. A failed link
completion (the bank refusing the code) is one of them. Real banks that fail over HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.config import Settings
from sarraf.domain.consent import Tokens
from sarraf.domain.errors import BankUnavailable, ConsentUnusable
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.integration.helpers import ChatClient
from tests.support.live_server import closed_port_url, serve

AISP = "/open-banking/v4.0/aisp"
IBAN = "GB82WEST12345698765432"
SECRET = "access_token=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5"


async def _discovery(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    return JSONResponse({"authorization_endpoint": base + "/authorize", "token_endpoint": base + "/token"})


async def _token(request: Request) -> Response:
    form = await request.form()
    if form.get("grant_type") == "authorization_code":
        return JSONResponse({"error": "invalid_grant"}, status_code=400)
    return JSONResponse({"access_token": "t", "token_type": "Bearer", "expires_in": 300})


async def _down(_: Request) -> Response:
    return PlainTextResponse("maintenance", status_code=503)


async def _garbage(_: Request) -> Response:
    return PlainTextResponse("<html>not json</html>", media_type="application/json")


async def _rejects_with_personal_data(_: Request) -> Response:
    return PlainTextResponse(f"bad request for {IBAN} {SECRET}", status_code=400)


async def _elsewhere(_: Request) -> Response:
    return JSONResponse({"Data": {"Transaction": []}, "Links": {"Next": "http://evil.example/steal"}})


@pytest.fixture(scope="module")
def failing_bank() -> Iterator[str]:
    app = Starlette(routes=[
        Route("/.well-known/openid-configuration", _discovery), Route("/token", _token, methods=["POST"]),
        Route(AISP + "/account-access-consents", _down, methods=["POST"]),
        Route(AISP + "/accounts", _garbage),
        Route(AISP + "/accounts/{account_id}/balances", _rejects_with_personal_data),
        Route(AISP + "/accounts/{account_id}/transactions", _elsewhere),
    ])
    with serve(app) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def _count(bank: str, endpoint: str, reason: str) -> float:
    return REGISTRY.get_sample_value("sarraf_bank_failures_total",
                                     {"bank": bank, "endpoint": endpoint, "reason": reason}) or 0.0


def _connector(http: httpx.AsyncClient, url: str, bank: str) -> OpenBankingConnector:
    return OpenBankingConnector(http, base_url=url, client_id="sarraf", client_secret="s", financial_id="f",
                                tenant=bank)


TOKENS = Tokens("access", "refresh", datetime.now(UTC) + timedelta(minutes=5))


@pytest.mark.parametrize(("call", "endpoint", "reason", "error"), [
    (lambda c: c.start_linking(["ReadBalances"], "http://x/cb"), "account-access-consents", "server_error",
     BankUnavailable),
    (lambda c: c.finish_linking("code", "verifier", "http://x/cb"), "token/authorization_code", "refused",
     ConsentUnusable),
    (lambda c: c.accounts(TOKENS), "accounts", "malformed", BankUnavailable),
    (lambda c: c.balances(TOKENS, "a1"), "balances", "rejected", BankUnavailable),
    (lambda c: c.transactions(TOKENS, "a1", None, None), "transactions", "foreign_link", BankUnavailable),
])
async def test_each_failure_is_logged_and_counted(failing_bank: str, http: httpx.AsyncClient,
                                                  caplog: pytest.LogCaptureFixture, call, endpoint: str,  # type: ignore[no-untyped-def]
                                                  reason: str, error: type[Exception]) -> None:
    before = _count("acme", endpoint, reason)
    with caplog.at_level(logging.WARNING, logger="sarraf.banks"), pytest.raises(error):
        await call(_connector(http, failing_bank, "acme"))
    assert _count("acme", endpoint, reason) == before + 1
    (line,) = [r.getMessage() for r in caplog.records if r.name == "sarraf.banks"]
    assert line.startswith(f"bank acme: {endpoint} failed ({reason}): ")
    assert IBAN not in line and "Zm9vYmFy" not in line  # the bank's answer is logged redacted


async def test_an_unreachable_bank_is_logged_and_counted(http: httpx.AsyncClient,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    before = _count("gone", "account-access-consents", "unreachable")
    with caplog.at_level(logging.WARNING, logger="sarraf.banks"), pytest.raises(BankUnavailable):
        await _connector(http, closed_port_url(), "gone").start_linking(["ReadBalances"], "http://x/cb")
    assert _count("gone", "account-access-consents", "unreachable") == before + 1
    assert "bank gone: account-access-consents failed (unreachable)" in caplog.text


async def test_the_gateway_shows_bank_failures_in_metrics(tmp_path: Path, failing_bank: str,
                                                          http: httpx.AsyncClient) -> None:
    agreement = Path(__file__).resolve().parents[2] / "src/sarraf/policy/agreements/default.cedar"
    (tmp_path / "banks.yaml").write_text(
        f"banks:\n  - id: flaky\n    name: Flaky Bank\n    base_url: {failing_bank}\n    client_id: sarraf\n"
        f"    client_secret: s\n    agreement: {agreement}\n", encoding="utf-8")
    port = free_port()
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
                        banks_file=tmp_path / "banks.yaml", public_url=f"http://127.0.0.1:{port}", port=port)
    with serve_in_thread(create_app(settings), port=port) as url:
        await ChatClient(http, url).say("link my account")  # the bank answers 503 to the consent
        metrics = (await http.get(url + "/metrics")).text
    assert ('sarraf_bank_failures_total{bank="flaky",endpoint="account-access-consents",reason="server_error"}'
            in metrics)
