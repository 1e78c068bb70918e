"""Server-rendered pages (Jinja2): web chat, bank-login return, and the secure data page."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
