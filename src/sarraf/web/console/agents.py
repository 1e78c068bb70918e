"""The agents' pages: the live queue, a conversation (transcript, reply, hand back) and the customer's balances
as the agreement lets the console see them."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sarraf.channels.messenger import NAME as MESSENGER
from sarraf.channels.messenger import MessengerChannel
from sarraf.channels.platform_http import PlatformError
from sarraf.console.desk import CANNED, TAKES_CONVERSATIONS, Refused, describe
from sarraf.console.ports import ConversationRef
from sarraf.conversation import answers
from sarraf.domain.errors import BankUnavailable, ConsentUnusable, NotLinked
from sarraf.i18n.languages import direction
from sarraf.i18n.replies import catalog
from sarraf.store.console_staff import StaffSession
from sarraf.web.console.auth import SESSION_COOKIE, Refusal, require
from sarraf.web.console.live import fragment_stream
from sarraf.web.console.pages import console_lang, refusal, render, templates
from sarraf.web.console.services import ConsoleServices, services_of

log = logging.getLogger(__name__)
router = APIRouter(prefix="/console", include_in_schema=False)
AGENTS = ("agent", "supervisor")


async def _queue_context(services: ConsoleServices, session: StaffSession, lang: str) -> dict[str, Any]:
    tenant = session.account.tenant
    return {"lang": lang, "dir": direction(lang), "session": session,
            "queue": await services.desk.queue(tenant),
            "mine": await services.desk.mine(tenant, session.account.id)}


@router.get("", response_class=HTMLResponse)
async def queue_page(request: Request) -> Response:
    try:
        session = await require(request, AGENTS)
    except Refusal as refused:
        return refused.response
    services = services_of(request)
    context = await _queue_context(services, session, console_lang(request))
    return render(request, "queue.html", context)


@router.get("/stream/queue")
async def queue_stream(request: Request) -> Response:
    try:
        session = await require(request, AGENTS)
    except Refusal:
        return Response("log in first", status_code=401)
    services = services_of(request)
    lang = console_lang(request)
    token = request.cookies.get(SESSION_COOKIE, "")

    async def fragment() -> str | None:
        if await services.staff.session(token, services.clock()) is None:
            return None
        return templates.get_template("_queue.html").render(await _queue_context(services, session, lang))

    return fragment_stream(request, services, fragment)


async def _conversation(request: Request, handoff_id: int, session: StaffSession,
                        extra: dict[str, Any] | None = None, status: int = 200) -> Response:
    services = services_of(request)
    try:
        ref = await services.desk.find(session.account.tenant, handoff_id)
    except Refused as refused:
        return refusal(request, refused.key, refused.status, session=session)
    owner = await services.desk.owner_of(ref)
    lines = [describe(line) for line in await services.desk.transcript(ref)] if owner == session.account.id else []
    colleagues = [c for c in await services.staff.colleagues(session.account.tenant)
                  if c.role in TAKES_CONVERSATIONS and c.id != session.account.id]
    context = {"session": session, "handoff_id": handoff_id, "ref": ref, "owner": owner, "lines": lines,
               "customer_lang": await services.container.lang_of(ref.customer_id), "canned": CANNED,
               "colleagues": colleagues, "bank_name": services.container.bank_names[ref.tenant], **(extra or {})}
    return render(request, "conversation.html", context, status)


@router.get("/c/{handoff_id}", response_class=HTMLResponse)
async def conversation_page(request: Request, handoff_id: int) -> Response:
    try:
        session = await require(request, AGENTS)
    except Refusal as refused:
        return refused.response
    return await _conversation(request, handoff_id, session)


@router.get("/c/{handoff_id}/stream")
async def transcript_stream(request: Request, handoff_id: int) -> Response:
    try:
        session = await require(request, AGENTS)
        services = services_of(request)
        ref = await services.desk.find(session.account.tenant, handoff_id)
    except Refusal:
        return Response("log in first", status_code=401)
    except Refused as refused:
        return Response(refused.key, status_code=refused.status)
    lang = console_lang(request)
    token = request.cookies.get(SESSION_COOKIE, "")

    async def fragment() -> str | None:
        if await services.staff.session(token, services.clock()) is None:
            return None
        if await services.desk.owner_of(ref) != session.account.id:
            return ""
        lines = [describe(line) for line in await services.desk.transcript(ref)]
        return templates.get_template("_transcript.html").render({"lang": lang, "lines": lines})

    return fragment_stream(request, services, fragment)


async def _act(request: Request, handoff_id: int, csrf: str, action: str, text: str = "") -> Response:
    """Claim, reply (free text or a ready reply), pass to a colleague, or hand back; each noted as a staff event."""
    try:
        session = await require(request, AGENTS, csrf)
    except Refusal as refused:
        return refused.response
    services = services_of(request)
    account = session.account
    try:
        if action == "claim":
            await _take_messenger_thread(services, await services.desk.claim(account.tenant, account.id, handoff_id))
        elif action == "reply":
            await services.desk.reply(account.tenant, account.id, handoff_id, text)
        elif action == "canned":
            await services.desk.reply_canned(account.tenant, account.id, handoff_id, text)
        elif action == "transfer":
            to = next((c for c in await services.staff.colleagues(account.tenant) if c.id == text), None)
            await services.desk.transfer(account.tenant, account.id, handoff_id, to)
            await services.staff.note(account.tenant, account.id, account.email, "transfer", f"{handoff_id} -> {text}")
            return RedirectResponse("/console", status_code=303)
        else:
            await services.desk.hand_back(account.tenant, account.id, handoff_id)
            await services.staff.note(account.tenant, account.id, account.email, "hand_back", str(handoff_id))
            return RedirectResponse("/console", status_code=303)
    except Refused as refused:
        await services.staff.note(account.tenant, account.id, account.email, f"{action}_refused",
                                  f"{handoff_id}: {refused.key}")
        return refusal(request, refused.key, refused.status, session=session)
    await services.staff.note(account.tenant, account.id, account.email, action, str(handoff_id))
    return RedirectResponse(f"/console/c/{handoff_id}", status_code=303)


async def _take_messenger_thread(services: ConsoleServices, ref: ConversationRef) -> None:
    """A Messenger conversation the bank's Page Inbox holds comes back to the bank's page app (ours) when an agent
    claims it here, so the agent's replies can reach the customer (Handover Protocol: take_thread_control)."""
    channel = services.container.channels.channels.get(MESSENGER)
    if ref.channel != MESSENGER or not isinstance(channel, MessengerChannel):
        return
    if not await channel.held_elsewhere(ref.tenant, ref.sender):
        return
    try:
        await channel.take_thread(ref.sender, metadata="claimed in the agents' console")
    except PlatformError as exc:
        log.warning("messenger: take_thread_control refused (HTTP %s, code %s)", exc.status, exc.code)


