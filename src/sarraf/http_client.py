"""The one outbound HTTP client of a gateway process (banks and platforms share it), set up for many concurrent
turns. Imported by the composition root; the skeleton turn of bench/chat.py uses it too, so that the floor it
measures is the same client doing the same work."""

from __future__ import annotations

import importlib.util
import sys

import httpx

# Every connection to a bank or a platform is kept alive: with httpx's default (20 of 100 kept) a few dozen
# concurrent turns closed and reopened connections continually, a TCP handshake on both sides per call.
HTTP_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)
if importlib.util.find_spec("sniffio") is None:
    # httpcore imports sniffio afresh for every lock and event it creates (several per request); when it is not
    # installed each failed import searched the whole sys.path again (a failed import is not remembered).
    # None in sys.modules makes it fail at once, the same way: httpcore then assumes asyncio, as before.
    sys.modules["sniffio"] = None  # type: ignore[assignment]


class _BuiltOnFirstRequest(httpx.AsyncBaseTransport):
    """The aiohttp transport, imported and built when the first request goes out: importing aiohttp and loading
    the CA bundle cost ~0.15 s of CPU, which a process that never calls out (most CLI commands) or a start-up
    whose first answer needs no bank (a greeting, the link offer) should not wait for."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._built: httpx.AsyncBaseTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._built is None:
            from sarraf.http_transport import AiohttpTransport

            self._built = AiohttpTransport(self._limits)
        return await self._built.handle_async_request(request)

    async def aclose(self) -> None:
        if self._built is not None:
            await self._built.aclose()


def outbound_client() -> httpx.AsyncClient:
    """httpx's API over aiohttp's pool (http_transport.py says why); `limits` still applies to the transports
    httpx mounts for proxies named in the environment."""
    return httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0), limits=HTTP_LIMITS,
                             transport=_BuiltOnFirstRequest(HTTP_LIMITS))
