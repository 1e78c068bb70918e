"""When our own store fails (database down, disk full), every caller gets a clear answer instead of a bare 500
(issue #22, finding 6).

A storage failure rolls its transaction back, so nothing was changed, and the answer says so:
* the web chat: 503 carrying one reply, "we are having trouble, nothing was changed", in the customer's
  language (the browser's Accept-Language, else the bank's), which the page shows like any reply;
* Messenger, WhatsApp and Telegram webhooks: 503 with Retry-After, so the platform delivers the message
  again later, per its rules (Meta retries failed webhook deliveries, Telegram keeps the update until a 2xx);
* Alexa, which does not retry: a spoken answer saying the same;
* anything else: 503 with the reason, Retry-After 5.
The failure itself is logged (once in full, then counted: see observability.RepeatedErrors).
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from sarraf.channels import webchat
from sarraf.domain.messages import Outbound
from sarraf.i18n.replies import catalog
from sarraf.i18n.replies.catalog import LANGUAGES

log = logging.getLogger(__name__)
RETRY_AFTER_S = "5"
STORE_FAILURES: tuple[type[Exception], ...] = (SQLAlchemyError, OSError)
_PLATFORM_WEBHOOK = re.compile(r"^/channels/(messenger|whatsapp|telegram)/webhook(/[^/]+)?$")
_ALEXA = re.compile(r"^/channels/alexa(/[^/]+)?$")


def language(request: Request) -> str:
    """The first of ar/pl/en the caller's Accept-Language names, else the default bank's language."""
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip()[:2].lower()
        if tag in LANGUAGES:
            return tag
    container = getattr(request.app.state, "container", None)
    return container.default_lang if container is not None else "en"


def trouble(lang: str) -> Outbound:
    return Outbound(text=catalog().text(lang, "service_trouble"), lang=lang)


async def store_failed(request: Request, exc: Exception) -> JSONResponse:
    log.error("request %s %s failed: our store is not answering (%s: %s)", request.method, request.url.path,
              type(exc).__name__, str(exc).splitlines()[0][:300] if str(exc) else "")
    retry = {"Retry-After": RETRY_AFTER_S}
    path = request.url.path
    if path == "/webchat/api/messages":
        reply = webchat.render(trouble(language(request)))
        return JSONResponse({"replies": [reply], "error": "temporarily unavailable"}, status_code=503, headers=retry)
    if _PLATFORM_WEBHOOK.match(path):
        return JSONResponse({"error": "temporarily unavailable; deliver again later"}, status_code=503,
                            headers=retry)
    if _ALEXA.match(path):
        speech = trouble(language(request)).text
        return JSONResponse({"version": "1.0", "response": {
            "outputSpeech": {"type": "PlainText", "text": speech}, "shouldEndSession": True}})
    return JSONResponse({"error": "temporarily unavailable: our database is not answering; nothing was changed"},
                        status_code=503, headers=retry)


def install(app: FastAPI) -> None:
    for failure in STORE_FAILURES:
        app.add_exception_handler(failure, store_failed)
