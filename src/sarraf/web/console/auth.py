"""Staff login (password + TOTP), server-side sessions in a cookie, CSRF tokens, lockout, logout."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sarraf.console.staff import Outcome, check_login, normalise_email
from sarraf.store.console_staff import StaffSession
from sarraf.web.browser_binding import secure_cookies
from sarraf.web.console.pages import console_lang, refusal, render
from sarraf.web.console.services import ConsoleServices, services_of
from sarraf.web.deps import container_of

router = APIRouter(prefix="/console", include_in_schema=False)
SESSION_COOKIE = "sarraf_console"
LOGIN_COOKIE = "sarraf_console_login"  # the login form's CSRF token (double submit), before any session exists
HOME = {"agent": "/console", "supervisor": "/console", "compliance": "/console/audit"}


class Refusal(Exception):
    """A request the console turns down; `response` says why."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def staff_session(request: Request, services: ConsoleServices) -> StaffSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    return await services.staff.session(token, services.clock()) if token else None


async def require(request: Request, roles: tuple[str, ...], csrf: str | None = None) -> StaffSession:
    """The logged-in staff member, with a role among `roles`; for a form, its CSRF token checked.

    Raises Refusal (a page saying why, nothing changed) otherwise."""
    services = services_of(request)
    session = await staff_session(request, services)
    if session is None:
        if request.method == "GET":
            why = "?why=expired" if request.cookies.get(SESSION_COOKIE) else ""
            raise Refusal(RedirectResponse(f"/console/login{why}", status_code=303))
        raise Refusal(refusal(request, "console_expired", 401))
    forged = not csrf or not hmac.compare_digest(csrf.encode(), session.csrf.encode())
    if (csrf is not None or request.method == "POST") and forged:
        await services.staff.note(session.account.tenant, session.account.id, session.account.email,
                                  "csrf_refused", request.url.path)
        raise Refusal(refusal(request, "console_csrf", 403, session=session))
    if session.account.role not in roles:
        raise Refusal(refusal(request, "console_forbidden", 403, session=session))
    return session


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, why: str = "") -> Response:
    container = container_of(request)
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"banks": container.bank_names, "form_token": token,
                                              "message": "console_expired" if why == "expired" else None})
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, path="/console", httponly=True, samesite="strict",
                        secure=secure_cookies(container.settings.public_url))
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    bank: Annotated[str, Form(max_length=64)],
    email: Annotated[str, Form(max_length=255)],
    password: Annotated[str, Form(max_length=1024)],
    code: Annotated[str, Form(max_length=16)],
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    services = services_of(request)
    container = services.container
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not csrf or not hmac.compare_digest(csrf.encode(), expected.encode()):
        return refusal(request, "console_csrf", 403)
    if bank not in container.bank_names:
        return _login_again(request, "console_wrong", 401)
    email = normalise_email(email)
    account = await services.staff.find(bank, email)
    now = services.clock()
    check = check_login(account, password, code, now)
    if check.outcome is Outcome.OK and account is not None and not await services.staff.succeeded(
            account, check.totp_step):
        check = type(check)(Outcome.REPLAYED)  # another login used this very code a moment ago
    staff_id = account.id if account else None
    if check.outcome is Outcome.OK and account is not None:
        token, _ = await services.staff.open_session(account, now, services.session_ttl)
        await services.staff.note(bank, staff_id, email, "login", "password+totp", now)
        response = RedirectResponse(HOME.get(account.role, "/console"), status_code=303)
        response.set_cookie(SESSION_COOKIE, token, max_age=int(services.session_ttl.total_seconds()),
                            path="/console", httponly=True, samesite="strict",
                            secure=secure_cookies(container.settings.public_url))
        response.delete_cookie(LOGIN_COOKIE, path="/console")
        return response
    if check.outcome is Outcome.LOCKED:
        await services.staff.note(bank, staff_id, email, "login_refused", "locked", now)
        until = check.locked_until.strftime("%H:%M:%S") if check.locked_until else ""
        seconds = int((check.locked_until - now).total_seconds()) + 1 if check.locked_until else 60
        return _login_again(request, "console_locked", 429, {"Retry-After": str(seconds)}, until=until)
    await services.staff.note(bank, staff_id, email, "login_failed", check.outcome.value, now)
    if account is not None:
        locked_until = await services.staff.failed(account, now)
        if locked_until is not None:
            await services.staff.note(bank, staff_id, email, "locked", locked_until.isoformat(), now)
    key = "console_replayed" if check.outcome is Outcome.REPLAYED else "console_wrong"
    return _login_again(request, key, 401)


def _login_again(request: Request, key: str, status: int, headers: dict[str, str] | None = None,
                 **values: str) -> Response:
    container = container_of(request)
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "login.html", {"banks": container.bank_names, "form_token": token, "message": key,
                                              "values": values}, status, headers)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, path="/console", httponly=True, samesite="strict",
                        secure=secure_cookies(container.settings.public_url))
    return response


@router.post("/logout")
async def logout(request: Request, csrf: Annotated[str, Form(max_length=128)] = "") -> Response:
    try:
        session = await require(request, ("agent", "supervisor", "compliance"), csrf)
    except Refusal as refused:
        return refused.response
    services = services_of(request)
    await services.staff.close_session(request.cookies.get(SESSION_COOKIE, ""))
    await services.staff.note(session.account.tenant, session.account.id, session.account.email, "logout")
    response = RedirectResponse(f"/console/login?lang={console_lang(request)}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response
