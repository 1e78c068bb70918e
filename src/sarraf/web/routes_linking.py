"""Where the bank sends the customer back after its login, and the secure page behind link-only replies."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, time

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from sarraf.alerts.outbound import Addressee
from sarraf.channels import webchat
from sarraf.channels.login_return import BrowserReturn
from sarraf.conversation import answers
from sarraf.domain.consent import LinkSession
from sarraf.domain.errors import BankAnswerRefused, BankUnavailable, ConsentUnusable, NotLinked
from sarraf.domain.messages import Outbound
from sarraf.i18n.languages import direction, from_accept_language
from sarraf.i18n.replies import catalog
from sarraf.observability import LINKS
from sarraf.policy.consent_grant import Grant
from sarraf.policy.consents import LinkFailed, LinkFailure
from sarraf.policy.point import Subject
from sarraf.policy.secure_links import InvalidLink, SecureView
from sarraf.policy.step_up import Sensitive
from sarraf.web import browser_binding, secure_device
from sarraf.web import linking_texts as texts
from sarraf.web.deps import container_of
from sarraf.web.offer_page import offer_page
from sarraf.web.pages import templates
from sarraf.web.routes_payments import review_page

router = APIRouter()


@router.get("/link/start/{state}", tags=["account linking"])
async def link_start(
    request: Request,
    state: str,
    redirect_uri: str | None = Query(default=None, max_length=2048),
) -> Response:
    """The login button's target on every channel: on to the bank's login page, for the browser of the chat
    that asked (see web/browser_binding.py).

    The web chat's own browser goes straight on. On a platform, the person first confirms on our page whose
    chat they are linking. Messenger's Log In button adds its own `redirect_uri` (and an
    `account_linking_token` we have no use for: the bank login is what links); we remember the redirect_uri
    (if it is Messenger's) so the customer returns to the conversation there after the bank login.
    """
    container = container_of(request)
    pending = await container.consents.pending(state[:128])
    if pending is None or pending.expired():
        return await _expired_page(request)
    lang = await container.lang_of(pending.customer_id) or container.default_lang
    token, fresh = browser_binding.browser_token(request)
    browser = browser_binding.browser_digest(token)
    if pending.browser is not None or pending.channel == webchat.NAME:
        owns = (hmac.compare_digest(pending.browser, browser) if pending.browser is not None
                else browser_binding.holds_chat(request, pending.sender))
        target = await container.consents.bind(pending.state, browser, _platform_return(request, redirect_uri)) \
            if owns else None
        if target is None:
            return _page(request, _visitor_lang(request, lang), texts.text(lang, "not_your_chat_title"),
                         texts.text(lang, "not_your_chat_body"), 403)
        return _to_bank(request, target, token if fresh else None)
    bank = container.bank_names[pending.tenant]
    context = {
        "lang": lang,
        "dir": direction(lang),
        "title": texts.text(lang, "confirm_title", bank=bank),
        "body": texts.text(lang, "confirm_body", bank=bank,
                           channel=texts.CHANNEL_NAMES.get(pending.channel, pending.channel),
                           who=texts.text(lang, "confirm_who", tail=texts.masked_identity(pending.sender))),
        "button": texts.text(lang, "confirm_button", bank=bank),
        "action": f"/link/start/{pending.state}",
        "token": browser_binding.confirm_token(pending.state, browser),
        "redirect_uri": redirect_uri or "",
    }
    page = templates.TemplateResponse(request, "link_confirm.html", context, headers=NO_STORE)
    if fresh:
        browser_binding.set_cookie(page, browser_binding.BROWSER_COOKIE, token, secure=_secure(request))
    return page


@router.post("/link/start/{state}", tags=["account linking"])
async def link_confirm(
    request: Request,
    state: str,
    link_confirm: str = Form(default="", max_length=128),
    redirect_uri: str | None = Form(default=None, max_length=2048),
) -> Response:
    """The person confirmed, on the page above, that the chat named there is theirs: this browser gets the
    login, and only it can finish it."""
    container = container_of(request)
    pending = await container.consents.pending(state[:128])
    if pending is None or pending.expired():
        return await _expired_page(request)
    lang = await container.lang_of(pending.customer_id) or container.default_lang
    token = request.cookies.get(browser_binding.BROWSER_COOKIE, "")
    browser = browser_binding.browser_digest(token) if token else ""
    expected = browser_binding.confirm_token(pending.state, browser)
    confirmed = bool(token) and hmac.compare_digest(link_confirm.encode(), expected.encode())
    # The web chat proves its browser with its own cookie; a confirmation form cannot stand in for that.
    target = (await container.consents.bind(pending.state, browser, _platform_return(request, redirect_uri))
              if confirmed and pending.channel != webchat.NAME else None)
    if target is None:
        return _page(request, _visitor_lang(request, lang), texts.text(lang, "not_your_chat_title"),
                     texts.text(lang, "not_your_chat_body"), 403)
    return _to_bank(request, target, None)


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
        linked = await container.consents.complete(
            state, code, error, browser=browser_binding.returning_browser(request))
    except LinkFailed as failed:
        LINKS.labels("failed").inc()
        lang = container.default_lang
        stepped = await _step_up_ended(request, failed.session, False, failed.kind.value)
        if stepped is not None and failed.kind is not LinkFailure.OTHER_BROWSER:
            return stepped
        if failed.kind is LinkFailure.OTHER_BROWSER:
            # A stranger's browser: it hears nothing about the chat, and the chat's platform is not involved.
            lang = _visitor_lang(request, lang)
            return _page(request, lang, texts.text(lang, "other_browser_title"),
                         texts.text(lang, "other_browser_body"), 403)
        reason = _FAILURE_TEXTS.get(failed.kind)
        if failed.session is not None:
            hook = container.channels.login_return(failed.session.channel)
            onward = await hook.after_login_failure(failed.session) if hook is not None else None
            if onward is None or onward.tell_conversation:
                replies = await container.conversation.link_failed(failed.session, None)
                lang = replies[0].lang
                if reason is not None:
                    replies.append(Outbound(texts.text(lang, reason), lang))
                await container.deliver(_to(failed.session), replies, f"login-failed:{_login_key(failed.session)}")
            if onward is not None:
                return _onward(onward)
        body = texts.text(lang, reason) if reason is not None else catalog().text(lang, "link_done_body")
        return _page(request, lang, catalog().text(lang, "link_failed_title"), body, 400)
    except BankAnswerRefused:
        LINKS.labels("bank_error").inc()
        lang = _visitor_lang(request, container.default_lang)
        return _page(request, lang, catalog().text(lang, "link_failed_title"),
                     texts.text(lang, "bank_answer_refused"), 502)
    except (BankUnavailable, ConsentUnusable):
        LINKS.labels("bank_error").inc()
        lang = _visitor_lang(request, container.default_lang)
        return _page(request, lang, catalog().text(lang, "link_failed_title"),
                     texts.text(lang, "bank_unreachable"), 502)
    LINKS.labels("linked").inc()
    session = linked.session
    if (stepped := await _step_up_ended(request, session, True)) is not None:
        return stepped  # a re-confirmation for a held action (conversation/step_up.py), not a new link
    hook = container.channels.login_return(session.channel)
    onward = await hook.after_login(session) if hook is not None else None
    if onward is not None and not onward.tell_conversation:
        return _onward(onward)
    resumed = await container.conversation.resume_after_link(session, None)
    lang = resumed[0].lang if resumed else container.default_lang
    partly = _partly_granted(lang, linked.grant)
    if partly is not None and resumed:
        resumed.insert(1, Outbound(partly, lang))
    await container.deliver(_to(session), resumed, f"login:{_login_key(session)}")
    if onward is not None:
        return _onward(onward)
    c = catalog()
    body = c.text(lang, "link_done_body") if partly is None else f"{partly} {c.text(lang, 'link_done_body')}"
    return _page(request, lang, c.text(lang, "link_done_title"), body, 200)


async def _step_up_ended(request: Request, session: LinkSession | None, completed: bool,
                         why: str = "") -> Response | None:
    """When this login was a step-up for a held action: run it (or not), tell the chat, show the browser the
    outcome. None when the login was an ordinary link."""
    container = container_of(request)
    if session is None or container.step_up is None:
        return None
    back = await container.step_up.came_back(session.state, completed, why)
    if back is None:
        return None
    held = back.held
    await container.deliver(Addressee(held.tenant, held.customer_id, held.channel, held.sender), back.replies,
                            f"step-up:{held.held_id}")
    if back.completed and back.held.action is Sensitive.SECURE_PAGE_NEW_DEVICE and \
            (session.return_to or "").startswith("/secure/"):
        return _onward(BrowserReturn(str(session.return_to)))  # back to the page this browser may now read
    hook = container.channels.login_return(session.channel)
    onward = None
    if hook is not None:
        onward = await (hook.after_login(session) if completed else hook.after_login_failure(session))
    if onward is not None:
        return _onward(onward)
    lang, bank = back.held.lang, container.bank_names[back.held.tenant]
    c = catalog()
    told = " ".join(r.text for r in back.replies)
    return _page(request, lang, c.text(lang, "stepup_page_title", bank=bank),
                 f"{told} {c.text(lang, 'stepup_page_done')}", 200 if back.completed else 400)


_FAILURE_TEXTS = {
    LinkFailure.CONSENT_EXPIRED: "consent_expired",
    LinkFailure.CONSENT_REFUSED: "consent_refused",
    LinkFailure.NOTHING_GRANTED: "nothing_granted",
    LinkFailure.BANK_REFUSED: "bank_refused",
}
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _to(session: LinkSession) -> Addressee:
    return Addressee(session.tenant, session.customer_id, session.channel, session.sender)


def _login_key(session: LinkSession) -> str:
    """This login's name in the outbox: a digest, since the OAuth state itself is the login's secret."""
    return hashlib.sha256(session.state.encode()).hexdigest()[:32]


def _partly_granted(lang: str, grant: Grant) -> str | None:
    if not grant.missing:
        return None
    return texts.text(lang, "partly_granted", granted=texts.listed(lang, grant.scopes),
                      missing=texts.listed(lang, grant.missing))


def _secure(request: Request) -> bool:
    return browser_binding.secure_cookies(container_of(request).settings.public_url)


def _platform_return(request: Request, redirect_uri: str | None) -> str | None:
    return container_of(request).channels.platform_return(redirect_uri)


def _to_bank(request: Request, target: str, new_token: str | None) -> Response:
    response = RedirectResponse(target, status_code=303, headers=NO_STORE)
    if new_token is not None:
        browser_binding.set_cookie(response, browser_binding.BROWSER_COOKIE, new_token, secure=_secure(request))
    return response


def _visitor_lang(request: Request, fallback: str) -> str:
    """The language of a browser we know nothing about (it may not be the chat's owner): its own preference."""
    return from_accept_language(request.headers.get("accept-language", ""), fallback)


async def _expired_page(request: Request) -> Response:
    lang = _visitor_lang(request, container_of(request).default_lang)
    c = catalog()
    return _page(request, lang, c.text(lang, "link_failed_title"), c.text(lang, "link_expired"), 404)


def _onward(onward: BrowserReturn) -> RedirectResponse:
    headers = {"Referrer-Policy": "no-referrer"} if onward.no_referrer else None
    return RedirectResponse(onward.url, status_code=303, headers=headers)


def _page(request: Request, lang: str, title: str, body: str, status: int) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "notice.html", {"lang": lang, "dir": direction(lang), "title": title, "body": body},
        status_code=status, headers=NO_STORE,
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
    allowed, cookie = await secure_device.claim(request, token)
    if not allowed:  # opened before in another browser: nothing of the customer's is shown here
        return secure_device.other_device_page(request, _visitor_lang(request, container.default_lang))
    if (stepping := await secure_device.step_up(request, view, token, cookie)) is not None:
        return secure_device.bind(request, stepping, cookie)  # a new device: the bank's login first
    return secure_device.bind(request, await _secure_view(request, view, token), cookie)


async def _secure_view(request: Request, view: SecureView, token: str) -> Response:
    container = container_of(request)
    c = catalog()
    if view.view == "privacy":  # "who has seen my data?" (web/console/privacy.py)
        # imported here: the console package brings the staff logins (argon2, TOTP) with it, which the
        # terminal's pages (cli/terminal_gateway.py) would otherwise import at every `sarraf say`
        from sarraf.web.console.privacy import privacy_page

        return await privacy_page(request, view, token)
    if view.view == "payment":  # a payment to check and confirm, off the platform's chat (routes_payments.py)
        return await review_page(request, view, token)
    if view.view == "offer":  # a link-only offer's details (web/offer_page.py)
        return await offer_page(request, view)
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
        if view.view == "service":  # the facts behind a service answer, given on a link-only channel
            found_text = await container.service.page(view.tenant, view.customer_id, view.start or "", lang,
                                                      bank) if container.service is not None else None
            body, table = found_text, None
        elif view.view == "balance":
            disclosed = await container.point.balances(subject)
            shown = answers.balances(lang, bank, disclosed.data) if disclosed.data is not None else None
            body, table = (shown.text, shown.table) if shown is not None else (None, None)
        else:
            start = date.fromisoformat(view.start or date.today().isoformat())
            end = date.fromisoformat(view.end or date.today().isoformat())
            # the spending question's merchant narrows inside the policy point, as in the chat (reading.py)
            merchant = view.merchant if view.view == "spending" else None
            found = await container.point.transactions(
                subject, datetime.combine(start, time.min, UTC), datetime.combine(end, time.max, UTC),
                answers.at_merchant(merchant) if merchant else None,
            )
            body, table = None, None
            if found.data is not None:
                shown = (
                    answers.spending(lang, start, end, view.category, found.data, merchant, narrowed=True)
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
            "dir": direction(lang),
            "title": c.text(lang, "secure_page_title", bank=bank),
            "body": text,
            "preformatted": True,
            "table": table,
        },
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )

