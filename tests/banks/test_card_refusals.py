"""A card-control call the bank declines (400/409/422) is BankRefused, with the card's status as the reason —
not BankUnavailable, which means the bank did not answer."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.domain.errors import BankRefused, BankUnavailable
from sarraf.domain.events import CardAction
from tests.banks.test_failures import TOKENS, _discovery, _token
from tests.banks.test_openbanking import _link
from tests.support.live_server import serve

CARD = {"CardId": "c-1", "Last4": "1234", "Status": "active", "AccountId": "a-1"}


async def test_freezing_a_card_blocked_as_lost_is_refused_as_blocked(connector: OpenBankingConnector,
                                                                     http: httpx.AsyncClient) -> None:
    _, tokens = await _link(connector, http, "sandbox-en-2")
    await connector.card_action(tokens, "sandbox-en-2-debit", CardAction.REPORT_LOST)
    with pytest.raises(BankRefused) as refused:
        await connector.card_action(tokens, "sandbox-en-2-debit", CardAction.FREEZE)
    assert refused.value.reason == BankRefused.CARD_BLOCKED


def _declining(status: int):  # type: ignore[no-untyped-def]
    async def declined(_: Request) -> Response:
        return JSONResponse({"Code": str(status), "Errors": [{"ErrorCode": "U004", "Message": "no"}]}, status)
    return declined


async def _cards(_: Request) -> Response:
    return JSONResponse({"Data": {"Card": [CARD]}})


@pytest.fixture(scope="module")
def declining_bank() -> Iterator[str]:
    routes = [Route("/.well-known/openid-configuration", _discovery), Route("/token", _token, methods=["POST"]),
              Route("/sarraf/v1/cards", _cards),
              Route("/sarraf/v1/cards/c-1/freeze", _declining(409), methods=["POST"]),
              Route("/sarraf/v1/cards/c-1/unfreeze", _declining(422), methods=["POST"]),
              Route("/sarraf/v1/cards/c-1/report-lost", _declining(503), methods=["POST"])]
    with serve(Starlette(routes=routes)) as url:
        yield url


@pytest.mark.parametrize("action", [CardAction.FREEZE, CardAction.UNFREEZE])
async def test_a_declined_action_on_an_active_card_is_a_plain_refusal(declining_bank: str, http: httpx.AsyncClient,
                                                                      action: CardAction) -> None:
    connector = OpenBankingConnector(http, base_url=declining_bank, client_id="sarraf", client_secret="s",
                                     financial_id="f", tenant="t")
    with pytest.raises(BankRefused) as refused:
        await connector.card_action(TOKENS, "c-1", action)
    assert refused.value.reason == BankRefused.REFUSED


async def test_a_bank_failing_with_5xx_is_still_unavailable(declining_bank: str, http: httpx.AsyncClient) -> None:
    connector = OpenBankingConnector(http, base_url=declining_bank, client_id="sarraf", client_secret="s",
                                     financial_id="f", tenant="t")
    with pytest.raises(BankUnavailable):
        await connector.card_action(TOKENS, "c-1", CardAction.REPORT_LOST)
