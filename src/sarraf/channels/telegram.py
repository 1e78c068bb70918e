"""Telegram Bot API: webhook updates in, Bot API calls out.

Documentation followed (core.telegram.org/bots/api): setWebhook's `secret_token`, sent back on every update
in the `X-Telegram-Bot-Api-Secret-Token` header; sendMessage with an InlineKeyboardMarkup; callback queries
and answerCallbackQuery; 429 answers carrying `parameters.retry_after`. Deep links (core.telegram.org/bots
/features#deep-linking): `/start <payload>`, payload at most 64 characters of A-Z, a-z, 0-9, _ and -.
Rate (core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): about one message a second
per chat, about 30 a second per bot.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx

from sarraf.channels.address import address, split_address
from sarraf.channels.kit import ChannelKit
from sarraf.channels.platform_http import PlatformClient, PlatformError, RetryPolicy
from sarraf.channels.port import Capabilities, Settings
from sarraf.channels.ratelimit import LocalRateLimits, RateLimits, SendRateLimiter
from sarraf.channels.signatures import same_secret
from sarraf.channels.text_limits import card_text, chunks
from sarraf.channels.webhook import Refused, Turns, WebhookAnswer, WebhookRequest, WebhookRoute
from sarraf.channels.webhook_models import TelegramUpdate, check
from sarraf.domain.messages import Button, Inbound, InboundKind, Outbound

log = logging.getLogger(__name__)

NAME = "telegram"
DEFAULT_API_URL = "https://api.telegram.org"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
TEXT_LIMIT = 4096
CALLBACK_DATA_BYTES = 64
PER_CHAT_PER_SECOND = 1.0
PER_BOT_PER_SECOND = 30.0
DEEP_LINK_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEEP_LINK_TTL = timedelta(minutes=10)
POSTBACK_PREFIX = "intent:"
TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token
MAX_INLINE_BUTTONS = 100  # Bot API: an inline keyboard holds up to 100 buttons
COMMANDS = {"/start": "greeting", "/help": "help", "/link": "link_account", "/balance": "check_balance"}


@dataclass(frozen=True, slots=True)
class TelegramAccount:
    """One bank's bot."""

    tenant: str
    bot_token: str
    secret_token: str
    api_url: str = DEFAULT_API_URL
    bot_username: str = ""


class DeepLinkStore(Protocol):
    async def put(self, tenant: str, payload: str, intent: str, expires_at: datetime, now: datetime) -> None: ...

    async def take(self, tenant: str, payload: str, now: datetime) -> str | None:
        """The intent behind a payload, removed in the same transaction; None when unknown or expired."""


class DeepLinks:
    """One-time, expiring `/start` payloads: a page of the bank can send a customer to
    t.me/<bot>?start=<payload> to start an action (linking by default) in the bot. Kept in the database,
    so a link handed out before a restart still works once after it."""

    def __init__(self, store: DeepLinkStore, ttl: timedelta = DEEP_LINK_TTL,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._ttl = ttl
        self._clock = clock

    async def issue(self, tenant: str, intent: str = "link_account") -> str:
        now = self._clock()
        payload = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-]
        await self._store.put(tenant, payload, intent, now + self._ttl, now)
        return payload

    async def redeem(self, tenant: str, payload: str) -> str | None:
        """The intent behind a payload, once; None when unknown, expired, used or malformed."""
        if not DEEP_LINK_PAYLOAD.match(payload):
            return None
        return await self._store.take(tenant, payload, self._clock())


def _secret_accepted(found: Mapping[str, str]) -> list[str]:
    secret = found.get("secret_token")
    if secret is not None and not TELEGRAM_SECRET.match(secret):
        return ["secret_token (1-256 of A-Z a-z 0-9 _ -)"]
    return []


# ---- inbound -------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Update:
    inbound: Inbound | None
    callback_query_id: str | None = None
    start_payload: str | None = None  # `/start <payload>`: answered as a greeting unless the payload redeems


