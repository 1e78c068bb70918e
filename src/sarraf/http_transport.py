"""httpx's API over aiohttp's connection pool: the transport of the gateway's outbound client (http_client.py).

Why not httpx's own transport: httpcore 1.0's pool, for every request, walks every connection it holds and asks
each whether it has expired, which polls the socket (encode/httpcore#928, open). With 64 turns in flight on
this 2-core machine a request to an empty handler cost 2.3 ms of client CPU (0.72 ms with one in flight);
through aiohttp's pool it costs 0.62 ms (0.45 ms) — measured by bench/http_client.py. Code above the transport
(connectors, channels, their tests) keeps httpx's requests, responses and exceptions.

Why not the httpx-aiohttp package: it maps aiohttp's connection errors, refused connections included, to
httpx.ConnectTimeout, and the bank connector tells "the bank timed out" from "cannot reach the bank". Here a
refused or failed connect is ConnectError, a dropped connection RemoteProtocolError, a slow answer ReadTimeout.

httpx keeps doing what it did above the transport: cookies, redirects (aiohttp's are off), content decoding
(aiohttp's is off), proxies from the environment (httpx mounts its own transports for them).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx

CHUNK = 64 * 1024


@contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    """aiohttp's exceptions as the httpx exceptions callers catch, the most specific first."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:  # no connection within the pool/connect timeout
        raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
    except (aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
    except aiohttp.ClientConnectorError as exc:  # refused, unresolvable, TLS handshake or certificate failures
        raise httpx.ConnectError(str(exc), request=request) from exc
    except aiohttp.ServerDisconnectedError as exc:
        raise httpx.RemoteProtocolError(str(exc) or "server disconnected", request=request) from exc
    except aiohttp.ClientPayloadError as exc:
        raise httpx.ReadError(str(exc), request=request) from exc
    except aiohttp.InvalidURL as exc:
        raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
    except aiohttp.ClientResponseError as exc:  # a malformed status line or headers
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc
    except (aiohttp.ClientError, OSError) as exc:  # any other failure on an established connection
        raise httpx.ReadError(f"{type(exc).__name__}: {exc}", request=request) from exc


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors(self._request):
            async for chunk in self._response.content.iter_chunked(CHUNK):
                yield chunk

    async def aclose(self) -> None:
        # back to the pool when the body was read to the end; closed (not reused) otherwise
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One aiohttp session (created on first use, inside the running event loop) for every origin."""

    def __init__(self, limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None) -> None:
        self._limits = limits
        self._ssl = ssl_context or httpx.create_ssl_context()
        self._session: aiohttp.ClientSession | None = None

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            keepalive = self._limits.keepalive_expiry
            connector = aiohttp.TCPConnector(limit=self._limits.max_connections or 0, ssl=self._ssl,
                                             keepalive_timeout=keepalive if keepalive is not None else 5.0)
            # httpx's client holds the cookies, decodes bodies and names their type; aiohttp must not do either a
            # second time (it would label a body httpx sent without a Content-Type application/octet-stream)
            self._session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                                  auto_decompress=False, skip_auto_headers=("Content-Type",))
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout: dict[str, float | None] = request.extensions.get("timeout", {})
        body: Any
        try:
            body = request.content or None
            headers = request.headers.multi_items()
        except httpx.RequestNotRead:  # a streamed body: aiohttp frames it itself
            body = request.stream
            headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "transfer-encoding"]
        with _as_httpx_errors(request):
            response = await self._open_session().request(
                request.method, str(request.url), headers=headers, data=body, allow_redirects=False,
                compress=None, timeout=aiohttp.ClientTimeout(
                    total=None, connect=timeout.get("pool"), sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read")))
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("latin-1", "replace")
        return httpx.Response(response.status, headers=list(response.raw_headers), request=request,
                              stream=_Body(response, request), extensions=extensions)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
