"""Webhooks of the chat platforms, written once for every platform registered in channels/registry.py.

Every request is checked before anything in it is believed (channels/webhook.py): the bank must have an account
on the platform (403), size (413 past 1 MiB, before reading further), authenticity (the adapter's `verify`: 401
without a signature, 403 with a wrong one or when the bank has no secret configured), then JSON (400 with the
reason; nesting bounded by sarraf/json_body.py). Nothing is logged in clear: no tokens, no message text. A
failure while answering one event is logged by type and does not stop the rest of the batch; the platform gets a
2xx so it does not redeliver a batch whose answered events are absorbed by their idempotency keys anyway.

`<webhook path>` serves the default bank, `<webhook path>/<bank>` any bank (e.g. /channels/messenger/webhook,
/channels/messenger/webhook/<bank>, /channels/alexa, /channels/alexa/<bank>); platforms that verify their
subscription with a GET (Meta's) get the same two paths for it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from sarraf.channels.platform_http import PlatformError
from sarraf.channels.port import PlatformChannel
from sarraf.channels.registry import PLATFORMS
from sarraf.channels.webhook import (
    NOT_UNDERSTOOD,
    Refused,
    Replier,
    WebhookRequest,
    json_object,
    read_body,
)
from sarraf.channels.webhook_models import NotUnderstood
from sarraf.domain.messages import Inbound, Outbound
from sarraf.observability import MESSAGES, REJECTED, REPLIES, TURN_SECONDS, WEBHOOK_SKIPPED
from sarraf.web.deps import container_of
from sarraf.web.outage import STORE_FAILURES

log = logging.getLogger(__name__)
router = APIRouter(tags=["chat platforms"])

Platform = type[PlatformChannel[Any]]


def _refuse(channel: str, refused: Refused) -> JSONResponse:
    REJECTED.labels(channel, refused.reason).inc()
    log.info("%s webhook refused: %s", channel, refused.reason)
    return JSONResponse({"error": refused.reason}, status_code=refused.status)


def _skip(platform: str, exc: Exception) -> JSONResponse:
    reason = exc.reason if isinstance(exc, NotUnderstood) else type(exc).__name__
    WEBHOOK_SKIPPED.labels(platform, reason).inc()
    log.warning("%s webhook skipped: payload not understood (%s)", platform, reason)
    return JSONResponse({"status": "skipped", "reason": f"payload not understood: {reason}"})


def _channel(request: Request, platform: Platform, bank: str | None) -> tuple[PlatformChannel[Any], str]:
    container = container_of(request)
    channel = container.channels.channels.get(platform.name)
    tenant = bank or container.default_tenant
    if not isinstance(channel, platform) or not channel.serves(tenant):
        raise Refused(403, "channel not configured for this bank")
    return channel, tenant


class _Turns:
    """The gateway's side of channels/webhook.py's Turns, for one request."""

    def __init__(self, request: Request) -> None:
        self._container = container_of(request)

    async def answer(self, tenant: str, inbound: Inbound, replier: Replier) -> None:
        MESSAGES.labels(inbound.channel).inc()
        try:
            async with self._container.one_turn(inbound.channel, inbound.sender):  # in order per customer
                with TURN_SECONDS.labels(inbound.channel).time():
                    replies = await self._container.conversation.handle(tenant, inbound)
                await replier.reply(inbound.sender, replies)
            REPLIES.labels(inbound.channel).inc(len(replies))
        except PlatformError as exc:
            log.warning("%s: the platform refused a reply (HTTP %s, code %s)", inbound.channel, exc.status,
                        exc.code)
        except STORE_FAILURES:
            raise  # our store is down: answered 503 (web/outage.py), so the platform delivers the event again
        except Exception as exc:  # one bad event must not lose the rest of the batch
            log.error("%s: answering an event failed: %s", inbound.channel, type(exc).__name__)

    async def converse(self, tenant: str, inbound: Inbound) -> list[Outbound]:
        MESSAGES.labels(inbound.channel).inc()
        with TURN_SECONDS.labels(inbound.channel).time():
            replies = await self._container.conversation.handle(tenant, inbound)
        REPLIES.labels(inbound.channel).inc(len(replies))
        return replies

    async def note(self, tenant: str, inbound: Inbound) -> None:
        """Delivery and read receipts mark the alerts they cover; nothing is answered."""
        try:
            await self._container.conversation.handle(tenant, inbound)
        except Exception as exc:  # a receipt lost is a timestamp missing, never a reason to refuse the batch
            log.error("%s: noting a receipt failed: %s", inbound.channel, type(exc).__name__)


async def _handshake(request: Request, platform: Platform, bank: str | None) -> Response:
    try:
        channel, tenant = _channel(request, platform, bank)
    except Refused as refused:
        return _refuse(platform.name, refused)
    challenge = channel.handshake(tenant, request.query_params)
    if challenge is None:
        return _refuse(platform.name, Refused(403, "verify token mismatch"))
    return PlainTextResponse(challenge)


async def _events(request: Request, platform: Platform, bank: str | None) -> Response:
    try:
        channel, tenant = _channel(request, platform, bank)
        raw = await read_body(request.headers.get("content-length"), request.stream())
        await channel.verify(tenant, WebhookRequest(request.headers, raw))
        body = json_object(raw)
        try:
            parsed = await channel.parse(tenant, body)
        except ValueError as exc:
            raise Refused(400, str(exc)) from exc
        except NOT_UNDERSTOOD as exc:
            return _skip(platform.name, exc)
    except Refused as refused:
        return _refuse(platform.name, refused)
    answer = await channel.respond(tenant, parsed, _Turns(request))
    return JSONResponse(answer.body, status_code=answer.status)


def _routes(platform: Platform) -> None:
    """The platform's webhook for the default bank and for any bank, and its subscription check if it has one."""
    path, summary = platform.webhook.path, platform.webhook.summary

    def bound(handler: Callable[[Request, Platform, str | None], Awaitable[Response]],
              with_bank: bool) -> Callable[..., Awaitable[Response]]:
        async def default_bank(request: Request) -> Response:
            return await handler(request, platform, None)

        async def any_bank(request: Request, bank: str) -> Response:
            return await handler(request, platform, bank)

        return any_bank if with_bank else default_bank

    if platform.webhook.handshake:
        for with_bank in (False, True):
            router.add_api_route(path + ("/{bank}" if with_bank else ""), bound(_handshake, with_bank),
                                 methods=["GET"], name=f"{platform.name}_verify{'_bank' if with_bank else ''}",
                                 summary=f"{platform.capabilities.title} subscription handshake")
    for with_bank in (False, True):
        router.add_api_route(path + ("/{bank}" if with_bank else ""), bound(_events, with_bank),
                             methods=["POST"], name=f"{platform.name}_events{'_bank' if with_bank else ''}",
                             summary=summary)


for _platform in PLATFORMS:
    _routes(_platform)
