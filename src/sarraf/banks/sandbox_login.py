"""Log a sandbox customer in the way a browser would, for channels with no browser (the terminal).

Only for the built-in sandbox bank: it GETs the login-and-consent page, reads the form's hidden
`auth_request` field and action, and POSTs Approve with the customer's credentials. The result is
the redirect the browser would have followed, carrying `code` and `state`; it is not followed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

from sarraf.domain.errors import BankUnavailable, SarrafError

_OTP = re.compile(r'id="otp-shown">(\d{6})<')


class SandboxLoginFailed(SarrafError):
    """The sandbox did not accept the login, or its page was not the login form we expect."""


class _LoginForm(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = found.get("action", "")
        elif tag == "input" and found.get("type") == "hidden" and "name" in found:
            self.fields[found["name"]] = found.get("value", "")


async def complete_sandbox_login(
    http: httpx.AsyncClient, authorize_url: str, username: str, password: str = "sandbox"
) -> str:
    """Approve the pending consent at the sandbox as `username`; returns the redirect URL with code and state."""
    try:
        page = await http.get(authorize_url, follow_redirects=False)
        page = await _confirm_chat(http, page)
        hops = 0
        # A gateway's /link/start hop leads to the login page; any other redirect is the sandbox refusing the
        # request outright and sending us back (with an error) to the client.
        while page.is_redirect and "/oauth/authorize" in str(page.next_request.url if page.next_request else ""):
            hops += 1
            if hops > 3:
                raise SandboxLoginFailed("too many redirects before the sandbox login page")
            page = await http.get(str(page.next_request.url), follow_redirects=False)  # type: ignore[union-attr]
        if page.is_redirect:
            return str(page.headers["location"])
        if page.status_code != 200:
            raise SandboxLoginFailed(f"the sandbox login page answered {page.status_code}")
        form = _LoginForm()
        form.feed(page.text)
        if not form.fields.get("auth_request"):
            raise SandboxLoginFailed("the sandbox login page has no auth_request field")
        action = urljoin(str(page.url), form.action or str(page.url))
        fields = {**form.fields, "username": username, "password": password, "decision": "approve"}
        answer = await http.post(action, data=fields, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise BankUnavailable(f"cannot reach the sandbox bank: {exc}") from exc
    if not answer.is_redirect:
        raise SandboxLoginFailed(f"the sandbox refused the login for {username!r} ({answer.status_code})")
    return str(answer.headers["location"])


async def _confirm_chat(http: httpx.AsyncClient, page: httpx.Response) -> httpx.Response:
    """A gateway's /link/start on a platform first asks whether the chat it names is ours: say yes (the
    caller is driving its own login). Any other page is returned as it is."""
    if page.status_code != 200:
        return page
    form = _LoginForm()
    form.feed(page.text)
    if "link_confirm" not in form.fields:
        return page
    action = urljoin(str(page.url), form.action or str(page.url))
    return await http.post(action, data=form.fields, follow_redirects=False)


async def complete_sandbox_sca(http: httpx.AsyncClient, start_url: str, username: str,
                               password: str = "sandbox") -> str:
    """Authorise a payment at the sandbox's strong-authentication page as `username`: log in, read the one-time
    code the sandbox shows on its page, enter it. Returns the redirect back to the gateway (not followed)."""
    try:
        page = await http.get(start_url, follow_redirects=False)
        if page.is_redirect and "/oauth/authorize" in page.headers.get("location", ""):
            page = await http.get(urljoin(str(page.url), page.headers["location"]), follow_redirects=False)
        if page.is_redirect:
            return str(page.headers["location"])
        form = _LoginForm()
        form.feed(page.text)
        if page.status_code != 200 or not form.fields.get("auth_request"):
            raise SandboxLoginFailed(f"the sandbox authorisation page answered {page.status_code}")
        action = urljoin(str(page.url), form.action or str(page.url))
        coded = await http.post(action, data={**form.fields, "username": username, "password": password,
                                              "decision": "approve"}, follow_redirects=False)
        shown = _OTP.search(coded.text)
        if coded.status_code != 200 or shown is None:
            raise SandboxLoginFailed(f"the sandbox refused the login for {username!r} ({coded.status_code})")
        code_form = _LoginForm()
        code_form.feed(coded.text)
        answer = await http.post(action, data={**code_form.fields, "otp": shown.group(1), "decision": "approve"},
                                 follow_redirects=False)
    except httpx.HTTPError as exc:
        raise BankUnavailable(f"cannot reach the sandbox bank: {exc}") from exc
    if not answer.is_redirect:
        raise SandboxLoginFailed(f"the sandbox did not accept the one-time code ({answer.status_code})")
    return str(answer.headers["location"])