def parse(body: dict[str, Any], tenant: str, default_tenant: str) -> Update:
    """One update. Validated against the fields read here (webhook_models): one of another shape raises
    NotUnderstood, and the webhook skips it with its reason."""
    if not isinstance(body.get("update_id"), int) or isinstance(body.get("update_id"), bool):
        raise ValueError("not a Telegram update (no update_id)")
    body = check(TelegramUpdate, body).model_dump(by_alias=True, exclude_none=True)
    key = f"{tenant}:{body['update_id']}"  # update ids are unique per bot, not across bots
    message = body.get("message")
    if isinstance(message, dict):
        chat = str((message.get("chat") or {}).get("id") or "")
        if not chat:
            return Update(None)
        sender = address(tenant, default_tenant, chat)
        locale = (message.get("from") or {}).get("language_code")
        text = str(message.get("text") or "")
        intent, start_payload = _command(text)
        if intent is not None:
            return Update(Inbound(NAME, sender, InboundKind.POSTBACK, text, POSTBACK_PREFIX + intent, key, locale),
                          start_payload=start_payload)
        return Update(Inbound(NAME, sender, InboundKind.TEXT, text, None, key, locale))
    query = body.get("callback_query")
    if isinstance(query, dict) and query.get("id"):
        in_chat = ((query.get("message") or {}).get("chat") or {}).get("id")
        chat = str(in_chat or (query.get("from") or {}).get("id") or "")
        locale = (query.get("from") or {}).get("language_code")
        inbound = Inbound(NAME, address(tenant, default_tenant, chat), InboundKind.POSTBACK, "",
                          str(query.get("data") or ""), key, locale) if chat else None
        return Update(inbound, str(query["id"]))
    return Update(None)  # edited messages, channel posts, member updates: nothing to answer


def _command(text: str) -> tuple[str | None, str | None]:
    """The command's intent, and a deep-link payload when it is `/start <payload>`."""
    if not text.startswith("/"):
        return None, None
    command, _, argument = text.partition(" ")
    command = command.split("@", 1)[0].lower()  # "/start@SarrafBot" in groups
    if command == "/start" and argument.strip():
        return "greeting", argument.strip()
    return COMMANDS.get(command), None


# ---- outbound ------------------------------------------------------------------------------------------

def render(message: Outbound, chat_id: str) -> list[dict[str, Any]]:
    """sendMessage bodies: plain text (no parse_mode, so nothing in it is markup) and an inline keyboard."""
    text = message.text
    for card in message.cards:
        text += "\n\n" + card_text(card)
    rows: list[list[dict[str, str]]] = [[key] for b in message.buttons if (key := _key(b))]
    choices = [k for k in (_key(q) for q in message.quick_replies) if k]
    rows += [choices[i:i + 2] for i in range(0, len(choices), 2)]
    bodies: list[dict[str, Any]] = [{"chat_id": chat_id, "text": t} for t in chunks(text, TEXT_LIMIT)]
    if rows:
        bodies[-1]["reply_markup"] = {"inline_keyboard": rows}
    return bodies


def _key(button: Button) -> dict[str, str] | None:
    if button.url:
        return {"text": button.title, "url": button.url}
    if button.payload and len(button.payload.encode()) <= CALLBACK_DATA_BYTES:
        return {"text": button.title, "callback_data": button.payload}
    return None


# ---- the channel ---------------------------------------------------------------------------------------

