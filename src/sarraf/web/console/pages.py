"""Rendering the console's pages: language (ar, pl, en; Arabic right-to-left), texts, and the refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from sarraf.i18n.languages import CODES, direction
from sarraf.i18n.replies import catalog, format_date
from sarraf.web.deps import container_of

LANGUAGES = CODES
LANG_COOKIE = "sarraf_console_lang"
# The console's pages load nothing from elsewhere and run only our own script.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
templates.env.globals["t"] = lambda lang, key, **values: catalog().text(lang, key, **values)
templates.env.globals["day"] = lambda at, lang: format_date(at, lang)


def console_lang(request: Request) -> str:
    asked = request.query_params.get("lang", "")
    if asked in LANGUAGES:
        return asked
    if (picked := request.cookies.get(LANG_COOKIE, "")) in LANGUAGES:
        return picked
    for part in request.headers.get("accept-language", "").split(","):
        if (browser := part.split(";")[0].strip()[:2].lower()) in LANGUAGES:
            return browser
    return container_of(request).default_lang


def render(request: Request, name: str, context: dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    lang = context.get("lang") or console_lang(request)
    values = {"lang": lang, "dir": direction(lang), **context}
    response = templates.TemplateResponse(request, name, values, status_code=status, headers={**HEADERS,
                                                                                               **(headers or {})})
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86_400, samesite="strict", httponly=True,
                            path="/")
    return response


def refusal(request: Request, key: str, status: int, *, session: Any = None, **values: Any) -> HTMLResponse:
    """A refusal page: the reason in the staff member's language, with the status that says what happened."""
    return render(request, "refused.html", {"reason_key": key, "values": values, "session": session}, status)
