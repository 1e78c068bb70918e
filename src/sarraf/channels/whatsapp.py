"""WhatsApp Business Cloud API: webhook notifications in, /messages calls out.

Documentation followed (Meta for Developers, WhatsApp Cloud API):
- webhooks, their payloads and the X-Hub-Signature-256 check: /docs/whatsapp/cloud-api/webhooks/payload-examples
- messages: /docs/whatsapp/cloud-api/messages/interactive-reply-buttons-messages (≤ 3 reply buttons),
  .../interactive-list-messages (≤ 10 rows), .../interactive-cta-url-messages, .../template-messages
- the 24-hour customer-service window and throughput: /docs/whatsapp/cloud-api/overview#throughput
- template quick-reply buttons (outside the window): a template approved with quick-reply buttons is sent with
  one `{"type": "button", "sub_type": "quick_reply", "index": "<n>", "parameters": [{"type": "payload",
  "payload": ...}]}` component per button; a tap comes back as a `button` message whose `button.payload` is ours.
  Utility templates take up to 10 quick-reply buttons (Meta: https://developers.facebook.com/documentation/
  business-messaging/whatsapp/templates/utility-templates). The send-time component shape was read from a
  schema of Meta's TemplateComponent (github.com/api-evangelist/whatsapp, json-schema/whatsapp-cloud-api-
  template-component-schema.json) and a WhatsApp partner's copy of the request, not from Meta's own page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from sarraf.channels import meta_templates, webhook_models
from sarraf.channels.address import address, split_address
from sarraf.channels.kit import ChannelKit
from sarraf.channels.meta_templates import CHOICE_TEMPLATE, choices_of
from sarraf.channels.platform_http import PlatformClient, RetryPolicy
from sarraf.channels.port import Capabilities, Settings
from sarraf.channels.ratelimit import LocalRateLimits, RateLimits
from sarraf.channels.signatures import MetaWebhookChecks
from sarraf.channels.text_limits import card_text, chunks, clip
from sarraf.channels.webhook import Turns, WebhookAnswer, WebhookRoute, answer_each
from sarraf.channels.webhook_models import WhatsAppChange, WhatsAppMessage, WhatsAppStatus
from sarraf.channels.window import WINDOW, ServiceWindows
from sarraf.domain.messages import Button, Inbound, InboundKind, Outbound, Receipt
from sarraf.i18n.languages import LANGUAGES
from sarraf.i18n.replies import catalog

log = logging.getLogger(__name__)

NAME = "whatsapp"
DEFAULT_API_URL = "https://graph.facebook.com/v23.0"
MESSAGES_PER_SECOND = 80  # default Cloud API throughput per business phone number
TEXT_LIMIT = 4096
BODY_LIMIT = 1024
MAX_REPLY_BUTTONS = 3
MAX_LIST_ROWS = 10
BUTTON_TITLE_LIMIT = 20
ROW_TITLE_LIMIT = 24
MAX_TEMPLATE_QUICK_REPLIES = 10
TEMPLATE_LANGUAGES = {language.code: language.whatsapp_template for language in LANGUAGES}


def _options(lang: str) -> str:
    """The list's button and the choice prompt."""
    return catalog().as_written(lang, "whatsapp_options")


@dataclass(frozen=True, slots=True)
class WhatsAppAccount:
    """One bank's WhatsApp Business phone number."""

    tenant: str
    app_secret: str
    verify_token: str
    access_token: str
    phone_number_id: str
    api_url: str = DEFAULT_API_URL
    template: str = "sarraf_account_update"
    # Approved with the same body parameter plus quick-reply buttons labelled as the bot's choices (today the
    # fraud question's "Yes, it was me" / "No, it wasn't me", per language): a question asked outside the
    # window keeps its buttons, the payloads are filled in at send time.
    choice_template: str = CHOICE_TEMPLATE


# ---- inbound -------------------------------------------------------------------------------------------

