"""The gateway's outbound client (httpx over aiohttp's pool) against real servers on 127.0.0.1: what the bank
connector and the platform senders rely on — bodies, headers, cookies, redirects, compression, keep-alive — and
each failure arriving as the httpx exception that says what happened (refused ≠ timed out ≠ dropped)."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sarraf.http_client import outbound_client
from sarraf.web.threaded_server import free_port, serve_in_thread

PEERS: list[int] = []  # the client port of every request the echo server saw


async def echo(request: Request) -> JSONResponse:
    assert request.client is not None
    PEERS.append(request.client.port)
    body = await request.body()
    return JSONResponse({"method": request.method, "path": request.url.path, "query": request.url.query,
                         "body": body.decode(), "x_many": request.headers.getlist("x-many"),
                         "cookie": request.headers.get("cookie", ""), "length": request.headers.get("content-length"),
                         "type": request.headers.get("content-type")},
                        headers={"X-Reason": "echo"})


async def cookies(request: Request) -> Response:
    response = Response("set", status_code=201)
    response.set_cookie("session", "abc")
    response.set_cookie("lang", "pl")
    return response


async def moved(request: Request) -> RedirectResponse:
    return RedirectResponse("/echo?from=moved", status_code=302)


async def zipped(request: Request) -> Response:
    return Response(gzip.compress("zażółć gęślą jaźń".encode() * 50), headers={"Content-Encoding": "gzip"},
                    media_type="text/plain; charset=utf-8")


async def slow(request: Request) -> Response:
    await asyncio.sleep(2)
    return Response("late")


async def failing(request: Request) -> Response:
    return Response("no", status_code=503)


APP = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST", "PUT", "DELETE"]),
                        Route("/cookies", cookies), Route("/moved", moved), Route("/zipped", zipped),
                        Route("/slow", slow), Route("/failing", failing)])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_in_thread(APP) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = outbound_client()
    yield client
    await client.aclose()


async def test_requests_arrive_as_sent_and_answers_come_back_whole(server: str, http: httpx.AsyncClient) -> None:
    answer = await http.post(f"{server}/echo", params={"a": "1", "b": "ź"}, json={"amount": "12.50"},
                             headers=[("X-Many", "one"), ("X-Many", "two")])
    assert answer.status_code == 200 and answer.reason_phrase == "OK"
    assert answer.headers["x-reason"] == "echo" and answer.http_version == "HTTP/1.1"
    seen = answer.json()
    assert seen["method"] == "POST" and seen["path"] == "/echo"
    assert httpx.QueryParams(seen["query"]) == httpx.QueryParams({"a": "1", "b": "ź"})
    assert seen["body"] == '{"amount":"12.50"}' and seen["length"] == str(len(seen["body"]))
    assert seen["x_many"] == ["one", "two"]
    assert seen["type"] == "application/json"
    assert (await http.post(f"{server}/echo", content=b"raw")).json()["type"] is None  # nothing added below httpx
    assert (await http.delete(f"{server}/echo")).json()["method"] == "DELETE"
    assert (await http.get(f"{server}/failing")).status_code == 503


async def test_a_streamed_body_is_sent_whole(server: str, http: httpx.AsyncClient) -> None:
    async def parts() -> AsyncIterator[bytes]:
        for piece in (b"first,", b"second,", b"third"):
            yield piece

    assert (await http.put(f"{server}/echo", content=parts())).json()["body"] == "first,second,third"


async def test_cookies_and_decoding_stay_with_httpx(server: str, http: httpx.AsyncClient) -> None:
    assert (await http.get(f"{server}/cookies")).status_code == 201
    assert dict(http.cookies) == {"session": "abc", "lang": "pl"}  # both Set-Cookie headers kept
    cookie = (await http.get(f"{server}/echo")).json()["cookie"]
    assert sorted(cookie.split("; ")) == ["lang=pl", "session=abc"]  # sent once, by httpx's jar
    zipped = await http.get(f"{server}/zipped")
    assert zipped.text == "zażółć gęślą jaźń" * 50


async def test_redirects_are_followed_only_when_asked(server: str, http: httpx.AsyncClient) -> None:
    first = await http.get(f"{server}/moved")
    assert first.status_code == 302 and first.headers["location"] == "/echo?from=moved"
    followed = await http.get(f"{server}/moved", follow_redirects=True)
    assert followed.json()["query"] == "from=moved" and len(followed.history) == 1


async def test_connections_are_kept_alive(server: str, http: httpx.AsyncClient) -> None:
    PEERS.clear()
    for _ in range(20):
        (await http.get(f"{server}/echo")).raise_for_status()
    assert len(set(PEERS)) == 1
    PEERS.clear()
    await asyncio.gather(*(http.get(f"{server}/echo") for _ in range(30)))
    assert 1 < len(set(PEERS)) <= 30  # concurrent requests open more, within the pool's limit


async def test_a_refused_connection_is_a_connect_error_not_a_timeout(http: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.ConnectError) as refused:
        await http.get(f"http://127.0.0.1:{free_port()}/")
    assert not isinstance(refused.value, httpx.TimeoutException)


async def test_a_slow_answer_is_a_read_timeout(server: str, http: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.ReadTimeout):
        await http.get(f"{server}/slow", timeout=httpx.Timeout(5.0, read=0.2))
    assert (await http.get(f"{server}/echo")).status_code == 200  # the pool is still usable


@pytest.fixture
def dropping_server() -> Iterator[str]:
    """Accepts, reads the request, answers half a status line and closes: a peer dying mid-answer."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(5)

    def serve_once() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")

    thread = threading.Thread(target=serve_once, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    thread.join(timeout=5)


async def test_a_peer_dropping_mid_answer_is_a_transport_error(dropping_server: str,
                                                                http: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.TransportError) as dropped:
        await http.get(f"{dropping_server}/")
    assert not isinstance(dropped.value, httpx.TimeoutException | httpx.ConnectError)
