"""Webhooks of the chat platforms: Messenger, WhatsApp Cloud API, Telegram Bot API and Alexa.

Every request is checked before anything in it is believed: size (413 past 1 MiB, before reading further),
authenticity (401 without a signature, 403 with a wrong one or when the bank has no secret configured), then
JSON (400 with the reason; nesting bounded by web/json_body.py). Nothing is logged in clear: no tokens, no
message text. A failure while answering one event is logged by type and does not stop the rest of the
batch; the platform gets a 2xx so it does not redeliver a batch whose answered events are absorbed by their
idempotency keys anyway.

`/channels/<platform>/webhook` serves the default bank; `/channels/<platform>/webhook/<bank>` any bank.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from sarraf.channels.alexa import AlexaChannel, access_token_of, lang_of_locale, link_account_response
from sarraf.channels.alexa import parse as parse_alexa
from sarraf.channels.alexa import render as render_alexa
from sarraf.channels.alexa_verify import AlexaVerificationError
from sarraf.channels.messenger import MessengerChannel
from sarraf.channels.platform_http import PlatformError
from sarraf.channels.signatures import HUB_SIGNATURE_HEADER
from sarraf.channels.telegram import SECRET_HEADER, TelegramChannel
from sarraf.channels.webhook_models import NotUnderstood
from sarraf.channels.whatsapp import WhatsAppChannel
from sarraf.domain.messages import Inbound, InboundKind
from sarraf.observability import MESSAGES, REJECTED, REPLIES, TURN_SECONDS, WEBHOOK_SKIPPED
from sarraf.web.deps import container_of
from sarraf.web.json_body import JsonRefused, parse_json_object
from sarraf.web.outage import STORE_FAILURES

log = logging.getLogger(__name__)
router = APIRouter(tags=["chat platforms"])

MAX_BODY_BYTES = 1024 * 1024
ANSWERED = (InboundKind.TEXT, InboundKind.POSTBACK)
C = TypeVar("C")


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _refuse(channel: str, refused: Refused) -> JSONResponse:
    REJECTED.labels(channel, refused.reason).inc()
    log.info("%s webhook refused: %s", channel, refused.reason)
    return JSONResponse({"error": refused.reason}, status_code=refused.status)


async def _body(request: Request) -> bytes:
    """The raw body, refused past 1 MiB whether or not Content-Length says so."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Refused(400, "malformed content-length")
        if int(declared) > MAX_BODY_BYTES:
            raise Refused(413, "body too large")
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY_BYTES:
            raise Refused(413, "body too large")
    return bytes(received)


def _json(raw: bytes) -> dict[str, Any]:
    try:
        return parse_json_object(raw)
    except JsonRefused as exc:
        raise Refused(400, exc.reason) from exc


# A signed payload of a shape the adapter's parser did not expect (a platform changed it, or a wrong type):
# what the adapters raise reading it. Skipped with a reason and a metric instead of a 500 the platform would
# redeliver for days.
# Messenger, WhatsApp and Telegram validate each event (channels/webhook_models.py): NotUnderstood is the
# whole Telegram update; the others are a last line for adapters without models (Alexa).
NOT_UNDERSTOOD = (NotUnderstood, AttributeError, TypeError, KeyError, IndexError)


def _skip(platform: str, exc: Exception) -> JSONResponse:
    reason = exc.reason if isinstance(exc, NotUnderstood) else type(exc).__name__
    WEBHOOK_SKIPPED.labels(platform, reason).inc()
    log.warning("%s webhook skipped: payload not understood (%s)", platform, reason)
    return JSONResponse({"status": "skipped", "reason": f"payload not understood: {reason}"})


def _channel(request: Request, name: str, kind: type[C], bank: str | None) -> tuple[C, str]:
    container = container_of(request)
    channel = container.channels.channels.get(name)
    tenant = bank or container.default_tenant
    if not isinstance(channel, kind) or tenant not in getattr(channel, "accounts", {}):
        raise Refused(403, "channel not configured for this bank")
    return channel, tenant