def parse(body: dict[str, Any], account: WhatsAppAccount, default_tenant: str) -> list[Inbound]:
    """Every message of every change of every entry addressed to this account's number."""
    if body.get("object") != "whatsapp_business_account" or not isinstance(body.get("entry"), list):
        raise ValueError("not a WhatsApp Business Account webhook")
    found: list[Inbound] = []
    # Each change, message and status validated on its own: what we do not understand is skipped with its
    # reason (webhook_models), the rest answered.
    for change in webhook_models.events(NAME, WhatsAppChange, webhook_models.entries(NAME, body, "changes")):
        value = change.get("value")
        if change.get("field") != "messages" or value is None:
            continue
        if str((value.get("metadata") or {}).get("phone_number_id") or "") != account.phone_number_id:
            continue  # a number this bank does not run: not ours to answer
        for message in webhook_models.events(NAME, WhatsAppMessage, value.get("messages")):
            inbound = _message(message, account.tenant, default_tenant)
            if inbound is not None:
                found.append(inbound)
        for status in webhook_models.events(NAME, WhatsAppStatus, value.get("statuses")):
            if status.get("recipient_id"):
                sender = address(account.tenant, default_tenant, str(status["recipient_id"]))
                found.append(Inbound(NAME, sender, InboundKind.RECEIPT, payload=str(status.get("status")),
                                     receipt=_receipt(status)))
    return found


def _receipt(status: dict[str, Any]) -> Receipt | None:
    """A status of a message we sent (its wamid in `id`): delivered and read count; sent and failed do not
    (a failed send already failed at our send call, which retries)."""
    state, wamid = status.get("status"), status.get("id")
    if state not in ("delivered", "read") or not wamid:
        return None
    stamp = str(status.get("timestamp") or "")
    at = datetime.fromtimestamp(int(stamp), UTC) if stamp.isdigit() else None
    return Receipt(str(state), (str(wamid),), at)


def _message(message: dict[str, Any], tenant: str, default_tenant: str) -> Inbound | None:
    wa_id = str(message.get("from") or "")
    if not wa_id:
        return None
    sender = address(tenant, default_tenant, wa_id)
    mid = str(message.get("id") or "") or None
    kind = message.get("type")
    if kind == "text":
        return Inbound(NAME, sender, InboundKind.TEXT, str((message.get("text") or {}).get("body") or ""), None, mid)
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        chosen = interactive.get("button_reply") or interactive.get("list_reply") or {}
        return Inbound(NAME, sender, InboundKind.POSTBACK, str(chosen.get("title") or ""),
                       str(chosen.get("id") or ""), mid)
    if kind == "button":  # a quick-reply button of a template message
        button = message.get("button") or {}
        return Inbound(NAME, sender, InboundKind.POSTBACK, str(button.get("text") or ""),
                       str(button.get("payload") or ""), mid)
    # Media, locations, contacts: nothing we read; the conversation answers an empty message politely.
    return Inbound(NAME, sender, InboundKind.TEXT, "", None, mid)


# ---- outbound ------------------------------------------------------------------------------------------

def render(message: Outbound, to: str) -> list[dict[str, Any]]:
    """The /messages bodies for one neutral message: text, a URL call-to-action, then the choices."""
    base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
    text = message.text
    for card in message.cards:
        text += "\n\n" + card_text(card)
    links = [b for b in message.buttons if b.url]
    choices = choices_of(message)
    bodies: list[dict[str, Any]] = []
    texts = chunks(text, BODY_LIMIT if (links or choices) else TEXT_LIMIT)
    bodies += [{**base, "type": "text", "text": {"body": t}} for t in texts[:-1]]
    last = texts[-1]
    for link in links:  # one URL per call-to-action message
        bodies.append({**base, "type": "interactive", "interactive": {
            "type": "cta_url", "body": {"text": last},
            "action": {"name": "cta_url", "parameters": {"display_text": clip(link.title, BUTTON_TITLE_LIMIT),
                                                         "url": link.url}},
        }})
        last = "" if not choices else _options(message.lang)
    if choices:
        bodies.append({**base, "type": "interactive", "interactive": _choices(last or _options(message.lang),
                                                                              choices, message.lang)})
    elif not links:
        bodies.append({**base, "type": "text", "text": {"body": last}})
    return bodies


def _choices(text: str, choices: list[Button], lang: str) -> dict[str, Any]:
    """Up to 3 choices are reply buttons; more become a list (at most 10 rows)."""
    if len(choices) <= MAX_REPLY_BUTTONS:
        return {"type": "button", "body": {"text": text}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": c.payload, "title": clip(c.title, BUTTON_TITLE_LIMIT)}} for c in choices
        ]}}
    return {"type": "list", "body": {"text": text}, "action": {
        "button": _options(lang),
        "sections": [{"rows": [{"id": c.payload, "title": clip(c.title, ROW_TITLE_LIMIT)}
                               for c in choices[:MAX_LIST_ROWS]]}],
    }}


