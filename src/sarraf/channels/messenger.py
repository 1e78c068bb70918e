"""Facebook Messenger: webhook events in, Send API messages out.

Documentation followed (Meta for Developers, Messenger Platform):
- webhooks and their signature: /docs/messenger-platform/webhooks
- Send API, quick replies, button and receipt templates: /docs/messenger-platform/reference/send-api,
  /docs/messenger-platform/send-messages/quick-replies, /docs/messenger-platform/send-messages/templates
- utility messages (the only way to write after the 24-hour window since message tags stopped working on
  2026-04-27): /docs/messenger-platform/send-messages/utility-messages
  (https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/utility-messages).
  A question asked outside the window keeps its buttons: the utility template is created with POSTBACK
  buttons (`sarraf channels templates sync`, channels/meta_template_sync.py) and each button's payload is filled
  in at send time, as that page documents: `{"type": "buttons", "parameters": [{"type": "POSTBACK",
  "payload": ...}, ...]}`, one parameter per button in order, with `messaging_type: "UTILITY"` and the language
  code the template was created with. A tap arrives as a `messaging_postbacks` event (or a quick_reply
  message), both parsed below into the same postback an in-window button gives.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from sarraf.channels import meta_templates, webhook_models
from sarraf.channels.address import address, split_address
from sarraf.channels.kit import ChannelKit
from sarraf.channels.login_return import BrowserReturn
from sarraf.channels.messenger_handover import (
    PAGE_INBOX_APP_ID,
    ThreadOwners,
    pass_body,
    take_body,
    thread_change,
)
from sarraf.channels.meta_templates import CHOICE_TEMPLATE
from sarraf.channels.platform_http import PlatformClient, RetryPolicy
from sarraf.channels.port import Capabilities, Settings
from sarraf.channels.ratelimit import LocalRateLimits, RateLimits
from sarraf.channels.signatures import MetaWebhookChecks
from sarraf.channels.text_limits import card_text, chunks, clip
from sarraf.channels.webhook import ANSWERED, Turns, WebhookAnswer, WebhookRoute, answer_each
from sarraf.channels.webhook_models import MessengerEvent
from sarraf.channels.window import WINDOW, ServiceWindows
from sarraf.domain.consent import LinkSession
from sarraf.domain.messages import Button, Card, Inbound, InboundKind, Outbound, Receipt
from sarraf.i18n.languages import LANGUAGES

log = logging.getLogger(__name__)

NAME = "messenger"
DEFAULT_API_URL = "https://graph.facebook.com/v23.0"
PAGE_CALLS_PER_SECOND = 300
TEXT_LIMIT = 2000
TEMPLATE_TEXT_LIMIT = 640
TITLE_LIMIT = 20
MAX_BUTTONS = 3
MAX_QUICK_REPLIES = 13
UNLINK_PAYLOAD = "intent:unlink_account"
TEMPLATE_LANGUAGES = {language.code: language.messenger_template for language in LANGUAGES}
# The Log In button's redirect_uri: only Messenger's own https hosts may receive the customer back.
RETURN_HOSTS = ("facebook.com", "messenger.com")
HANDOVER_CONSOLE, HANDOVER_PAGE_INBOX = "console", "page_inbox"


@dataclass(frozen=True, slots=True)
class MessengerAccount:
    """One bank's Facebook Page."""

    tenant: str
    app_secret: str
    verify_token: str
    page_token: str
    api_url: str = DEFAULT_API_URL
    page_id: str = "me"
    utility_template: str = "sarraf_account_update"
    choice_template: str = CHOICE_TEMPLATE  # the utility template with postback buttons
    app_id: str = ""  # our Meta app's id: a handover naming another app as new owner is that app's
    page_inbox_app_id: str = PAGE_INBOX_APP_ID
    handover: str = HANDOVER_CONSOLE  # who takes a customer asking for a person: our console or the Page Inbox


# ---- inbound -------------------------------------------------------------------------------------------

