"""The web chat channel: the browser page at / posts messages and polls for pushed replies.

Replies to a message come back in the same HTTP response; messages produced later (after the bank login,
alerts) wait in the channel outbox until the page collects them.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Protocol

from sarraf.channels.login_return import BrowserReturn
from sarraf.domain.consent import LinkSession
from sarraf.domain.messages import Inbound, InboundKind, Outbound, Receipt
from sarraf.i18n.languages import direction

NAME = "webchat"
SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Outbox(Protocol):
    async def push(self, channel: str, sender: str, payload: dict[str, Any]) -> int: ...


def render(message: Outbound) -> dict[str, Any]:
    """The JSON the page draws: text with its direction, buttons (links; the bank login marked so the page can
    retire it once used), quick replies (postbacks), cards, and a reply's list as a table (`table`: the page
    shows its caption and rows instead of the text's "date · description · amount" lines)."""
    return {
        "text": message.text,
        "lang": message.lang,
        "dir": direction(message.lang),
        "buttons": [{"title": b.title, "url": b.url, "payload": b.payload, "login": b.login} for b in message.buttons],
        "quick_replies": [{"title": q.title, "payload": q.payload} for q in message.quick_replies],
        "cards": [
            {"title": c.title, "subtitle": c.subtitle, "lines": [[ln.label, ln.value] for ln in c.lines]}
            for c in message.cards
        ],
        "link_only": message.link_only,
        "table": None if message.table is None else {
            "caption": message.table.caption,
            "columns": list(message.table.columns),
            "rows": [list(row) for row in message.table.rows],
        },
    }


def address(session: str) -> str:
    """The chat's address everywhere behind the web API (identities, outbox, hand-offs, alert preferences): a
    digest of the browser-held session id, never the id itself, which is the chat's bearer secret (#17
    finding 5). The id is 16-64 random URL-safe characters chosen by the page, so its digest cannot be
    reversed by trying ids; a copy of the database gives no way to read or write into a chat."""
    return "s-" + hashlib.sha256(f"sarraf:webchat-session:{session}".encode()).hexdigest()


def inbound(session: str, text: str | None, payload: str | None, locale: str | None,
            message_id: str | None) -> Inbound:
    kind = InboundKind.POSTBACK if payload else InboundKind.TEXT
    return Inbound(NAME, address(session), kind, text or "", payload, message_id, locale)


def receipt(session: str, seen: Receipt) -> Inbound:
    """The page's word that it fetched (delivered) or showed (read) what we sent this session."""
    return Inbound(NAME, address(session), InboundKind.RECEIPT, receipt=seen)


class WebChatChannel:
    name = NAME

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def deliver(self, sender: str, messages: list[Outbound]) -> list[str]:
        for message in messages:
            await self._outbox.push(NAME, sender, render(message))
        return []

    async def after_login(self, session: LinkSession) -> BrowserReturn | None:
        """Back to the chat page, which shows the "linked" message it has just been sent."""
        return BrowserReturn("/?linked=1")

    async def after_login_failure(self, session: LinkSession) -> BrowserReturn | None:
        """The login button opens the bank in the chat's own tab, so a denied or broken login comes back to the
        chat page as well (not to a "close this page" notice): the chat shows the outcome it was just sent."""
        return BrowserReturn("/?linked=0")
