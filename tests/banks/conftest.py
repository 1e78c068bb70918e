from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.sandbox_bank import create_app
from tests.support.live_server import serve

REDIRECT = "http://127.0.0.1:8000/link/callback"


@pytest.fixture
def bank_url() -> Iterator[str]:
    """The sandbox bank mounted at /bank (as the gateway mounts it), on a real 127.0.0.1 port."""
    with serve(Starlette(routes=[Mount("/bank", app=create_app(page_size=25))])) as url:
        yield url + "/bank"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def connector_for(http: httpx.AsyncClient, base_url: str) -> OpenBankingConnector:
    return OpenBankingConnector(http, base_url=base_url, client_id="sarraf", client_secret="sandbox-secret",
                                financial_id="0015800001041RHAAY", tenant="sandbox")


@pytest.fixture
def connector(http: httpx.AsyncClient, bank_url: str) -> OpenBankingConnector:
    return connector_for(http, bank_url)