_LINE_BREAKS = re.compile(r"[ \t]*[\r\n]+[ \t\r\n]*")
_WIDE_SPACE = re.compile(r"[ \t]*\t[ \t]*| {2,}")


def template_parameter(text: str) -> str:
    """WhatsApp refuses template text with new lines, tabs or more than four spaces in a row (its template
    formatting rules), and our alerts are several lines long: the lines become one, joined by a middle dot."""
    return _WIDE_SPACE.sub(" ", _LINE_BREAKS.sub(" · ", text.strip()))


def template_message(message: Outbound, to: str, template: str,
                     choice_template: str = CHOICE_TEMPLATE) -> dict[str, Any]:
    """Outside the customer-service window WhatsApp takes only approved templates; a message with choices
    uses the template with quick-reply buttons, each carrying the payload an in-window button would."""
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template",
            "template": meta_templates.template(
                message, clip(template_parameter(message.text), BODY_LIMIT), template, choice_template,
                languages=TEMPLATE_LANGUAGES, button_sub_type="quick_reply",
                max_buttons=MAX_TEMPLATE_QUICK_REPLIES)}


# ---- the channel ---------------------------------------------------------------------------------------

class WhatsAppChannel(MetaWebhookChecks[WhatsAppAccount]):
    name = NAME
    settings = Settings(required=("app_secret", "verify_token", "access_token", "phone_number_id"),
                        optional=("api_url", "template", "choice_template"))
    capabilities = Capabilities("WhatsApp", max_buttons=MAX_REPLY_BUTTONS, cards=False, receipts=True, push=True,
                                reply_window=WINDOW)
    webhook = WebhookRoute("/channels/whatsapp/webhook", handshake=True,
                           summary="WhatsApp Cloud API notifications, signed with X-Hub-Signature-256")

    @classmethod
    def build(cls, accounts: Mapping[str, Mapping[str, str]], kit: ChannelKit) -> WhatsAppChannel:
        return cls({t: WhatsAppAccount(t, **cls.settings.pick(s)) for t, s in accounts.items()}, kit.default_tenant,
                   kit.http, ServiceWindows(kit.windows, NAME), limits=kit.limits)

    def __init__(self, accounts: dict[str, WhatsAppAccount], default_tenant: str, http: httpx.AsyncClient,
                 windows: ServiceWindows, retry: RetryPolicy | None = None,
                 messages_per_second: float = MESSAGES_PER_SECOND, *, limits: RateLimits | None = None) -> None:
        self.accounts = accounts
        self.default_tenant = default_tenant
        self.windows = windows
        limits = limits or LocalRateLimits()
        burst = max(1, int(messages_per_second))
        self._clients = {
            tenant: PlatformClient(NAME, http, limits.limiter(f"{NAME}/{tenant}/number", messages_per_second, burst),
                                   retry, headers={"Authorization": f"Bearer {account.access_token}"})
            for tenant, account in accounts.items()
        }

    async def parse(self, tenant: str, body: dict[str, Any]) -> list[Inbound]:
        found = parse(body, self.accounts[tenant], self.default_tenant)
        for inbound in found:
            if inbound.kind in (InboundKind.TEXT, InboundKind.POSTBACK):
                await self.windows.customer_spoke(tenant, inbound.sender)
        return found

    async def respond(self, tenant: str, parsed: list[Inbound], turns: Turns) -> WebhookAnswer:
        return await answer_each(tenant, parsed, turns, self)

    async def reply(self, sender: str, messages: list[Outbound]) -> None:
        await self.deliver(sender, messages)

    async def deliver(self, sender: str, messages: list[Outbound]) -> list[str]:
        tenant, wa_id = split_address(sender, self.default_tenant)
        account = self.accounts[tenant]
        url = f"{account.api_url}/{account.phone_number_id}/messages"
        window_open = await self.windows.is_open(tenant, sender)
        sent: list[str] = []  # wamids: the statuses webhook names them
        for message in messages:
            if not window_open and message.extra.get("purpose") == "marketing":
                continue  # an offer goes only inside the window (docs/offers.md): no marketing template is sent
            bodies = (render(message, wa_id) if window_open
                      else [template_message(message, wa_id, account.template, account.choice_template)])
            for body in bodies:
                answer = await self._clients[tenant].post(url, body, limit_key=account.phone_number_id)
                sent.extend(str(m["id"]) for m in answer.get("messages") or [] if isinstance(m, dict) and m.get("id"))
        log.debug("whatsapp: sent %d message(s) (%s)", len(messages), "window" if window_open else "template")
        return sent