async def _answer(request: Request, tenant: str, inbound: Inbound, channel: Any) -> None:
    container = container_of(request)
    MESSAGES.labels(inbound.channel).inc()
    try:
        async with container.one_turn(inbound.channel, inbound.sender):  # in order per customer, across workers
            with TURN_SECONDS.labels(inbound.channel).time():
                replies = await container.conversation.handle(tenant, inbound)
            await channel.reply(inbound.sender, replies)
        REPLIES.labels(inbound.channel).inc(len(replies))
    except PlatformError as exc:
        log.warning("%s: the platform refused a reply (HTTP %s, code %s)", inbound.channel, exc.status, exc.code)
    except STORE_FAILURES:
        raise  # our store is down: answered 503 (web/outage.py), so the platform delivers the event again later
    except Exception as exc:  # one bad event must not lose the rest of the batch
        log.error("%s: answering an event failed: %s", inbound.channel, type(exc).__name__)


# ---- Messenger and WhatsApp (Meta webhooks) --------------------------------------------------------------

def _meta_handshake(request: Request, name: str, kind: type[Any], bank: str | None) -> Response:
    try:
        channel, tenant = _channel(request, name, kind, bank)
    except Refused as refused:
        return _refuse(name, refused)
    params = request.query_params
    challenge = channel.handshake(tenant, params.get("hub.mode"), params.get("hub.verify_token"),
                                  params.get("hub.challenge"))
    if challenge is None:
        return _refuse(name, Refused(403, "verify token mismatch"))
    return PlainTextResponse(challenge)


async def _meta_events(request: Request, name: str, kind: type[Any], bank: str | None) -> Response:
    try:
        channel, tenant = _channel(request, name, kind, bank)
        raw = await _body(request)
        signature = request.headers.get(HUB_SIGNATURE_HEADER)
        if not signature:
            raise Refused(401, "signature missing")
        if not channel.authentic(tenant, raw, signature):
            raise Refused(403, "signature mismatch")
        try:
            events = await channel.inbound(tenant, _json(raw))
        except ValueError as exc:
            raise Refused(400, str(exc)) from exc
        except NOT_UNDERSTOOD as exc:
            return _skip(name, exc)
    except Refused as refused:
        return _refuse(name, refused)
    for inbound in events:
        if inbound.kind in ANSWERED:
            await _answer(request, tenant, inbound, channel)
        elif inbound.kind is InboundKind.RECEIPT and inbound.receipt is not None:
            await _note_receipt(request, tenant, inbound)
    return JSONResponse({"status": "ok"})


async def _note_receipt(request: Request, tenant: str, inbound: Inbound) -> None:
    """Delivery and read receipts mark the alerts they cover; nothing is answered."""
    try:
        await container_of(request).conversation.handle(tenant, inbound)
    except Exception as exc:  # a receipt lost is a timestamp missing, never a reason to refuse the batch
        log.error("%s: noting a receipt failed: %s", inbound.channel, type(exc).__name__)


@router.get("/channels/messenger/webhook")
async def messenger_verify(request: Request) -> Response:
    """Meta's subscription handshake: echo `hub.challenge` when `hub.verify_token` matches."""
    return _meta_handshake(request, "messenger", MessengerChannel, None)


@router.get("/channels/messenger/webhook/{bank}")
async def messenger_verify_bank(request: Request, bank: str) -> Response:
    return _meta_handshake(request, "messenger", MessengerChannel, bank)


@router.post("/channels/messenger/webhook")
async def messenger_events(request: Request) -> Response:
    """Messenger events, signed with X-Hub-Signature-256; every entry and every event is answered."""
    return await _meta_events(request, "messenger", MessengerChannel, None)


@router.post("/channels/messenger/webhook/{bank}")
async def messenger_events_bank(request: Request, bank: str) -> Response:
    return await _meta_events(request, "messenger", MessengerChannel, bank)


@router.get("/channels/whatsapp/webhook")
async def whatsapp_verify(request: Request) -> Response:
    return _meta_handshake(request, "whatsapp", WhatsAppChannel, None)


@router.get("/channels/whatsapp/webhook/{bank}")
async def whatsapp_verify_bank(request: Request, bank: str) -> Response:
    return _meta_handshake(request, "whatsapp", WhatsAppChannel, bank)


