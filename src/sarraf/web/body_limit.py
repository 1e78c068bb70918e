"""Every request body is bounded while it streams in, before anything parses it (a pure ASGI middleware).

A route's limit is the first matching rule's (path pattern, and optionally the content types it applies to),
else the default. A request whose Content-Length says more is answered 413 at once, without reading a byte;
a body without one (chunked) is counted as it arrives and answered 413 as soon as it passes the limit, so a
300 MB upload costs the process at most one limit's worth of memory, not 300 MB (issue #22, finding 3).

Once the limit is passed the application sees the body end in an error (whatever it does with that), and
whatever it answers is replaced by our 413: the caller always learns why. The connection is not closed on
the caller: the server discards the rest of the body as it comes (uvicorn does, once the response is
complete), so a client that writes its whole body before reading still gets the 413 instead of a reset.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_LIMIT = 1_048_576  # 1 MiB: platform webhooks, the sandbox bank's forms and JSON, the APIs


@dataclass(frozen=True, slots=True)
class Rule:
    pattern: str  # a regular expression matched against the whole path
    limit: int
    content_types: frozenset[str] | None = None  # None: any

    def applies(self, path: str, content_type: str) -> bool:
        return re.fullmatch(self.pattern, path) is not None and (
            self.content_types is None or content_type in self.content_types)


# The gateway's routes that take more, or should take less, than the default.
GATEWAY_RULES = (
    # A chat message is at most 20,000 characters (routes_webchat.MAX_TEXT): 120 KB even when a client
    # escapes every one as a six-character \u escape in its JSON.
    Rule(r"/webchat/api/.*", 256_000),
    # Bank events: a batch of up to 1,000 SETs as JSON, else one SET (routes_alerts' own limits).
    Rule(r"/banks/[^/]+/events", 8_000_000, frozenset({"application/json"})),
    Rule(r"/banks/[^/]+/events", 64_000),
)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large: this route takes at most {limit} bytes")
        self.limit = limit


class BodyLimit:
    def __init__(self, app: ASGIApp, *, default: int = DEFAULT_LIMIT, rules: Sequence[Rule] = GATEWAY_RULES) -> None:
        self.app = app
        self.default = default
        self.rules = tuple(rules)

    def limit_for(self, path: str, content_type: str) -> int:
        return next((rule.limit for rule in self.rules if rule.applies(path, content_type)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", ())}
        content_type = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
        limit = self.limit_for(scope.get("path", ""), content_type)
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, 413 if declared.isdigit() else 400,
                          f"request body too large: this route takes at most {limit} bytes"
                          if declared.isdigit() else "malformed content-length")
            return
        guard = _Guard(receive, send, limit)
        try:
            await self.app(scope, guard.receive, guard.send)
        except Exception:
            if not guard.exceeded:
                raise
        if guard.exceeded and not guard.started:
            await _refuse(send, 413, f"request body too large: this route takes at most {limit} bytes")


class _Guard:
    """Counts the body as the application reads it; past the limit, raises into the application and keeps
    its answer from going out (ours goes instead)."""

    def __init__(self, receive: Receive, send: Send, limit: int) -> None:
        self._receive, self._send, self._limit = receive, send, limit
        self.received = 0
        self.exceeded = False
        self.started = False

    async def receive(self) -> Message:
        if self.exceeded:
            raise BodyTooLarge(self._limit)
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self._limit:
                self.exceeded = True
                raise BodyTooLarge(self._limit)
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded:
            return  # the application's answer to a body it never fully got; ours follows
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


async def _refuse(send: Send, status: int, reason: str) -> None:
    body = json.dumps({"error": reason}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
