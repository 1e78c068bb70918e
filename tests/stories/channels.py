"""The three kinds of channel a story runs on, each driven as its customers' apps would drive it, over HTTP:

* full — the web chat's JSON API;
* masked — Telegram: signed (secret-token) webhook updates in, Bot API calls out to the fake platform;
* link_only — Messenger: signed (X-Hub-Signature-256) webhook events in, Send API calls out.

Every driver turns what the customer saw into the same `Seen` messages (text, buttons), so a story checks
one shape whatever the platform.
"""

from __future__ import annotations

import itertools
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from sarraf.i18n.replies.formatting import strip_bidi_marks
from tests.alerts.channel_world import ChannelWorld
from tests.channels.fake_platform import Call

KINDS = {"webchat": "full", "telegram": "masked", "messenger": "link_only"}
LOCALES = {"en": "en-GB", "pl": "pl-PL", "ar": "ar-SA"}
_ids = itertools.count(1)


@dataclass(frozen=True)
class Button:
    title: str
    payload: str | None
    url: str | None


@dataclass(frozen=True)
class Seen:
    text: str
    buttons: tuple[Button, ...] = ()
    link_only: bool = False


def normalise(text: str) -> str:
    """Compare words and figures, not typography: direction marks and isolates out, no-break spaces as spaces."""
    text = strip_bidi_marks(text).translate(dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069\u202a\u202b\u202c"
                                                                  "\u202d\u202e"), None))
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@dataclass
class Driver(ABC):
    world: ChannelWorld
    http: httpx.AsyncClient
    name: str
    last: list[Seen] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return KINDS[self.name]

    def new_sender(self) -> str:
        return f"{self.name}-story-{next(_ids)}-{int(time.time())}"

    @abstractmethod
    async def say(self, sender: str, lang: str, text: str) -> list[Seen]: ...

    @abstractmethod
    async def after_login(self, sender: str, login: Callable[[], Awaitable[None]]) -> list[Seen]: ...

    @abstractmethod
    async def press(self, sender: str, lang: str, payload: str) -> list[Seen]: ...


class WebChat(Driver):
    async def say(self, sender: str, lang: str, text: str) -> list[Seen]:
        return await self._post(sender, lang, {"text": text})

    async def press(self, sender: str, lang: str, payload: str) -> list[Seen]:
        return await self._post(sender, lang, {"payload": payload})

    async def after_login(self, sender: str, login: Callable[[], Awaitable[None]]) -> list[Seen]:
        await login()
        response = await self.http.get(f"{self.world.url}/webchat/api/updates", params={"session": sender, "after": 0})
        assert response.status_code == 200, response.text
        return [_web_seen(r) for r in response.json()["replies"]]

    async def _post(self, sender: str, lang: str, body: dict[str, Any]) -> list[Seen]:
        response = await self.http.post(f"{self.world.url}/webchat/api/messages",
                                        json={"session": sender, "locale": LOCALES[lang], **body})
        assert response.status_code == 200, response.text
        return [_web_seen(r) for r in response.json()["replies"]]


def _web_seen(r: dict[str, Any]) -> Seen:
    buttons = tuple(Button(b["title"], b.get("payload"), b.get("url")) for b in [*r["buttons"], *r["quick_replies"]])
    return Seen(r["text"], buttons, bool(r["link_only"]))


class Platform(Driver):
    """Telegram and Messenger: the webhook call returns after the replies went out to the platform."""

    async def say(self, sender: str, lang: str, text: str) -> list[Seen]:
        start = len(self.world.sent_to(sender))
        await self._send_text(sender, lang, text)
        return [self.seen(c) for c in self.world.sent_to(sender)[start:] if self.seen(c).text]

    async def after_login(self, sender: str, login: Callable[[], Awaitable[None]]) -> list[Seen]:
        start = len(self.world.sent_to(sender))
        await login()
        return [self.seen(c) for c in self.world.sent_to(sender)[start:] if self.seen(c).text]

    async def press(self, sender: str, lang: str, payload: str) -> list[Seen]:
        start = len(self.world.sent_to(sender))
        await self._send_press(sender, lang, payload)
        return [self.seen(c) for c in self.world.sent_to(sender)[start:] if self.seen(c).text]

    @abstractmethod
    async def _send_text(self, sender: str, lang: str, text: str) -> None: ...

    @abstractmethod
    async def _send_press(self, sender: str, lang: str, payload: str) -> None: ...

    @abstractmethod
    def seen(self, call: Call) -> Seen: ...


class Telegram(Platform):
    def new_sender(self) -> str:
        return str(700_000 + next(_ids))

    async def _send_text(self, sender: str, lang: str, text: str) -> None:
        await self.world.telegram(int(sender), text, lang)

    async def _send_press(self, sender: str, lang: str, payload: str) -> None:
        await self.world.telegram_button(int(sender), payload, lang)

    def seen(self, call: Call) -> Seen:
        rows = (call.body.get("reply_markup") or {}).get("inline_keyboard") or []
        buttons = tuple(Button(b.get("text", ""), b.get("callback_data"), b.get("url")) for row in rows for b in row)
        return Seen(str(call.body.get("text") or ""), buttons)


class Messenger(Platform):
    async def _send_text(self, sender: str, lang: str, text: str) -> None:
        await self.world.messenger(sender, text)

    async def _send_press(self, sender: str, lang: str, payload: str) -> None:
        body = {"object": "page", "entry": [{"id": "PAGE", "time": 1, "messaging": [{
            "sender": {"id": sender}, "recipient": {"id": "PAGE"}, "timestamp": int(time.time() * 1000),
            "message": {"mid": f"m_{self.world.next_id()}", "text": payload, "quick_reply": {"payload": payload}}}]}]}
        await self.world.meta("/channels/messenger/webhook", body)

    def seen(self, call: Call) -> Seen:
        message = call.body.get("message") or {}
        template = (message.get("attachment") or {}).get("payload") or {}
        text = str(message.get("text") or template.get("text") or "")
        if not text:  # a utility template (outside the 24-hour window): its parameters carry the words
            text = " ".join(_texts(message))
        raw = [*template.get("buttons", []), *message.get("quick_replies", [])]
        buttons = tuple(Button(str(b.get("title", "")), b.get("payload"), b.get("url")) for b in raw)
        return Seen(text, buttons, link_only="/secure/" in text or any("/secure/" in (b.url or "") for b in buttons))


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "text" and isinstance(v, str)] + [
            t for k, v in node.items() if k != "text" for t in _texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _texts(v)]
    return []


DRIVERS: dict[str, type[Driver]] = {"webchat": WebChat, "telegram": Telegram, "messenger": Messenger}
