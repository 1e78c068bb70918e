"""Alexa custom skill: verified requests in, spoken answers (and a card in the Alexa app) out.

Documentation followed (developer.amazon.com/docs/custom-skills): request and response JSON reference
(request-and-response-json-reference.html), standard built-in intents, cards (include-a-card-in-your-skills-
response.html). Alexa cannot be written to outside a request, so messages pushed to a customer (the answer
that waited for the bank login) are kept in the database and spoken at the start of their next request.

Account linking (account-linking/add-account-linking.html): a bank whose skill has our OAuth client
configured links through the Alexa app (alexa/linking.py); requests then carry
`context.System.user.accessToken`, which names our customer, and the invite becomes a LinkAccount card.

Nothing sensitive is spoken unless the agreement lets `alexa` see it: the conversation already minimised the
data; here a link is never read aloud, it goes on the card, and the voice says to look at the card.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sarraf.channels.address import address
from sarraf.channels.alexa.linking import AlexaAccountLinking, AlexaClient
from sarraf.channels.alexa.phrases import phrase
from sarraf.channels.alexa.verify import AlexaRequestVerifier, AlexaVerificationError, http_fetcher
from sarraf.channels.kit import ChannelKit
from sarraf.channels.login_return import BrowserReturn
from sarraf.channels.port import Capabilities, Settings
from sarraf.channels.webhook import Refused, Turns, WebhookAnswer, WebhookRequest, WebhookRoute
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
from sarraf.i18n.languages import LANGUAGES
from sarraf.observability import LINKS, REPLIES

NAME = "alexa"
ALEXA_LINKING = ("client_id", "client_secret")  # account linking through our OAuth server needs both
LOCALES = tuple(locale for language in LANGUAGES for locale in language.alexa_locales)
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
    access_token: str | None = None  # ours, when the skill links accounts through our OAuth server


def _refused(exc: AlexaVerificationError) -> Refused:
    return Refused(400 if "timestamp" in str(exc) else 403, str(exc))


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
    settings = Settings(required=("skill_id",), optional=(*ALEXA_LINKING, "vendor_id"))
    capabilities = Capabilities("Alexa", max_buttons=0, cards=True, receipts=False, push=False)
    webhook = WebhookRoute("/channels/alexa", summary="Alexa skill requests, verified as Amazon requires "
                                                      "(certificate chain, Signature-256, timestamp)")

    @classmethod
    def build(cls, accounts: Mapping[str, Mapping[str, str]], kit: ChannelKit) -> AlexaChannel:
        """Account linking through our OAuth server is on for the banks with a client of their own; the others
        are named in `kit.disabled`."""
        found = {t: AlexaAccount(t, **cls.settings.pick(s)) for t, s in accounts.items()}
        linking = AlexaAccountLinking([AlexaClient(a.tenant, a.client_id, a.client_secret, a.vendor_id)
                                       for a in found.values()], kit.alexa_grants)
        for tenant, settings in accounts.items():
            if tenant not in linking.tenants():
                missing = [key for key in ALEXA_LINKING if key not in settings] or ["a client_id of its own"]
                kit.disabled[f"alexa account linking/{tenant}"] = f"missing {', '.join(missing)}"
        return cls(found, kit.default_tenant, AlexaRequestVerifier(http_fetcher(kit.http)),
                   pending=kit.alexa_pending, identities=kit.identities, linking=linking)

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

    def serves(self, tenant: str) -> bool:
        return tenant in self.accounts

    def handshake(self, tenant: str, query: Mapping[str, str]) -> str | None:
        return None  # the skill's endpoint is set in the developer console: no subscription check

    async def verify(self, tenant: str, request: WebhookRequest) -> None:
        """The signature first: an unsigned body is never parsed."""
        try:
            await self.verifier.verify_signature(request.headers, request.raw)
        except AlexaVerificationError as exc:
            raise _refused(exc) from exc

    async def parse(self, tenant: str, body: dict[str, Any]) -> AlexaTurn:
        """A signed envelope: fresh (timestamp), for this bank's skill, then read as one turn."""
        try:
            self.verifier.check_timestamp(body)
        except AlexaVerificationError as exc:
            raise _refused(exc) from exc
        if not self.for_this_skill(tenant, body):
            raise Refused(403, "request is for another skill")
        return replace(parse(body, tenant, self.default_tenant), access_token=access_token_of(body))

    async def respond(self, tenant: str, parsed: AlexaTurn, turns: Turns) -> WebhookAnswer:
        """Alexa hears the answer in the HTTP response: what waited for the customer, then this turn's replies."""
        if parsed.inbound is None:
            return WebhookAnswer({"version": "1.0", "response": {}})
        if parsed.access_token is None:
            await self.request_without_token(tenant, parsed.inbound.sender)
        elif not await self.recognise(tenant, parsed.inbound.sender, parsed.access_token):
            # A token we did not issue, or one that expired or was revoked: the customer links again in the app.
            return WebhookAnswer(link_account_response(lang_of_locale(parsed.inbound.locale)))
        waiting = await self.take_pending(parsed.inbound.sender)
        REPLIES.labels(NAME).inc(len(waiting))
        replies = waiting + await turns.converse(tenant, parsed.inbound)
        return WebhookAnswer(render(replies, ends_session=parsed.ends_session, link_in_app=self.links_in_app(tenant)))

    async def reply(self, sender: str, messages: list[Outbound]) -> None:
        await self.deliver(sender, messages)  # outside respond(), an answer waits for the next request

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
