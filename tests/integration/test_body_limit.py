"""Every request body is bounded while it streams (issue #22, finding 3): a chunked body past a route's limit
is answered 413 with a reason as soon as it passes the limit, a Content-Length past it without reading a
byte, and the gateway goes on serving. Over real sockets on 127.0.0.1; the streaming bound also directly on
the ASGI middleware, counting what it pulled."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse

from sarraf.web.body_limit import BodyLimit, Rule
from tests.integration.conftest import Gateway

MB = 1_000_000


def _chunks(total: int, size: int = 64_000) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        sent += size
        yield b"x" * size


async def _achunks(total: int) -> AsyncIterator[bytes]:
    for chunk in _chunks(total):
        yield chunk


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as client:
        yield client


@pytest.mark.parametrize(("path", "content_type", "size"), [
    ("/webchat/api/messages", "application/json", 5 * MB),
    ("/banks/sandbox/events", "application/secevent+jwt", MB),
    ("/banks/sandbox/events", "application/json", 20 * MB),
    ("/bank/oauth/token", "application/x-www-form-urlencoded", 5 * MB),
])
async def test_a_chunked_body_past_the_limit_is_413_with_a_reason(gateway: Gateway, http: httpx.AsyncClient,
                                                                  path: str, content_type: str, size: int) -> None:
    try:
        response = await http.post(gateway.url + path, content=_achunks(size), headers={"content-type": content_type})
    except httpx.WriteError:
        pytest.fail("the gateway hung up without an answer")
    assert response.status_code == 413, response.text
    assert "too large" in response.json()["error"] and "at most" in response.json()["error"]
    assert (await http.get(gateway.url + "/healthz")).status_code == 200


async def test_a_declared_length_past_the_limit_is_refused_before_the_body(gateway: Gateway) -> None:
    host, port = urlsplit(gateway.url).hostname, urlsplit(gateway.url).port
    assert host and port

    def exchange() -> bytes:
        with socket.create_connection((host, port), timeout=10) as sock:  # headers only: no body ever comes
            sock.sendall(b"POST /webchat/api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 300000000\r\n\r\n")
            return sock.recv(65536)

    answer = await asyncio.to_thread(exchange)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"at most 256000 bytes" in answer


async def test_bodies_within_the_limit_pass(gateway: Gateway, http: httpx.AsyncClient) -> None:
    body = json.dumps({"session": "a" * 24, "text": "ok " * 30_000}).encode()  # chunked, 90 KB: reaches pydantic
    response = await http.post(gateway.url + "/webchat/api/messages", content=_one(body),
                               headers={"content-type": "application/json"})
    assert response.status_code == 422 and "text" in response.text  # the route's own limit speaks, not ours
    batch = await http.post(gateway.url + "/banks/sandbox/events", content=_one(b"{" + b" " * 2 * MB + b"}"),
                            headers={"content-type": "application/json"})
    assert batch.status_code == 400  # 2 MB of batch JSON is allowed through to the intake, which explains


async def _one(body: bytes) -> AsyncIterator[bytes]:
    yield body


async def test_the_middleware_stops_reading_at_the_limit() -> None:
    """An endless body: the middleware pulls no more than the limit (plus one chunk) before answering."""
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        body = await Request(scope, receive).body()
        await JSONResponse({"read": len(body)})(scope, receive, send)

    limited = BodyLimit(app, default=10_000, rules=[Rule(r"/big", 1_000_000)])
    pulled = 0

    async def receive() -> dict[str, object]:
        nonlocal pulled
        pulled += 1000
        return {"type": "http.request", "body": b"y" * 1000, "more_body": True}

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/small", "headers": [], "query_string": b""}
    await limited(scope, receive, send)
    assert sent[0]["status"] == 413 and pulled == 11_000
    assert b"at most 10000 bytes" in sent[1]["body"]  # type: ignore[operator]
    assert limited.limit_for("/big", "") == 1_000_000
