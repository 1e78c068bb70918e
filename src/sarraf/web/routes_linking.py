"""Where the bank sends the customer back after its login, and the secure page behind link-only replies."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from sarraf.channels.login_return import BrowserReturn
from sarraf.conversation import answers
from sarraf.conversation.replies import catalog
from sarraf.domain.errors import BankUnavailable, ConsentUnusable, NotLinked
from sarraf.observability import LINKS
from sarraf.policy.consents import LinkFailed
from sarraf.policy.point import Subject
from sarraf.policy.secure_links import InvalidLink
from sarraf.web.deps import container_of
from sarraf.web.pages import templates

router = APIRouter()


@router.get("/link/start/{state}", tags=["account linking"])
async def link_start(
    request: Request,
    state: str,
    redirect_uri: str | None = Query(default=None, max_length=2048),
) -> Response:
    """The login button's target on every channel: on to the bank's login page for this attempt.

    Messenger's Log In button adds its own `redirect_uri` (and an `account_linking_token` we have no use
    for: the bank login is what links); we remember the redirect_uri (if it is Messenger's) so the
    customer returns to the conversation there after the bank login.
    """
    container = container_of(request)
    target = await container.consents.begin(state[:128], container.channels.platform_return(redirect_uri))
    if target is None:
        lang = container.default_lang
        c = catalog()
        return templates.TemplateResponse(
            request,
            "notice.html",
            {
                "lang": lang,
                "dir": "ltr",
                "title": c.text(lang, "link_failed_title"),
                "body": c.text(lang, "link_expired"),
            },
            status_code=404,
        )
    return RedirectResponse(target, status_code=303, headers={"Referrer-Policy": "no-referrer"})


@router.get("/link/callback", include_in_schema=True, tags=["account linking"])
async def link_callback(
    request: Request,
    state: str = Query(default="", max_length=256),
    code: str | None = Query(default=None, max_length=2048),
    error: str | None = Query(default=None, max_length=256),
) -> Response:
    """OAuth2 redirect target: finish the bank login, tell the conversation, then send the browser wherever the
    customer's channel wants it (channels/login_return.py), or show our own result page."""
    container = container_of(request)
    try:
        session = await container.consents.complete(state, code, error)
    except LinkFailed as failed:
        LINKS.labels("failed").inc()
        lang = container.default_lang
        if failed.session is not None:
            hook = container.channels.login_return(failed.session.channel)
            onward = await hook.after_login_failure(failed.session) if hook is not None else None
            if onward is None or onward.tell_conversation:
                replies = await container.conversation.link_failed(failed.session, None)
                lang = replies[0].lang
                await container.deliver(failed.session.channel, failed.session.sender, replies)
            if onward is not None:
                return _onward(onward)
        return _result_page(request, lang, ok=False, status=400)
    except (BankUnavailable, ConsentUnusable):
        LINKS.labels("bank_error").inc()
        return _result_page(request, container.default_lang, ok=False, status=502)
    LINKS.labels("linked").inc()
    hook = container.channels.login_return(session.channel)
    onward = await hook.after_login(session) if hook is not None else None
    if onward is not None and not onward.tell_conversation:
        return _onward(onward)
    resumed = await container.conversation.resume_after_link(session, None)
    await container.deliver(session.channel, session.sender, resumed)
    if onward is not None:
        return _onward(onward)
    return _result_page(request, resumed[0].lang if resumed else container.default_lang, ok=True)


def _onward(onward: BrowserReturn) -> RedirectResponse:
    headers = {"Referrer-Policy": "no-referrer"} if onward.no_referrer else None
    return RedirectResponse(onward.url, status_code=303, headers=headers)


def _result_page(request: Request, lang: str, *, ok: bool, status: int = 200) -> HTMLResponse:
    c = catalog()
    return templates.TemplateResponse(
        request,
        "notice.html",
        {
            "lang": lang,
            "dir": "rtl" if lang == "ar" else "ltr",
            "title": c.text(lang, "link_done_title" if ok else "link_failed_title"),
            "body": c.text(lang, "link_done_body"),
        },
        status_code=status,
    )


@router.get("/secure/{token}", response_class=HTMLResponse, include_in_schema=False)
async def secure_page(request: Request, token: str) -> Response:
    """The page a link-only reply points to: the data is shown here, never to the chat platform."""
    container = container_of(request)
    c = catalog()
    try:
        view = container.secure_links.verify(token)
    except InvalidLink:
        lang = container.default_lang
        return templates.TemplateResponse(
            request,
            "notice.html",
            {
                "lang": lang,
                "dir": "ltr",
                "title": c.text(lang, "link_failed_title"),
                "body": c.text(lang, "secure_page_expired"),
            },
            status_code=410,
        )
    if view.view == "export":
        # The customer's own copy of what we hold (GDPR Art. 15/20): no bank data, so no disclosure decision.
        held = await container.data_rights.export(view.customer_id)
        return JSONResponse(
            held,
            headers={
                "Content-Disposition": 'attachment; filename="sarraf-my-data.json"',
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
            },
        )
    lang = await container.lang_of(view.customer_id) or container.default_lang
    bank = container.bank_names[view.tenant]
    subject = Subject(view.tenant, view.customer_id, recipient="bank_page")
    table = None  # a list shown as rows (drawn as a table, not as lines that wrap on a phone)
    try:
        if view.view == "balance":
            disclosed = await container.point.balances(subject)
            shown = answers.balances(lang, bank, disclosed.data) if disclosed.data is not None else None
            body, table = (shown.text, shown.table) if shown is not None else (None, None)
        else:
            start = date.fromisoformat(view.start or date.today().isoformat())
            end = date.fromisoformat(view.end or date.today().isoformat())
            found = await container.point.transactions(
                subject, datetime.combine(start, time.min, UTC), datetime.combine(end, time.max, UTC)
            )
            body, table = None, None
            if found.data is not None:
                shown = (
                    answers.spending(lang, start, end, None, found.data)
                    if view.view == "spending"
                    else answers.transaction_list(lang, start, end, found.data)
                )
                body, table = shown.text, shown.table
    except (NotLinked, ConsentUnusable):
        body = c.text(lang, "consent_unusable", bank=bank)
    except BankUnavailable:
        body = c.text(lang, "bank_down", bank=bank)
    if body is None:
        body = c.text(lang, "denied", bank=bank)
    text = body
    return templates.TemplateResponse(
        request,
        "notice.html",
        {
            "lang": lang,
            "dir": "rtl" if lang == "ar" else "ltr",
            "title": c.text(lang, "secure_page_title", bank=bank),
            "body": text,
            "preformatted": True,
            "table": table,
        },
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )

