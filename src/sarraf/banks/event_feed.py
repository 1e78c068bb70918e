"""The bank side of real-time events, as alerts/ needs it: the bank's signing keys for Security Event Tokens
(alerts/sets.py's JwksFetcher) and its aggregated polling endpoint (alerts/ports.py's EventSource), both over
each bank's HTTP connection. Moved out of the composition root: they are adapters to the bank like the rest of
this package."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.domain.ports import BankConnector

JWKS_TTL_S = 300  # a bank rotating its keys is seen within five minutes, or at once on an unknown key id


class JwksCache:
    """A bank's JSON Web Key Set, fetched when first needed, again after JWKS_TTL_S or when asked to refresh."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self._http, self._url = http, url
        self._keys: dict[str, Any] | None = None
        self._at = 0.0

    async def __call__(self, refresh: bool) -> dict[str, Any]:
        if self._keys is None or refresh or time.monotonic() - self._at > JWKS_TTL_S:
            response = await self._http.get(self._url)
            response.raise_for_status()
            self._keys, self._at = response.json(), time.monotonic()
        return self._keys


class ConnectorEvents:
    """EventSource over each bank's OpenBankingConnector (the banks that are polled, not pushing)."""

    def __init__(self, connectors: Mapping[str, BankConnector]) -> None:
        self._connectors = connectors

    async def poll(self, tenant: str, ack: Sequence[str], errors: dict[str, dict[str, str]],
                   max_events: int) -> tuple[dict[str, str], bool]:
        connector = self._connectors[tenant]
        assert isinstance(connector, OpenBankingConnector)
        return await connector.poll_events(ack, errors, max_events)
