"""Secure links open on one device (#17 finding 10; docs/secure-links.md says why this choice).

A secure link (/secure/<token>) is a bearer URL for its ten minutes. The first browser to open it claims it:
the link is then bound to that browser's `sarraf_browser` cookie (HttpOnly, SameSite=Lax, the cookie the
bank-login binding uses; set here if the browser has none). The same browser may open the link again (reload,
back, the export download) until it expires; any other browser — a forwarded link, a shoulder-surfed URL, a
link preview fetched by a server — gets a page saying to ask again in the chat, and sees no data.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from sarraf.conversation.step_up import Requester
from sarraf.i18n.replies import catalog
from sarraf.policy.secure_links import SecureView
from sarraf.policy.step_up import Sensitive
from sarraf.store.secure_link_claims import SqlSecureLinkClaims
from sarraf.web import browser_binding
from sarraf.web.deps import container_of
from sarraf.web.pages import templates

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def claim(request: Request, token: str) -> tuple[bool, str | None]:
    """(may this browser see the page, the cookie to set on the answer if it is new)."""
    container = container_of(request)
    cookie, new = browser_binding.browser_token(request)
    allowed = await SqlSecureLinkClaims(container.engine).claim(
        token, browser_binding.browser_digest(cookie), timedelta(minutes=container.secure_links.ttl_minutes))
    return allowed, cookie if new and allowed else None


def bind(request: Request, response: Response, cookie: str | None) -> Response:
    if cookie is not None:
        browser_binding.set_cookie(response, browser_binding.BROWSER_COOKIE, cookie,
                                   secure=browser_binding.secure_cookies(container_of(request).settings.public_url))
    return response


async def step_up(request: Request, view: SecureView, token: str, cookie: str | None) -> Response | None:
    """A browser the customer never confirmed, when the bank wants a step-up before its secure pages are read
    on a new device (policy/step_up.py): on to the bank's login, bound to this browser, and back to this page
    afterwards (web/routes_linking.py). None when the page may be shown."""
    container = container_of(request)
    gate = container.step_up
    if gate is None or Sensitive.SECURE_PAGE_NEW_DEVICE not in gate.policy(view.tenant).actions:
        return None
    browser = browser_binding.browser_digest(cookie or browser_binding.browser_token(request)[0])
    chats = await container.customers.identities(view.customer_id)
    lang = await container.lang_of(view.customer_id) or container.default_lang
    if not chats:  # nobody to tell about the new device: shown as the page of another device (no data)
        return other_device_page(request, lang)
    channel, sender = chats[0]
    who = Requester(view.tenant, view.customer_id, channel, sender, lang, container.bank_names[view.tenant])
    invitation = await gate.guard_device(who, browser)
    if invitation is None:
        return None
    target = await container.consents.bind(invitation.state, browser, f"/secure/{token}")
    if target is None:
        return other_device_page(request, lang)
    return RedirectResponse(target, status_code=303, headers=NO_STORE)


def other_device_page(request: Request, lang: str) -> Response:
    c = catalog()
    return templates.TemplateResponse(
        request, "notice.html",
        {"lang": lang, "title": c.text(lang, "secure_link_other_device_title"),
         "body": c.text(lang, "secure_link_other_device")},
        status_code=403, headers=NO_STORE)