class TelegramChannel:
    name = NAME
    settings = Settings(required=("bot_token", "secret_token"), optional=("api_url", "bot_username"),
                        checks=(_secret_accepted,))
    capabilities = Capabilities("Telegram", max_buttons=MAX_INLINE_BUTTONS, cards=False, receipts=False, push=True)
    webhook = WebhookRoute("/channels/telegram/webhook",
                           summary="Bot API updates; X-Telegram-Bot-Api-Secret-Token must equal the secret_token "
                                   "given to setWebhook")

    @classmethod
    def build(cls, accounts: Mapping[str, Mapping[str, str]], kit: ChannelKit) -> TelegramChannel:
        return cls({t: TelegramAccount(t, **cls.settings.pick(s)) for t, s in accounts.items()}, kit.default_tenant,
                   kit.http, links=DeepLinks(kit.deep_links), limits=kit.limits)

    def __init__(self, accounts: dict[str, TelegramAccount], default_tenant: str, http: httpx.AsyncClient,
                 retry: RetryPolicy | None = None, per_chat_per_second: float = PER_CHAT_PER_SECOND,
                 per_bot_per_second: float = PER_BOT_PER_SECOND, *, links: DeepLinks,
                 limits: RateLimits | None = None) -> None:
        self.accounts = accounts
        self.default_tenant = default_tenant
        self.links = links
        limits = limits or LocalRateLimits()
        self._per_bot: SendRateLimiter = limits.limiter(f"{NAME}/bot", per_bot_per_second,
                                                        burst=max(1, int(per_bot_per_second)))
        self._clients = {tenant: PlatformClient(NAME, http, limits.limiter(f"{NAME}/{tenant}/chat",
                                                                           per_chat_per_second), retry)
                         for tenant in accounts}

    def serves(self, tenant: str) -> bool:
        return tenant in self.accounts

    def handshake(self, tenant: str, query: Mapping[str, str]) -> str | None:
        return None  # setWebhook registers the URL: Telegram sends no subscription check

    def authentic(self, tenant: str, secret_header: str | None) -> bool:
        account = self.accounts.get(tenant)
        return account is not None and same_secret(account.secret_token, secret_header)

    async def verify(self, tenant: str, request: WebhookRequest) -> None:
        secret = request.headers.get(SECRET_HEADER)
        if secret is None:
            raise Refused(401, "secret token missing")
        if not self.authentic(tenant, secret):
            raise Refused(403, "secret token mismatch")

    async def parse(self, tenant: str, body: dict[str, Any]) -> Update:
        """A verified update; a `/start` deep link is redeemed here (once) into the action it was issued for."""
        update = parse(body, tenant, self.default_tenant)
        if update.start_payload is None or update.inbound is None:
            return update
        intent = await self.links.redeem(tenant, update.start_payload)
        if intent is None:
            return update
        return replace(update, inbound=replace(update.inbound, payload=POSTBACK_PREFIX + intent))

    async def deep_link(self, tenant: str, intent: str = "link_account") -> str:
        account = self.accounts[tenant]
        return f"https://t.me/{account.bot_username}?start={await self.links.issue(tenant, intent)}"

    async def answer_callback(self, tenant: str, callback_query_id: str) -> None:
        """Stop the button's loading spinner; Telegram expects it for every callback query."""
        await self._call(tenant, "answerCallbackQuery", {"callback_query_id": callback_query_id},
                         f"callback:{callback_query_id}")  # not a chat message: no per-chat pacing

    async def respond(self, tenant: str, parsed: Update, turns: Turns) -> WebhookAnswer:
        if parsed.callback_query_id:
            try:
                await self.answer_callback(tenant, parsed.callback_query_id)
            except PlatformError as exc:
                log.warning("telegram: answerCallbackQuery refused (HTTP %s)", exc.status)
        if parsed.inbound is not None:
            await turns.answer(tenant, parsed.inbound, self)
        return WebhookAnswer()

    async def reply(self, sender: str, messages: list[Outbound]) -> None:
        await self.deliver(sender, messages)

    async def deliver(self, sender: str, messages: list[Outbound]) -> list[str]:
        tenant, chat_id = split_address(sender, self.default_tenant)
        for message in messages:
            for body in render(message, chat_id):
                await self._call(tenant, "sendMessage", body, chat_id)
        return []  # the Bot API reports neither delivery nor reading

    async def _call(self, tenant: str, method: str, body: dict[str, Any], limit_key: str) -> None:
        account = self.accounts[tenant]
        await self._per_bot.acquire(tenant)
        await self._clients[tenant].post(f"{account.api_url}/bot{account.bot_token}/{method}", body,
                                         limit_key=limit_key)