@router.post("/channels/whatsapp/webhook")
async def whatsapp_events(request: Request) -> Response:
    """WhatsApp Cloud API notifications, signed with X-Hub-Signature-256."""
    return await _meta_events(request, "whatsapp", WhatsAppChannel, None)


@router.post("/channels/whatsapp/webhook/{bank}")
async def whatsapp_events_bank(request: Request, bank: str) -> Response:
    return await _meta_events(request, "whatsapp", WhatsAppChannel, bank)


# ---- Telegram ------------------------------------------------------------------------------------------

async def _telegram(request: Request, bank: str | None) -> Response:
    try:
        channel, tenant = _channel(request, "telegram", TelegramChannel, bank)
        raw = await _body(request)
        secret = request.headers.get(SECRET_HEADER)
        if secret is None:
            raise Refused(401, "secret token missing")
        if not channel.authentic(tenant, secret):
            raise Refused(403, "secret token mismatch")
        try:
            update = await channel.parse(tenant, _json(raw))
        except ValueError as exc:
            raise Refused(400, str(exc)) from exc
        except NOT_UNDERSTOOD as exc:
            return _skip("telegram", exc)
    except Refused as refused:
        return _refuse("telegram", refused)
    if update.callback_query_id:
        try:
            await channel.answer_callback(tenant, update.callback_query_id)
        except PlatformError as exc:
            log.warning("telegram: answerCallbackQuery refused (HTTP %s)", exc.status)
    if update.inbound is not None:
        await _answer(request, tenant, update.inbound, channel)
    return JSONResponse({"status": "ok"})


@router.post("/channels/telegram/webhook")
async def telegram_update(request: Request) -> Response:
    """Bot API updates; X-Telegram-Bot-Api-Secret-Token must equal the secret_token given to setWebhook."""
    return await _telegram(request, None)


@router.post("/channels/telegram/webhook/{bank}")
async def telegram_update_bank(request: Request, bank: str) -> Response:
    return await _telegram(request, bank)


# ---- Alexa ---------------------------------------------------------------------------------------------

async def _alexa(request: Request, bank: str | None) -> Response:
    try:
        channel, tenant = _channel(request, "alexa", AlexaChannel, bank)
        raw = await _body(request)
        try:  # the signature first: an unsigned body is never parsed
            await channel.verifier.verify_signature(request.headers, raw)
            envelope = _json(raw)
            channel.verifier.check_timestamp(envelope)
        except AlexaVerificationError as exc:
            raise Refused(400 if "timestamp" in str(exc) else 403, str(exc)) from exc
        if not channel.for_this_skill(tenant, envelope):
            raise Refused(403, "request is for another skill")
        try:
            turn = parse_alexa(envelope, tenant, channel.default_tenant)
        except ValueError as exc:
            raise Refused(400, str(exc)) from exc
        except NOT_UNDERSTOOD as exc:
            return _skip("alexa", exc)
    except Refused as refused:
        return _refuse("alexa", refused)
    if turn.inbound is None:
        return JSONResponse({"version": "1.0", "response": {}})
    container = container_of(request)
    token = access_token_of(envelope)
    if token is None:
        await channel.request_without_token(tenant, turn.inbound.sender)
    elif not await channel.recognise(tenant, turn.inbound.sender, token):
        # A token we did not issue, or one that expired or was revoked: the customer links again in the app.
        return JSONResponse(link_account_response(lang_of_locale(turn.inbound.locale)))
    replies = await channel.take_pending(turn.inbound.sender)
    MESSAGES.labels("alexa").inc()
    with TURN_SECONDS.labels("alexa").time():
        replies += await container.conversation.handle(tenant, turn.inbound)
    REPLIES.labels("alexa").inc(len(replies))
    return JSONResponse(render_alexa(replies, ends_session=turn.ends_session,
                                     link_in_app=channel.links_in_app(tenant)))


@router.post("/channels/alexa")
async def alexa_request(request: Request) -> Response:
    """Alexa skill requests, verified as Amazon requires (certificate chain, Signature-256, timestamp)."""
    return await _alexa(request, None)


@router.post("/channels/alexa/{bank}")
async def alexa_request_bank(request: Request, bank: str) -> Response:
    return await _alexa(request, bank)
