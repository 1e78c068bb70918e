"""Alexa custom skill: verified requests in, spoken answers (and a card in the Alexa app) out.

Documentation followed (developer.amazon.com/docs/custom-skills): request and response JSON reference
(request-and-response-json-reference.html), standard built-in intents, cards (include-a-card-in-your-skills-
response.html). Alexa cannot be written to outside a request, so messages pushed to a customer (the answer
that waited for the bank login) are kept in the database and spoken at the start of their next request.

Account linking (account-linking/add-account-linking.html): a bank whose skill has our OAuth client
configured links through the Alexa app (alexa_linking.py); requests then carry
`context.System.user.accessToken`, which names our customer, and the invite becomes a LinkAccount card.

Nothing sensitive is spoken unless the agreement lets `alexa` see it: the conversation already minimised the
data; here a link is never read aloud, it goes on the card, and the voice says to look at the card.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sarraf.channels.address import address
from sarraf.channels.alexa_linking import AlexaAccountLinking
from sarraf.channels.alexa_phrases import phrase
from sarraf.channels.alexa_verify import AlexaRequestVerifier
from sarraf.channels.login_return import BrowserReturn
from sarraf.channels.webhook_models import (
    AlexaEnvelope,
    AlexaRequest,
    IntentRequest,
    LaunchRequest,
    NotUnderstood,
    alexa_envelope,
)
from sarraf.domain.consent import LinkSession
from sarraf.domain.messages import Inbound, InboundKind, Outbound
from sarraf.observability import LINKS

NAME = "alexa"
LOCALES = ("en-US", "en-GB", "en-IN", "en-AU", "en-CA", "ar-SA")
URL = re.compile(r"\s*https?://\S+")
SPEECH_LIMIT = 6000
PENDING_LIMIT = 10
PENDING_MAX_AGE = timedelta(hours=24)  # an answer older than this is stale: dropped unspoken
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
    client_id: str = ""  # our OAuth client for the skill's account linking (both set: linking on)
    client_secret: str = ""
    vendor_id: str = ""  # pins Alexa's redirect_uri to this vendor's path


class PendingStore(Protocol):
    async def add(self, sender: str, messages: list[Outbound], keep: int, now: datetime) -> None: ...

    async def take(self, sender: str, since: datetime) -> list[Outbound]: ...


class Identified(Protocol):
    @property
    def id(self) -> str: ...


class IdentityBinder(Protocol):
    async def identify(self, tenant: str, channel: str, sender: str) -> Identified: ...

    async def bind(self, tenant: str, channel: str, sender: str, customer_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class AlexaTurn:
    tenant: str
    inbound: Inbound | None  # None: nothing to answer (session ended, skill events)
    ends_session: bool = False


def lang_of_locale(locale: str | None) -> str:
    prefix = (locale or "")[:2].lower()
    return prefix if prefix in ("ar", "pl", "en") else "en"


def _envelope(envelope: Any) -> tuple[AlexaEnvelope, AlexaRequest]:
    """The request as its per-type model; ValueError (answered 400) naming the field that does not fit."""
    try:
        return alexa_envelope(envelope)
    except NotUnderstood as exc:
        raise ValueError(f"malformed Alexa request: {exc.reason}") from None


def _dig(found: Any, *path: str) -> Any:
    for key in path:
        found = found.get(key) if isinstance(found, dict) else None
    return found


def access_token_of(envelope: dict[str, Any]) -> str | None:
    return _envelope(envelope)[0].access_token()


def link_account_response(lang: str) -> dict[str, Any]:
    """Ask the customer to link (again) in the Alexa app: its LinkAccount card starts our OAuth flow."""
    return {"version": "1.0", "response": {
        "outputSpeech": {"type": "PlainText", "text": phrase(lang, "relink")},
        "card": {"type": "LinkAccount"},
        "shouldEndSession": True,
    }}


def parse(envelope: dict[str, Any], tenant: str, default_tenant: str) -> AlexaTurn:
    found, request = _envelope(envelope)
    user = found.user_id()
    if not user:
        raise ValueError("the request names no user")
    sender = address(tenant, default_tenant, user)
    locale = request.locale or "en-US"
    key = request.requestId or None
    if isinstance(request, LaunchRequest):
        return AlexaTurn(tenant, Inbound(NAME, sender, InboundKind.POSTBACK, "", "intent:greeting", key, locale))
    if not isinstance(request, IntentRequest):  # SessionEndedRequest, skill events...: nothing to answer
        return AlexaTurn(tenant, None, ends_session=True)
    name = request.intent.name
    if name == QUERY_INTENT:
        slot = (request.intent.slots or {}).get("query")
        text = slot.value if slot is not None and slot.value else ""
        return AlexaTurn(tenant, Inbound(NAME, sender, InboundKind.TEXT, text, None, key, locale))
    ours = INTENTS.get(name, "out_of_scope")
    return AlexaTurn(tenant, Inbound(NAME, sender, InboundKind.POSTBACK, "", f"intent:{ours}", key, locale),
                     ends_session=name in ENDING)


def render(messages: list[Outbound], *, ends_session: bool, link_in_app: bool = False) -> dict[str, Any]:
    """One response: every message spoken without URLs, links on a card, buttons as a spoken choice.

    With `link_in_app` (the skill links through our OAuth), the bank-login button becomes Alexa's LinkAccount
    card: the customer links in the Alexa app and no login URL is shown.
    """
    lang = messages[0].lang if messages else "en"
    spoken: list[str] = []
    card_lines: list[str] = []
    choices: list[str] = []
    wants_linking = False
    for message in messages:
        spoken.append(URL.sub("", message.text).strip())
        card_lines.append(message.text)
        for card in message.cards:
            spoken.append(". ".join([card.title, *(f"{ln.label}: {ln.value}" for ln in card.lines)]))
        login = [b for b in message.buttons if b.url and b.login and link_in_app]
        links = [b for b in message.buttons if b.url and b not in login]
        for link in links:
            card_lines.append(f"{link.title}: {link.url}")
        if login:
            wants_linking = True
            spoken.append(phrase(message.lang, "link_in_app"))
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
    if wants_linking:
        response["card"] = {"type": "LinkAccount"}
    elif any(b.url for m in messages for b in m.buttons) or any(m.link_only for m in messages):
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

    def __init__(self, accounts: dict[str, AlexaAccount], default_tenant: str, verifier: AlexaRequestVerifier, *,
                 pending: PendingStore, identities: IdentityBinder, linking: AlexaAccountLinking | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.accounts = accounts
        self.default_tenant = default_tenant
        self.verifier = verifier
        self.linking = linking
        self._pending = pending
        self._identities = identities
        self._clock = clock

    async def after_login(self, session: LinkSession) -> BrowserReturn | None:
        """A bank login started by Alexa's account linking goes back to Alexa with our single-use code; the
        Alexa app tells the customer, so the conversation stays quiet (None: linked from a card, as any chat)."""
        onward = await self.linking.after_login(session.state) if self.linking is not None else None
        if onward is None:
            return None
        LINKS.labels("alexa_code").inc()
        return BrowserReturn(onward, tell_conversation=False, no_referrer=True)

    async def after_login_failure(self, session: LinkSession) -> BrowserReturn | None:
        """Alexa's redirect_uri hears access_denied."""
        onward = await self.linking.after_failed_login(session.state) if self.linking is not None else None
        return BrowserReturn(onward, tell_conversation=False) if onward is not None else None

    def for_this_skill(self, tenant: str, envelope: dict[str, Any]) -> bool:
        """The request names this bank's skill (Amazon's rule: refuse requests for other skills)."""
        account = self.accounts.get(tenant)
        # Read leniently: a body for this skill that is malformed elsewhere is refused by `parse` with 400
        # and the field at fault, not as another skill's.
        application = (_dig(envelope, "context", "System", "application", "applicationId")
                       or _dig(envelope, "session", "application", "applicationId"))
        return account is not None and bool(account.skill_id) and application == account.skill_id

    def links_in_app(self, tenant: str) -> bool:
        """This bank's skill links accounts through our OAuth server (so invites become LinkAccount cards)."""
        return self.linking is not None and tenant in self.linking.tenants()

    async def recognise(self, tenant: str, sender: str, access_token: str) -> bool:
        """Bind the Alexa user to the customer our access token names; False when the token is unknown,
        expired or another bank's (the customer must link again)."""
        if self.linking is None:
            return False
        customer_id = await self.linking.customer_for(tenant, access_token)
        if customer_id is None:
            return False
        await self._identities.bind(tenant, NAME, sender, customer_id)
        return True

    async def request_without_token(self, tenant: str, sender: str) -> None:
        """Alexa stops sending our token once the customer unlinks in the Alexa app. A user who was linked
        through our OAuth is then detached from that customer (and its tokens revoked), so nothing of theirs
        is answered to this Alexa account any more; the customer's bank link serves their other channels."""
        if self.linking is None or not self.links_in_app(tenant):
            return
        current = await self._identities.identify(tenant, NAME, sender)
        if not await self.linking.linked_in_app(tenant, current.id):
            return
        await self.linking.forget(tenant, current.id)
        unlinked = await self._identities.identify(tenant, NAME, f"{sender}#unlinked-{secrets.token_hex(8)}")
        await self._identities.bind(tenant, NAME, sender, unlinked.id)

    async def deliver(self, sender: str, messages: list[Outbound]) -> list[str]:
        await self._pending.add(sender, messages, PENDING_LIMIT, self._clock())
        return []  # read out at the customer's next session: Alexa sends no receipts

    async def take_pending(self, sender: str) -> list[Outbound]:
        return await self._pending.take(sender, self._clock() - PENDING_MAX_AGE)