@router.post("/c/{handoff_id}/claim")
async def claim(request: Request, handoff_id: int, csrf: Annotated[str, Form(max_length=128)] = "") -> Response:
    return await _act(request, handoff_id, csrf, "claim")


@router.post("/c/{handoff_id}/reply")
async def reply(request: Request, handoff_id: int, csrf: Annotated[str, Form(max_length=128)] = "",
                text: Annotated[str, Form(max_length=4000)] = "") -> Response:
    return await _act(request, handoff_id, csrf, "reply", text)


@router.post("/c/{handoff_id}/canned")
async def canned(request: Request, handoff_id: int, csrf: Annotated[str, Form(max_length=128)] = "",
                 key: Annotated[str, Form(max_length=64)] = "") -> Response:
    return await _act(request, handoff_id, csrf, "canned", key)


@router.post("/c/{handoff_id}/transfer")
async def transfer(request: Request, handoff_id: int, csrf: Annotated[str, Form(max_length=128)] = "",
                   to: Annotated[str, Form(max_length=64)] = "") -> Response:
    return await _act(request, handoff_id, csrf, "transfer", to)


@router.post("/c/{handoff_id}/hand-back")
async def hand_back(request: Request, handoff_id: int, csrf: Annotated[str, Form(max_length=128)] = "") -> Response:
    return await _act(request, handoff_id, csrf, "hand_back")


@router.post("/c/{handoff_id}/balances", response_class=HTMLResponse)
async def balances(request: Request, handoff_id: int, csrf: Annotated[str, Form(max_length=128)] = "") -> Response:
    """The customer's balances for the agent who owns the conversation: a disclosure to `agent_console`."""
    try:
        session = await require(request, AGENTS, csrf)
    except Refusal as refused:
        return refused.response
    services = services_of(request)
    try:
        ref = await services.desk.find(session.account.tenant, handoff_id)
    except Refused as refused:
        return refusal(request, refused.key, refused.status, session=session)
    if await services.desk.owner_of(ref) != session.account.id:
        return refusal(request, "console_not_yours", 403, session=session)
    lang = console_lang(request)
    bank = services.container.bank_names[ref.tenant]
    shown: dict[str, Any] = {}
    try:
        disclosed = await services.desk.balances(ref)
        if disclosed.data is None:
            shown["balances_note"] = "console_balances_denied"
        else:
            answer = answers.balances(lang, bank, disclosed.data)
            shown["balances_text"], shown["balances_table"] = answer.text, answer.table
    except (NotLinked, ConsentUnusable):
        shown["balances_note"] = "console_not_linked"
    except BankUnavailable:
        shown["balances_text"] = catalog().text(lang, "bank_down", bank=bank)
    await services.staff.note(ref.tenant, session.account.id, session.account.email, "balances", str(handoff_id))
    return await _conversation(request, handoff_id, session, shown)
