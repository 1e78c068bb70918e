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
from fastapi.responses import Response

from sarraf.conversation.replies import catalog
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


def other_device_page(request: Request, lang: str) -> Response:
    c = catalog()
    return templates.TemplateResponse(
        request, "notice.html",
        {"lang": lang, "title": c.text(lang, "secure_link_other_device_title"),
         "body": c.text(lang, "secure_link_other_device")},
        status_code=403, headers=NO_STORE)
