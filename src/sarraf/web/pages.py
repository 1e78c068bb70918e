"""Server-rendered pages (Jinja2): web chat, bank-login return, and the secure data page."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from sarraf.i18n.languages import direction
from sarraf.i18n.replies import catalog

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


def _back_to_chat(lang: str) -> str:
    return catalog().text(lang, "webchat_back")


# Every notice page (link result, secure page, expired link) offers the way back to the chat, in its language.
templates.env.globals["back_to_chat"] = _back_to_chat
# The writing direction from the languages registry (i18n/languages.py), so a new language needs no template edit.
templates.env.globals["direction"] = direction
