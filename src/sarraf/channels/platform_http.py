"""Calls to a chat platform's send API: rate-limited, retried on throttling and server errors, never logged
with tokens or message text.

Throttling is recognised the way each platform signals it: HTTP 429 (Telegram, WhatsApp, Graph API), a
`Retry-After` header, Telegram's `parameters.retry_after`, or a Graph API error code that means "slow down".
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Any

import httpx

from sarraf.channels.ratelimit import SendRateLimiter

log = logging.getLogger(__name__)

# Graph API codes that mean "too many calls" (4, 17, 32, 613: app/user/page/call rate; 80006: Messenger
# throughput; 130429: WhatsApp throughput; 131056: WhatsApp pair rate limit).
GRAPH_THROTTLE_CODES = frozenset({4, 17, 32, 613, 80006, 130429, 131056})


class PlatformError(Exception):
    """The platform refused a call for good (bad request, bad token, window closed) or stayed unavailable."""

    def __init__(self, platform: str, status: int, code: int | None, reason: str) -> None:
        super().__init__(f"{platform} refused the call: HTTP {status}, code {code}: {reason}")
        self.platform = platform
        self.status = status
        self.code = code


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.5  # seconds; doubled on each retry, with jitter
    max_delay: float = 30.0  # a platform asking for longer than this is not waited for inside a turn


class PlatformClient:
    """One platform account's sender: shared httpx client, its rate limiter, its retry policy."""

    def __init__(self, platform: str, http: httpx.AsyncClient, limiter: SendRateLimiter,
                 retry: RetryPolicy | None = None, headers: dict[str, str] | None = None) -> None:
        self.platform = platform
        self._http = http
        self._limiter = limiter
        self._retry = retry or RetryPolicy()
        self._headers = headers or {}

    async def post(self, url: str, body: dict[str, Any], *, limit_key: str) -> dict[str, Any]:
        last: PlatformError | None = None
        for attempt in range(self._retry.attempts):
            await self._limiter.acquire(limit_key)
            try:
                response = await self._http.post(url, json=body, headers=self._headers)
            except httpx.HTTPError as exc:
                last = PlatformError(self.platform, 0, None, type(exc).__name__)
                await self._pause(attempt, None)
                continue
            answer = _json(response)
            if response.is_success and answer.get("ok", True) is not False:
                return answer
            code = _error_code(answer)
            last = PlatformError(self.platform, response.status_code, code, _reason(answer))
            if not _retryable(response.status_code, code):
                break
            log.info("%s throttled or unavailable (HTTP %s, code %s); retry %d",
                     self.platform, response.status_code, code, attempt + 1)
            await self._pause(attempt, _retry_after(response, answer))
        assert last is not None
        raise last

    async def _pause(self, attempt: int, asked: float | None) -> None:
        if attempt + 1 >= self._retry.attempts:
            return
        backoff = self._retry.base_delay * (2 ** attempt) * (1 + random.random() / 2)
        await asyncio.sleep(min(max(asked or 0.0, backoff), self._retry.max_delay))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _error_code(answer: dict[str, Any]) -> int | None:
    error = answer.get("error")
    if isinstance(error, dict) and isinstance(error.get("code"), int):
        return int(error["code"])
    code = answer.get("error_code")  # Telegram
    return int(code) if isinstance(code, int) else None


def _reason(answer: dict[str, Any]) -> str:
    error = answer.get("error")
    if isinstance(error, dict):
        return str(error.get("type") or error.get("code") or "error")[:80]
    return str(answer.get("description") or "error")[:80]


def _retryable(status: int, code: int | None) -> bool:
    return status == 429 or status >= 500 or (code is not None and code in GRAPH_THROTTLE_CODES)


def _retry_after(response: httpx.Response, answer: dict[str, Any]) -> float | None:
    parameters = answer.get("parameters")
    if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), int | float):
        return float(parameters["retry_after"])
    header = response.headers.get("retry-after")
    try:
        return float(header) if header is not None else None
    except ValueError:
        return None
