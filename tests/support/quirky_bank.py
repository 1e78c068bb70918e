"""A test bank that answers like real banks do, not like the OB specification says (#17, connector checks).

Served over real HTTP on 127.0.0.1 (tests/support/live_server.serve). Under `/ok` it answers every AIS call,
with what real banks send: optional fields absent, unknown enum values, extra fields, amounts as JSON numbers,
lower-case currencies, dates with nanoseconds, no-colon offsets or no time at all, and paged transactions
whose pages repeat entries and whose `Next` link leads back to the first page. Under `/slow` every answer
takes SLOW_S seconds; under `/cut` the bank starts its answer and drops the connection mid-body.
`resetting_server()` is a TCP listener that answers every connection with a reset (RST).

Linking is a real authorisation code flow with PKCE, quirks included: `/authorize` sends the browser back
with extra parameters, `/token` checks the code, the redirect URI and the S256 verifier and answers with
`expires_in` as a string and a lower-case `token_type`; the consent reads back with a no-colon offset and
nanoseconds. Every AIS call's bearer is kept in `Grants.bearers`, so a test can tell the linked token was used.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import socket
import struct
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

AISP = "/open-banking/v4.0/aisp"
SLOW_S = 10.0
ACCOUNT = "acc-1"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + request.scope.get("root_path", "")


async def _discovery(request: Request) -> Response:
    base = _base(request)
    return JSONResponse({"authorization_endpoint": base + "/authorize", "token_endpoint": base + "/token",
                         "issuer": base, "extra": {"ignored": True}})


@dataclass
class Grants:
    """The bank's side of linking: codes waiting to be exchanged, tokens issued, bearers seen on AIS calls."""

    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)
    bearers: list[str] = field(default_factory=list)
    consents: dict[str, list[str]] = field(default_factory=dict)  # id -> the permissions asked for

    async def consent(self, request: Request) -> Response:
        consent_id = f"c-{len(self.consents) + 1}"
        self.consents[consent_id] = list((await request.json())["Data"]["Permissions"])
        return JSONResponse({"Data": {"ConsentId": consent_id, "Status": "AWAU", "Permissions": ["ReadBalances"],
                                      "CreationDateTime": "2026-12-01T10:00:00+0000"}, "Risk": {}, "Links": {}},
                            status_code=201)

    async def consent_read(self, request: Request) -> Response:
        consent_id = request.path_params["consent_id"]
        return JSONResponse({"Data": {"ConsentId": consent_id, "Status": "AUTH",
                                      "Permissions": self.consents.get(consent_id, []),
                                      "CreationDateTime": "2026-12-01T10:00:00+0000",
                                      "ExpirationDateTime": "2099-03-01T10:00:00.000000001+0000",
                                      "StatusUpdateDateTime": "2026-12-01T10:00:01Z"}, "Risk": {}, "Links": {}})

    async def authorize(self, request: Request) -> Response:
        asked = request.query_params
        if asked.get("response_type") != "code" or asked.get("code_challenge_method") != "S256":
            return JSONResponse({"error": "unsupported_response_type"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"challenge": asked["code_challenge"], "redirect_uri": asked["redirect_uri"]}
        back = {"code": code, "state": asked["state"], "session_state": "x.y", "iss": _base(request)}
        return RedirectResponse(f"{asked['redirect_uri']}?{urlencode(back)}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "authorization_code":  # client credentials: the consent's own token
            return JSONResponse({"access_token": "t", "token_type": "Bearer", "expires_in": "300",
                                 "scope": "accounts"})
        grant = self.codes.pop(str(form.get("code")), None)
        verifier = str(form.get("code_verifier", "")).encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if grant is None or grant["challenge"] != challenge or grant["redirect_uri"] != form.get("redirect_uri"):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access = secrets.token_urlsafe(16)
        self.issued.append(access)
        return JSONResponse({"access_token": access, "token_type": "bearer", "expires_in": "3600",
                             "refresh_token": secrets.token_urlsafe(16), "scope": "openid accounts",
                             "id_token": "not.a.jwt"})

    def seen(self, answer: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def recorded(request: Request) -> Response:
            self.bearers.append(request.headers.get("authorization", "").removeprefix("Bearer "))
            return await answer(request)
        return recorded


async def _accounts(_: Request) -> Response:
    return JSONResponse({"Data": {"Account": [
        {"AccountId": ACCOUNT, "Currency": "gbp", "AccountTypeCode": "XXXX", "AccountCategory": "Weird",
         "Status": "Enabled", "Account": [{"SchemeName": "UK.OBIE.SortCodeAccountNumber",
                                            "Identification": "80200110203345", "SecondaryIdentification": "1"}]},
        {"AccountId": "acc-2"},  # nothing optional at all
    ]}, "Links": {"Self": "x"}, "Meta": {"TotalPages": 1, "Unknown": "yes"}})


async def _balances(_: Request) -> Response:
    return JSONResponse({"Data": {"Balance": [
        {"AccountId": ACCOUNT, "Amount": {"Amount": 1234.5, "Currency": "gbp"}, "CreditDebitIndicator": "CRDT",
         "Type": "ZZZZ", "DateTime": "2026-12-01T10:00:00.123456789Z", "CreditLine": [{"Included": True}]},
        {"AccountId": ACCOUNT, "Amount": {"Amount": "20.00", "Currency": "GBP"}, "CreditDebitIndicator": "Debit",
         "Type": "ITAV", "DateTime": "2026-12-01"},
    ]}, "Links": {}, "Meta": {}})


def _transaction(number: int | None, amount: Any, booked: str) -> dict[str, Any]:
    item: dict[str, Any] = {"AccountId": ACCOUNT, "Amount": {"Amount": amount, "Currency": "gbp"},
                            "CreditDebitIndicator": "DBIT", "Status": "Mystery", "BookingDateTime": booked,
                            "SupplementaryData": {"anything": [1, 2]}}
    if number is not None:
        item["TransactionId"] = f"t{number}"
    return item


async def _transactions(request: Request) -> Response:
    base = f"{_base(request)}{AISP}/accounts/{ACCOUNT}/transactions"
    page = request.query_params.get("page", "1")
    if page == "1":
        items = [_transaction(1, "1.50", "2026-12-01T09:00:00+0000"), _transaction(2, 2, "2026-12-01")]
        following = f"{base}?page=2"
    else:  # the second page repeats t2 and sends us back to the first one
        items = [_transaction(2, 2, "2026-12-01"), _transaction(3, "3.25", "2026-12-02T08:00:00Z"),
                 _transaction(None, "4", "2026-12-02T09:00:00Z")]
        following = f"{base}?page=1"
    return JSONResponse({"Data": {"Transaction": items}, "Links": {"Self": base, "Next": following},
                         "Meta": {"TotalPages": 2}})


def _routes(grants: Grants) -> list[Route]:
    return [Route("/.well-known/openid-configuration", _discovery), Route("/authorize", grants.authorize),
            Route("/token", grants.token, methods=["POST"]),
            Route(AISP + "/account-access-consents", grants.consent, methods=["POST"]),
            Route(AISP + "/account-access-consents/{consent_id}", grants.consent_read),
            Route(AISP + "/accounts", grants.seen(_accounts)),
            Route(AISP + "/accounts/{account_id}/balances", grants.seen(_balances)),
            Route(AISP + "/accounts/{account_id}/transactions", grants.seen(_transactions))]


def _slow(app: Starlette) -> Any:
    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(SLOW_S)
        await app(scope, receive, send)
    return slow


async def _cut(scope: Scope, receive: Receive, send: Send) -> None:
    """Promises a JSON body, sends half of it and drops the connection."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"400")]})
    await send({"type": "http.response.body", "body": b'{"Data": {"Acc', "more_body": True})
    raise ConnectionResetError("the bank dropped the connection")


def quirky_bank(grants: Grants | None = None) -> Starlette:
    """The bank; `grants`: its linking state, for a test to look into (a fresh one otherwise)."""
    grants = grants or Grants()
    return Starlette(routes=[Mount("/ok", Starlette(routes=_routes(grants))),
                             Mount("/slow", _slow(Starlette(routes=_routes(grants)))), Mount("/cut", _cut)])


@contextmanager
def resetting_server() -> Iterator[str]:
    """A URL whose every connection is reset by the peer as soon as it is accepted."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close → RST
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()