def messaging_events(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every messaging event of every entry. Each is validated on its own: one we do not understand is skipped,
    with its reason (webhook_models)."""
    if body.get("object") != "page" or not isinstance(body.get("entry"), list):
        raise ValueError("not a Messenger page webhook")
    return webhook_models.events(NAME, MessengerEvent, webhook_models.entries(NAME, body, "messaging"))


def parse(body: dict[str, Any], tenant: str, default_tenant: str) -> list[tuple[Inbound, int]]:
    """Every messaging event of every entry, as neutral messages with their timestamps (ms)."""
    return inbound_of(messaging_events(body), tenant, default_tenant)


def inbound_of(events: list[dict[str, Any]], tenant: str, default_tenant: str) -> list[tuple[Inbound, int]]:
    found: list[tuple[Inbound, int]] = []
    for event in events:
        inbound = _event(event, tenant, default_tenant)
        if inbound is not None:
            found.append((inbound, int(event.get("timestamp") or 0)))
    return found


def _event(event: dict[str, Any], tenant: str, default_tenant: str) -> Inbound | None:
    psid = str((event.get("sender") or {}).get("id") or "")
    if not psid:
        return None
    sender = address(tenant, default_tenant, psid)
    message = event.get("message")
    if isinstance(message, dict):
        if message.get("is_echo"):
            return None  # our own message, echoed back
        mid = str(message.get("mid") or "") or None
        quick = message.get("quick_reply")
        if isinstance(quick, dict) and quick.get("payload"):
            return Inbound(NAME, sender, InboundKind.POSTBACK, str(message.get("text") or ""),
                           str(quick["payload"]), mid)
        return Inbound(NAME, sender, InboundKind.TEXT, str(message.get("text") or ""), None, mid)
    postback = event.get("postback")
    if isinstance(postback, dict):
        mid = str(postback.get("mid") or "") or f"postback:{psid}:{event.get('timestamp')}"
        return Inbound(NAME, sender, InboundKind.POSTBACK, str(postback.get("title") or ""),
                       str(postback.get("payload") or ""), mid)
    linking = event.get("account_linking")
    if isinstance(linking, dict):
        key = f"linking:{psid}:{event.get('timestamp')}"
        if linking.get("status") == "unlinked":
            # The customer unlinked from Messenger's side: stop sharing, as if they had asked us to.
            return Inbound(NAME, sender, InboundKind.POSTBACK, "", UNLINK_PAYLOAD, key)
        return Inbound(NAME, sender, InboundKind.LINKED, "", str(linking.get("status") or ""), key)
    if isinstance(event.get("delivery"), dict) or isinstance(event.get("read"), dict):
        return Inbound(NAME, sender, InboundKind.RECEIPT, receipt=_receipt(event))
    return None


def _receipt(event: dict[str, Any]) -> Receipt:
    """message_deliveries name the delivered messages (`mids`); message_reads give a watermark: everything
    sent to the customer up to that time was read. Both watermarks are milliseconds since the epoch."""
    delivery, read = event.get("delivery"), event.get("read")
    body = read if isinstance(read, dict) else delivery
    assert isinstance(body, dict)
    watermark = body.get("watermark")
    at = datetime.fromtimestamp(watermark / 1000, UTC) if isinstance(watermark, int | float) else None
    mids = tuple(str(m) for m in (body.get("mids") or []) if m) if isinstance(body.get("mids"), list) else ()
    return Receipt("read" if isinstance(read, dict) else "delivered", mids, at)


# ---- outbound ------------------------------------------------------------------------------------------

def render(message: Outbound) -> list[dict[str, Any]]:
    """The Send API `message` objects for one neutral message; quick replies ride on the last one."""
    parts: list[dict[str, Any]] = []
    buttons = [b for b in message.buttons if b.url or b.payload]
    if buttons:
        texts = chunks(message.text, TEMPLATE_TEXT_LIMIT)
        parts += [{"text": t} for t in texts[:-1]]
        for i in range(0, len(buttons), MAX_BUTTONS):
            parts.append(_button_template(texts[-1] if i == 0 else "…", buttons[i:i + MAX_BUTTONS]))
    else:
        parts += [{"text": t} for t in chunks(message.text, TEXT_LIMIT) if t]
    parts += [_card(card, message) for card in message.cards]
    replies = [q for q in message.quick_replies if q.payload][:MAX_QUICK_REPLIES]
    if replies:
        if not parts:
            parts.append({"text": message.text or "…"})
        parts[-1]["quick_replies"] = [
            {"content_type": "text", "title": clip(q.title, TITLE_LIMIT), "payload": q.payload} for q in replies
        ]
    return parts


def _button_template(text: str, buttons: list[Button]) -> dict[str, Any]:
    return {"attachment": {"type": "template", "payload": {
        "template_type": "button", "text": text, "buttons": [_button(b) for b in buttons],
    }}}


def _button(button: Button) -> dict[str, Any]:
    if button.login and button.url:
        # Messenger's Log In button: the platform adds redirect_uri and account_linking_token to our URL.
        return {"type": "account_link", "url": button.url}
    if button.url:
        return {"type": "web_url", "url": button.url, "title": clip(button.title, TITLE_LIMIT)}
    return {"type": "postback", "title": clip(button.title, TITLE_LIMIT), "payload": button.payload}


def _card(card: Card, message: Outbound) -> dict[str, Any]:
    """A receipt when the message carries one (order number, currency, total), else the lines as text."""
    extra = message.extra
    if {"receipt_number", "currency", "total"} <= extra.keys():
        return {"attachment": {"type": "template", "payload": {
            "template_type": "receipt",
            "recipient_name": card.title,
            "order_number": extra["receipt_number"],
            "currency": extra["currency"],
            "payment_method": card.subtitle or extra.get("payment_method", "-"),
            "summary": {"total_cost": float(extra["total"])},
            "elements": [{"title": line.label, "subtitle": line.value, "price": 0} for line in card.lines],
        }}}
    return {"text": clip(card_text(card), TEXT_LIMIT)}


def utility_message(message: Outbound, template: str,
                    choice_template: str = CHOICE_TEMPLATE) -> dict[str, Any]:
    """Outside the 24-hour window only an approved utility template may be sent; the text fills its body and,
    when the message asks a question, its postback buttons carry the payloads in-window buttons would."""
    return {"template": meta_templates.template(
        message, clip(message.text, 1024), template, choice_template,
        languages=TEMPLATE_LANGUAGES, button_sub_type=None, max_buttons=MAX_BUTTONS)}


# ---- the channel ---------------------------------------------------------------------------------------

class MessengerChannel(MetaWebhookChecks[MessengerAccount]):
    name = NAME
    settings = Settings(required=("app_secret", "verify_token", "page_token"),
                        optional=("api_url", "page_id", "utility_template", "choice_template", "app_id",
                                  "page_inbox_app_id", "handover"))
    capabilities = Capabilities("Messenger", max_buttons=MAX_BUTTONS, cards=True, receipts=True, push=True,
                                reply_window=WINDOW)
    webhook = WebhookRoute("/channels/messenger/webhook", handshake=True,
                           summary="Messenger events, signed with X-Hub-Signature-256")

    @classmethod
    def build(cls, accounts: Mapping[str, Mapping[str, str]], kit: ChannelKit) -> MessengerChannel:
        return cls({t: MessengerAccount(t, **cls.settings.pick(s)) for t, s in accounts.items()}, kit.default_tenant,
                   kit.http, ServiceWindows(kit.windows, NAME), limits=kit.limits,
                   threads=ThreadOwners(kit.messenger_threads))

    def __init__(self, accounts: dict[str, MessengerAccount], default_tenant: str, http: httpx.AsyncClient,
                 windows: ServiceWindows, retry: RetryPolicy | None = None,
                 calls_per_second: float = PAGE_CALLS_PER_SECOND, *, limits: RateLimits | None = None,
                 threads: ThreadOwners | None = None) -> None:
        self.accounts = accounts
        self.default_tenant = default_tenant
        self.windows = windows
        self.threads = threads  # None: the Handover Protocol is not followed (the bot always answers)
        # Customers to pass to the Page Inbox once this turn's reply is sent (a page app without the thread may
        # not send): set and spent within one webhook request, so in this process.
        self._pass_after_reply: dict[str, str] = {}
        limits = limits or LocalRateLimits()
        burst = max(1, int(calls_per_second))
        self._clients = {
            tenant: PlatformClient(NAME, http, limits.limiter(f"{NAME}/{tenant}/page", calls_per_second, burst),
                                   retry, headers={"Authorization": f"Bearer {account.page_token}"})
            for tenant, account in accounts.items()
        }

    def accepts_return_uri(self, redirect_uri: str) -> bool:
        parts = urlsplit(redirect_uri)
        host = (parts.hostname or "").lower()
        return parts.scheme == "https" and any(host == h or host.endswith("." + h) for h in RETURN_HOSTS)

    async def after_login(self, session: LinkSession) -> BrowserReturn | None:
        """Messenger's account linking: success is signalled by an authorization_code on its redirect_uri;
        ours is the (now spent) link state, which identifies nothing to the platform."""
        if not session.return_to:
            return None
        joiner = "&" if urlsplit(session.return_to).query else "?"
        return BrowserReturn(f"{session.return_to}{joiner}{urlencode({'authorization_code': session.state})}")

    async def after_login_failure(self, session: LinkSession) -> BrowserReturn | None:
        """No authorization_code: Messenger shows the link as failed."""
        return BrowserReturn(session.return_to) if session.return_to else None

    async def parse(self, tenant: str, body: dict[str, Any]) -> list[Inbound]:
        """Parse a verified webhook body; customers' messages open (or keep open) their 24-hour window."""
        raw_events = messaging_events(body)
        if self.threads is not None:
            for event in raw_events:
                change = thread_change(event, self.accounts[tenant].app_id or None)
                if change is not None:
                    customer = address(tenant, self.default_tenant, change.psid)
                    await self.threads.changed(tenant, customer, change)
                    log.info("messenger: thread %s", "back with the bot" if change.to_us else "held by another app")
        events = inbound_of(raw_events, tenant, self.default_tenant)
        for inbound, _ in events:
            if inbound.kind in (InboundKind.TEXT, InboundKind.POSTBACK):
                await self.windows.customer_spoke(tenant, inbound.sender)
        return [inbound for inbound, _ in events]

    async def respond(self, tenant: str, parsed: list[Inbound], turns: Turns) -> WebhookAnswer:
        """While another app (the Page Inbox) holds a conversation the bot stays silent in it."""
        answered = [inbound for inbound in parsed
                    if inbound.kind not in ANSWERED or not await self.held_elsewhere(tenant, inbound.sender)]
        return await answer_each(tenant, answered, turns, self)

    async def held_elsewhere(self, tenant: str, sender: str) -> bool:
        return self.threads is not None and await self.threads.held_elsewhere(tenant, sender)

    async def take_thread(self, sender: str, metadata: str | None = None) -> None:
        """Make the bank's page app (us) the conversation's owner again (an agent of ours claimed it)."""
        tenant, psid = split_address(sender, self.default_tenant)
        await self._thread_call(tenant, "take_thread_control", take_body(psid, metadata))
        if self.threads is not None:
            await self.threads.ours(tenant, sender)

    async def pass_to_page_inbox(self, sender: str, metadata: str | None = None) -> None:
        """Hand the conversation to the bank's Page Inbox; the bot is silent until it is passed back."""
        tenant, psid = split_address(sender, self.default_tenant)
        account = self.accounts[tenant]
        await self._thread_call(tenant, "pass_thread_control", pass_body(psid, account.page_inbox_app_id, metadata))
        if self.threads is not None:
            await self.threads.handed(tenant, sender, account.page_inbox_app_id)

    def hands_people_to_page_inbox(self, tenant: str) -> bool:
        account = self.accounts.get(tenant)
        return account is not None and account.handover == HANDOVER_PAGE_INBOX

    async def _thread_call(self, tenant: str, call: str, body: dict[str, Any]) -> None:
        account = self.accounts[tenant]
        await self._clients[tenant].post(f"{account.api_url}/{account.page_id}/{call}", body,
                                         limit_key=account.page_id + tenant)

    async def reply(self, sender: str, messages: list[Outbound]) -> None:
        try:
            await self._send(sender, messages, "RESPONSE")
        finally:
            reason = self._pass_after_reply.pop(sender, None)
            if reason is not None:
                await self.pass_to_page_inbox(sender, metadata=reason)

    def pass_after_reply(self, sender: str, reason: str) -> None:
        """Hand the customer to the Page Inbox once the bot has said so (the reply of the turn under way)."""
        self._pass_after_reply[sender] = reason

    async def deliver(self, sender: str, messages: list[Outbound]) -> list[str]:
        return await self._send(sender, messages, "UPDATE")

    async def _send(self, sender: str, messages: list[Outbound], messaging_type: str) -> list[str]:
        tenant, psid = split_address(sender, self.default_tenant)
        account = self.accounts[tenant]
        client = self._clients[tenant]
        url = f"{account.api_url}/{account.page_id}/messages"
        window_open = await self.windows.is_open(tenant, sender)
        sent: list[str] = []
        for message in messages:
            if not window_open and message.extra.get("purpose") == "marketing":
                continue  # marketing is not allowed in utility messages: an offer is not sent once the window closed
            if window_open:
                bodies = [{"recipient": {"id": psid}, "messaging_type": messaging_type, "message": part}
                          for part in render(message)]
            else:
                bodies = [{"recipient": {"id": psid}, "messaging_type": "UTILITY",
                           "message": utility_message(message, account.utility_template,
                                                      account.choice_template)}]
            for body in bodies:
                answer = await client.post(url, body, limit_key=account.page_id + tenant)
                if answer.get("message_id"):
                    sent.append(str(answer["message_id"]))  # the mid message_deliveries name
        log.debug("messenger: sent %d message(s) (%s)", len(messages), "window" if window_open else "utility")
        return sent
