"""Alexa custom skill: verified requests in, spoken answers (and a card in the Alexa app) out.

Documentation followed (developer.amazon.com/docs/custom-skills): request and response JSON reference
(request-and-response-json-reference.html), standard built-in intents, cards (include-a-card-in-your-skills-
response.html). Alexa cannot be written to outside a request, so messages pushed to a customer (the answer
that waited for the bank login) are kept and spoken at the start of their next request.

Nothing sensitive is spoken unless the agreement lets `alexa` see it: the conversation already minimised the
data; here a link is never read aloud, it goes on the card, and the voice says to look at the card.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sarraf.channels.address import address
from sarraf.channels.alexa_phrases import phrase
from sarraf.channels.alexa_verify import AlexaRequestVerifier
from sarraf.domain.messages import Inbound, InboundKind, Outbound

NAME = "alexa"
LOCALES = ("en-US", "en-GB", "en-IN", "en-AU", "en-CA", "ar-SA")
URL = re.compile(r"\s*https?://\S+")
SPEECH_LIMIT = 6000
PENDING_LIMIT = 10
INTENTS = {
    "CheckBalanceIntent": "check_balance",
    "RecentTransactionsIntent": "recent_transactions",
    "SpendingSummaryIntent": "spending_summary",
    "LinkAccountIntent": "link_account",
    "UnlinkAccountIntent": "unlink_account",
    "AMAZON.HelpIntent": "help",
    "AMAZON.StopIntent": "goodbye",
    "AMAZON.CancelIntent": "goodbye",
    "AMAZON.NoIntent": "deny",
    "AMAZON.YesIntent": "affirm",
    "AMAZON.FallbackIntent": "out_of_scope",
}
ENDING = frozenset({"AMAZON.StopIntent", "AMAZON.CancelIntent"})
QUERY_INTENT = "QueryIntent"  # one slot, "query" (AMAZON.SearchQuery): free speech for our own NLU


@dataclass(frozen=True, slots=True)
class AlexaAccount:
    """One bank's skill."""

    tenant: str
    skill_id: str


@dataclass(frozen=True, slots=True)
class AlexaTurn:
    tenant: str
    inbound: Inbound | None  # None: nothing to answer (session ended, skill events)
    ends_session: bool = False


def parse(envelope: dict[str, Any], tenant: str, default_tenant: str) -> AlexaTurn:
    request = envelope.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("type"), str):
        raise ValueError("not an Alexa request envelope")
    system = (envelope.get("context") or {}).get("System") or {}
    user = (system.get("user") or {}).get("userId") or ((envelope.get("session") or {}).get("user") or {}).get("userId")
    if not user:
        raise ValueError("the request names no user")
    sender = address(tenant, default_tenant, str(user))
    locale = str(request.get("locale") or "en-US")
    key = str(request.get("requestId") or "") or None
    kind = request["type"]
    if kind == "LaunchRequest":
        return AlexaTurn(tenant, Inbound(NAME, sender, InboundKind.POSTBACK, "", "intent:greeting", key, locale))
    if kind != "IntentRequest":
        return AlexaTurn(tenant, None, ends_session=True)
    intent = request.get("intent") or {}
    name = str(intent.get("name") or "")
    if name == QUERY_INTENT:
        slot = ((intent.get("slots") or {}).get("query") or {}).get("value")
        return AlexaTurn(tenant, Inbound(NAME, sender, InboundKind.TEXT, str(slot or ""), None, key, locale))
    ours = INTENTS.get(name, "out_of_scope")
    return AlexaTurn(tenant, Inbound(NAME, sender, InboundKind.POSTBACK, "", f"intent:{ours}", key, locale),
                     ends_session=name in ENDING)


def render(messages: list[Outbound], *, ends_session: bool) -> dict[str, Any]:
    """One response: every message spoken without URLs, links on a card, buttons as a spoken choice."""
    lang = messages[0].lang if messages else "en"
    spoken: list[str] = []
    card_lines: list[str] = []
    choices: list[str] = []
    for message in messages:
        spoken.append(URL.sub("", message.text).strip())
        card_lines.append(message.text)
        for card in message.cards:
            spoken.append(". ".join([card.title, *(f"{ln.label}: {ln.value}" for ln in card.lines)]))
        links = [b for b in message.buttons if b.url]
        for link in links:
            card_lines.append(f"{link.title}: {link.url}")
        if links or message.link_only:
            spoken.append(phrase(message.lang, "see_card"))
        choices += [b.title for b in (*message.buttons, *message.quick_replies) if b.payload and not b.url]
    listen = bool(choices) and not ends_session
    if listen:
        spoken.append(phrase(lang, "choices", options=_spoken_list(lang, choices)))
    response: dict[str, Any] = {
        "outputSpeech": {"type": "PlainText", "text": " ".join(s for s in spoken if s)[:SPEECH_LIMIT]},
        "shouldEndSession": not listen,
    }
    if any(b.url for m in messages for b in m.buttons) or any(m.link_only for m in messages):
        response["card"] = {"type": "Simple", "title": phrase(lang, "card_title"), "content": "\n\n".join(card_lines)}
    if listen:
        response["reprompt"] = {"outputSpeech": {"type": "PlainText", "text": phrase(lang, "reprompt")}}
    return {"version": "1.0", "response": response}


def _spoken_list(lang: str, items: list[str]) -> str:
    unique = list(dict.fromkeys(items))
    if len(unique) == 1:
        return unique[0]
    return ", ".join(unique[:-1]) + phrase(lang, "or") + unique[-1]


class AlexaChannel:
    name = NAME

    def __init__(self, accounts: dict[str, AlexaAccount], default_tenant: str, verifier: AlexaRequestVerifier) -> None:
        self.accounts = accounts
        self.default_tenant = default_tenant
        self.verifier = verifier
        self._pending: dict[str, list[Outbound]] = defaultdict(list)

    def for_this_skill(self, tenant: str, envelope: dict[str, Any]) -> bool:
        """The request names this bank's skill (Amazon's rule: refuse requests for other skills)."""
        account = self.accounts.get(tenant)
        system = (envelope.get("context") or {}).get("System") or {}
        application = (system.get("application") or {}).get("applicationId") or (
            ((envelope.get("session") or {}).get("application") or {}).get("applicationId"))
        return account is not None and bool(account.skill_id) and application == account.skill_id

    async def deliver(self, sender: str, messages: list[Outbound]) -> None:
        kept = self._pending[sender]
        kept.extend(messages)
        del kept[:-PENDING_LIMIT]

    def take_pending(self, sender: str) -> list[Outbound]:
        return self._pending.pop(sender, [])
