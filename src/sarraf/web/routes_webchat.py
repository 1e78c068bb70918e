"""Web chat: the page at / and its small JSON API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from sarraf.channels import webchat
from sarraf.domain.messages import Receipt
from sarraf.i18n.languages import CODES, direction
from sarraf.i18n.replies import catalog
from sarraf.observability import MESSAGES, REPLIES, TURN_SECONDS
from sarraf.web import browser_binding
from sarraf.web.deps import container_of
from sarraf.web.pages import templates

router = APIRouter()

# A chat message is short; anything beyond this is refused before it reaches the conversation,
# which itself answers politely to anything over its own (smaller) limit.
MAX_TEXT = 20_000


class WebChatMessage(BaseModel):
    session: str = Field(pattern=webchat.SESSION_PATTERN.pattern, description="browser-held chat session id")
    text: str | None = Field(default=None, max_length=MAX_TEXT)
    payload: str | None = Field(default=None, max_length=200, description="a quick-reply postback")
    locale: str | None = Field(default=None, max_length=35)
    message_id: str | None = Field(default=None, max_length=100, description="idempotency key for retries")
    bank: str | None = Field(default=None, max_length=64)


class WebChatReplies(BaseModel):
    replies: list[dict[str, Any]]


LANGUAGES = CODES
LANG_COOKIE = "sarraf_lang"  # the language the customer picked on the page; outlives the trip to the bank's login
# What the empty chat offers; each chip sends its text as the customer's message.
CHIPS = ("chip_balance", "chip_transactions", "chip_spending", "chip_freeze", "chip_alerts", "chip_help")


def page_language(request: Request, asked: str, default: str) -> str:
    """?lang= first (the page's language switch), then the customer's earlier pick, then the browser's, else the
    bank's default."""
    if asked in LANGUAGES:
        return asked
    if (picked := request.cookies.get(LANG_COOKIE, "")) in LANGUAGES:
        return picked
    for candidate in request.headers.get("accept-language", "").split(","):
        browser = candidate.split(";")[0].strip()[:2].lower()
        if browser in LANGUAGES:
            return browser
    return default


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, lang: str = Query(default="", max_length=5)) -> HTMLResponse:
    container = container_of(request)
    lang = page_language(request, lang, container.default_lang)
    bank = container.bank_names[container.default_tenant]
    c = catalog()
    boot = {
        "greeting": c.text(lang, "greeting", bank=bank),
        "suggestions": c.text(lang, "webchat_suggestions"),
        "chips": [c.text(lang, key) for key in CHIPS],
        "linked": c.text(lang, "webchat_linked"),
        "login_used": c.text(lang, "webchat_login_used"),
    }
    response = templates.TemplateResponse(
        request,
        "webchat.html",
        {
            "lang": lang,
            "dir": direction(lang),
            "title": c.text(lang, "webchat_title", bank=bank),
            "placeholder": c.text(lang, "webchat_placeholder"),
            "send": c.text(lang, "webchat_send"),
            "boot": boot,
        },
    )
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> RedirectResponse:
    """Browsers ask for /favicon.ico whatever the page says; the icon is an SVG among the static files."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.post("/webchat/api/messages", response_model=WebChatReplies, tags=["web chat"])
async def post_message(message: WebChatMessage, request: Request, response: Response) -> WebChatReplies:
    container = container_of(request)
    # This browser holds the chat: only it may follow the chat's bank-login links (web/browser_binding.py).
    proof = browser_binding.chat_proof(webchat.address(message.session))
    browser_binding.set_cookie(response, browser_binding.CHAT_COOKIE, proof,
                               secure=browser_binding.secure_cookies(container.settings.public_url))
    tenant = message.bank or container.default_tenant
    if tenant not in container.bank_names:
        raise HTTPException(404, f"unknown bank {tenant!r}")
    if not message.text and not message.payload:
        raise HTTPException(422, "a message needs text or a payload")
    MESSAGES.labels(webchat.NAME).inc()
    inbound = webchat.inbound(message.session, message.text, message.payload, message.locale, message.message_id)
    async with container.one_turn(inbound.channel, inbound.sender):  # in order per chat, across workers
        with TURN_SECONDS.labels(webchat.NAME).time():
            replies = await container.conversation.handle(tenant, inbound)
    REPLIES.labels(webchat.NAME).inc(len(replies))
    return WebChatReplies(replies=[webchat.render(r) for r in replies])


@router.get("/webchat/api/updates", response_model=WebChatReplies, tags=["web chat"])
async def updates(
    request: Request,
    session: str = Query(pattern=webchat.SESSION_PATTERN.pattern),
    after: int = Query(default=0, ge=0, le=2**63 - 1),  # a BIGINT: past it the database overflows (a 500)
) -> dict[str, Any]:
    """Messages pushed to this chat since `after` (e.g. the answer that waited for the bank login). Handing
    them to the page is their delivery: alerts among them are marked delivered (their receipt)."""
    container = container_of(request)
    pending, newest = await container.message_log.collect(webchat.NAME, webchat.address(session), after)
    if newest is not None:
        await container.conversation.handle(
            container.default_tenant,
            webchat.receipt(session, Receipt("delivered", watermark=newest, at=datetime.now(UTC))))
    return {"replies": [dict(payload, id=i) for i, payload in pending]}


class WebChatReceipt(BaseModel):
    session: str = Field(pattern=webchat.SESSION_PATTERN.pattern)
    status: Literal["read"] = Field(description="the page showed what it was given (its tab was visible)")


@router.post("/webchat/api/receipts", status_code=204, tags=["web chat"])
async def post_receipt(seen: WebChatReceipt, request: Request) -> Response:
    """The page was looked at: the alerts it had been given are read."""
    container = container_of(request)
    await container.conversation.handle(
        container.default_tenant, webchat.receipt(seen.session, Receipt("read", covers_delivered=True)))
    return Response(status_code=204)
