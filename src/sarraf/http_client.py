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


def outbound_client() -> httpx.AsyncClient:
    """httpx's API over aiohttp's pool (http_transport.py says why); `limits` still applies to the transports
    httpx mounts for proxies named in the environment."""
    from sarraf.http_transport import AiohttpTransport

    return httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0), limits=HTTP_LIMITS,
                             transport=AiohttpTransport(HTTP_LIMITS))
