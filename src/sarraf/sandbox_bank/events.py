"""The sandbox bank's events: signed Security Event Tokens (RFC 8417), pushed and polled.

* ``GET /sarraf/v1/jwks.json``: the public key (PS256) a TPP verifies our SETs with.
* ``POST|GET /open-banking/v4.0/event-subscriptions``, ``DELETE …/{EventSubscriptionId}`` (client-credentials
  token): OB v4.0 subscription,
  ``{"Data": {"CallbackUrl": ..., "Version": "4.0"}}``; with one, every event is pushed to CallbackUrl as
  ``application/secevent+jwt`` (RFC 8935), a few quick retries, and stays queued until a 2xx.
* ``POST /open-banking/v4.0/events`` (client-credentials token): OB aggregated polling —
  ``maxEvents``, ``returnImmediately``, ``ack`` (jtis), ``setErrs`` → ``{"moreAvailable", "sets": {jti: SET}}``.
* ``POST /sarraf/v1/admin/simulate`` (header ``x-sandbox-admin-secret``): make an event happen; see README.

Events are addressed per consent: one SET for each AUTH consent the customer gave, with ``sub`` the
consent's URL, so the TPP knows which of its customers the event is about. Subscriptions are kept in the
sandbox's SQLite store (a restarted sandbox still pushes to the TPP that subscribed); the queues of
unacknowledged SETs live in memory, as does the signing key that signed them.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from joserfc import jwt
from joserfc.jwk import RSAKey
from pydantic import BaseModel, Field

from sarraf.sandbox_bank.activity import NOT_STANDARD
from sarraf.sandbox_bank.admin import check_admin
from sarraf.sandbox_bank.aisp import _client
from sarraf.sandbox_bank.cards import CardBook, book
from sarraf.sandbox_bank.context import Sandbox, sandbox
from sarraf.sandbox_bank.errors import OBError
from sarraf.sandbox_bank.offers import offer_event
from sarraf.sandbox_bank.store import Store

router = APIRouter()
SB = Annotated[Sandbox, Depends(sandbox)]
SARRAF = "urn:sarraf:alerts:"
OB_RESOURCE_UPDATE = "urn:uk:org:openbanking:events:resource-update"
OB_CONSENT_REVOKED = "urn:uk:org:openbanking:events:consent-authorization-revoked"
EVENTS = ("card-payment", "large-purchase", "foreign-purchase", "low-balance", "suspected-fraud", "receipt",
          "shipping-update", "resource-update", "consent-revoked", "offer", "transaction", "booking")
PUSH_ATTEMPTS = 3


class EventSigner:
    """Signs SETs with the bank's RSA 2048 key as PS256, the algorithm OB UK's event notification signing
    requires ("this value must be PS256"); `jwks` is what the bank publishes."""

    ALG = "PS256"

    def __init__(self, issuer: str, key: RSAKey | None = None) -> None:
        self.issuer = issuer
        self._key = key

    @property
    def key(self) -> RSAKey:
        """Generated when first needed (the first event or a JWKS fetch), not at start-up: an RSA 2048 key costs
        ~0.06 s, and a `sarraf say` turn or a chat reply never signs an event."""
        if self._key is None:
            self._key = RSAKey.generate_key(2048, parameters={"kid": f"sandbox-events-{uuid.uuid4().hex[:8]}"},
                                            private=True)
        return self._key

    @property
    def kid(self) -> str:
        return str(self.key.kid)

    @property
    def jwks(self) -> dict[str, Any]:
        public = self.key.as_dict(private=False)
        return {"keys": [{**public, "use": "sig", "alg": self.ALG}]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": self.ALG, "kid": self.kid, "typ": "secevent+jwt"}, claims, self.key,
                          algorithms=[self.ALG])  # joserfc signs PS256 only when asked by name

    def claims(self, audience: str, consent_url: str, uri: str, body: dict[str, Any], *,
               toe: int | None = None, jti: str | None = None) -> dict[str, Any]:
        now = int(time.time())
        return {"iss": self.issuer, "iat": now, "jti": jti or uuid.uuid4().hex, "aud": audience,
                "sub": consent_url,
                "txn": uuid.uuid4().hex, "toe": toe if toe is not None else now, "events": {uri: body}}


def consent_url(base: str, consent_id: str) -> str:
    return f"{base}/open-banking/v4.0/aisp/account-access-consents/{consent_id}"


def ob_subject(base: str, consent_id: str) -> dict[str, Any]:
    return {"subject": {
        "subject_type": "http://openbanking.org.uk/rid_http://openbanking.org.uk/rty",
        "http://openbanking.org.uk/rid": consent_id,
        "http://openbanking.org.uk/rty": "account-access-consent",
        "http://openbanking.org.uk/rlk": [{"version": "v4.0", "link": consent_url(base, consent_id)}],
    }}


@dataclass
class Subscription:
    subscription_id: str
    client_id: str
    callback_url: str


class EventHub:
    """Unacknowledged SETs per client (for polling) and the push subscriptions (stored)."""

    def __init__(self, signer: EventSigner, store: Store) -> None:
        self.signer = signer
        self._store = store
        self._lock = threading.Lock()
        self._queues: dict[str, OrderedDict[str, str]] = {}
        self._http: httpx.AsyncClient | None = None

    @property
    def subscriptions(self) -> dict[str, Subscription]:
        """client_id → its push subscription."""
        return {client: Subscription(sid, client, url) for client, (sid, url) in self._store.subscriptions().items()}

    def subscribe(self, subscription: Subscription) -> None:
        """One subscription per TPP: a new one replaces the old."""
        self._store.subscribe(subscription.client_id, subscription.subscription_id, subscription.callback_url)

    def unsubscribe(self, client_id: str, subscription_id: str) -> bool:
        return self._store.unsubscribe(client_id, subscription_id)

    def queue(self, client_id: str, jti: str, token: str) -> None:
        with self._lock:
            self._queues.setdefault(client_id, OrderedDict())[jti] = token

    def delivered(self, client_id: str, jtis: list[str]) -> None:
        with self._lock:
            queue = self._queues.get(client_id, OrderedDict())
            for jti in jtis:
                queue.pop(jti, None)

    def poll(self, client_id: str, max_events: int) -> tuple[dict[str, str], bool]:
        with self._lock:
            queue = self._queues.get(client_id, OrderedDict())
            sets = dict(list(queue.items())[:max_events])
            return sets, len(queue) > len(sets)

    async def push(self, subscription: Subscription, jti: str, token: str) -> int | None:
        """POST the SET to the TPP; the status of the last attempt, None when it could not be reached."""
        status, _ = await self._post(subscription, token.encode(), "application/secevent+jwt")
        if status is not None and 200 <= status < 300:
            self.delivered(subscription.client_id, [jti])
        return status

    async def push_many(self, subscription: Subscription, sets: dict[str, str]) -> int | None:
        """Several SETs for one TPP in one POST (``{"sets": {jti: SET}}``, the shape of an /events answer);
        what the TPP acknowledges — or refuses for good — leaves the queue, the rest waits for polling."""
        if len(sets) == 1:
            ((jti, token),) = sets.items()
            return await self.push(subscription, jti, token)
        status, answer = await self._post(subscription, json.dumps({"sets": sets}).encode(), "application/json")
        if status == 200 and isinstance(answer, dict):
            done = [j for j in answer.get("ack") or [] if isinstance(j, str)]
            self.delivered(subscription.client_id, [*done, *(answer.get("setErrs") or {})])
        return status

    async def _post(self, subscription: Subscription, content: bytes, content_type: str) -> tuple[int | None, Any]:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0))
        status: int | None = None
        answer: Any = None
        for attempt in range(PUSH_ATTEMPTS):
            try:
                response = await self._http.post(subscription.callback_url, content=content,
                                                  headers={"Content-Type": content_type, "Accept": "application/json"})
                status = response.status_code
                # RFC 8935 answers a push with an empty 202: only a batch answer has a body to read.
                answer = response.json() if status < 300 and response.content else None
            except (httpx.HTTPError, ValueError):
                status = None
            if status is not None and status < 500:
                break
            await asyncio.sleep(0.05 * (attempt + 1))
        return status, answer


def hub(request: Request) -> EventHub:
    found: EventHub = request.app.state.events
    return found


Hub = Annotated[EventHub, Depends(hub)]


@router.get("/sarraf/v1/jwks.json")
async def jwks(events: Hub) -> dict[str, Any]:
    return events.signer.jwks


class SubscriptionData(BaseModel):
    CallbackUrl: str = Field(min_length=8, max_length=2000)
    Version: str = Field(default="4.0", max_length=10)
    EventTypes: list[str] | None = None


class SubscriptionRequest(BaseModel):
    Data: SubscriptionData


@router.post("/open-banking/v4.0/event-subscriptions", status_code=201)
async def subscribe(body: SubscriptionRequest, request: Request, sb: SB, events: Hub) -> JSONResponse:
    client = _client(request, sb)
    if not body.Data.CallbackUrl.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise OBError(400, "U001", "CallbackUrl must be https (or loopback http)", "Data.CallbackUrl")
    subscription = Subscription(uuid.uuid4().hex, client.client_id, body.Data.CallbackUrl)
    events.subscribe(subscription)
    data = {"EventSubscriptionId": subscription.subscription_id, "CallbackUrl": subscription.callback_url,
            "Version": body.Data.Version}
    return JSONResponse({"Data": data, "Links": {"Self": str(request.url)}, "Meta": {}}, status_code=201)


@router.get("/open-banking/v4.0/event-subscriptions")
async def subscriptions(request: Request, sb: SB, events: Hub) -> dict[str, Any]:
    client = _client(request, sb)
    found = events.subscriptions.get(client.client_id)
    listed = [{"EventSubscriptionId": found.subscription_id, "CallbackUrl": found.callback_url,
               "Version": "4.0"}] if found else []
    return {"Data": {"EventSubscription": listed}, "Links": {"Self": str(request.url)}, "Meta": {}}


@router.delete("/open-banking/v4.0/event-subscriptions/{subscription_id}", status_code=204)
async def unsubscribe(subscription_id: str, request: Request, sb: SB, events: Hub) -> Response:
    client = _client(request, sb)
    if not events.unsubscribe(client.client_id, subscription_id):
        raise OBError(404, "U005", f"no event subscription {subscription_id}")
    return Response(status_code=204)


class PollRequest(BaseModel):
    maxEvents: int | None = Field(default=None, ge=0, le=1000)
    returnImmediately: bool | None = None
    ack: list[str] = Field(default_factory=list)
    setErrs: dict[str, dict[str, str]] = Field(default_factory=dict)


@router.post("/open-banking/v4.0/events")
async def poll(body: PollRequest, request: Request, sb: SB, events: Hub) -> dict[str, Any]:
    client = _client(request, sb)
    # A negatively acknowledged SET will not get better by sending it again: it leaves the queue too.
    events.delivered(client.client_id, [*body.ack, *body.setErrs])
    sets, more = events.poll(client.client_id, 100 if body.maxEvents is None else body.maxEvents)
    return {"moreAvailable": more, "sets": sets}


# ---- admin: make events happen -------------------------------------------------------------------------

class Simulation(BaseModel):
    event: str = Field(description="one of " + ", ".join(EVENTS))
    customer: str = Field(max_length=64)
    amount: Decimal | None = None
    currency: str | None = Field(default=None, max_length=3)
    merchant: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=2)
    card: str | None = Field(default=None, max_length=64, description="CardId (default: the debit card)")
    items: list[dict[str, Any]] | None = None
    order_id: str | None = Field(default=None, max_length=64)
    status: str | None = Field(default=None, max_length=32)
    carrier: str | None = Field(default=None, max_length=64)
    answer_within_s: int = Field(default=600, ge=1, le=86_400, description="fraud: escalate after this")
    toe_offset_s: int = Field(default=0, description="move the time of event (negative: in the past)")
    offer: str | None = Field(default=None, max_length=32, description="offer: savings_rate, fx_card, limit_increase")
    push: bool = True
    # Standard-events mode (activity.py): the transaction the event stands for, as AIS will list it.
    txn_status: str = Field(default="BOOK", pattern="^(BOOK|PDNG|RJCT)$")
    transaction_id: str | None = Field(default=None, max_length=64, description="booking: the pending one")
    new_transaction_id: str | None = Field(default=None, max_length=64, description="booking: its booked id")
    code: str | None = Field(default=None, max_length=32, description="transaction: DirectDebit, Salary, Refund...")
    credit: bool = False
    card_present: bool = True


def event_body(sim: Simulation, sb: Sandbox, cards: CardBook, base: str, consent_id: str) -> tuple[str, dict[str, Any]]:
    """The event URI and its payload, with sensible sandbox defaults for what the caller left out."""
    if sim.event == "resource-update":
        return OB_RESOURCE_UPDATE, ob_subject(base, consent_id)
    if sim.event == "consent-revoked":
        return OB_CONSENT_REVOKED, {**ob_subject(base, consent_id), "reason": "customer revoked at the bank"}
    if sim.event == "offer":  # the offer alone: what it was matched on stays in the bank
        return SARRAF + sim.event, offer_event(sb, sim.customer, sim.offer)
    profile = sb.bank.profiles[sim.customer]
    currency = (sim.currency or profile.currency).upper()
    card = cards.get(sim.card or f"{sim.customer}-debit") or cards.of(sim.customer)[0]
    account = next(a for a in sb.bank.accounts_of(sim.customer) if a.spec.kind == "current")
    common: dict[str, Any] = {"account_id": card.account_id, "currency": currency}
    if sim.event == "low-balance":
        return SARRAF + sim.event, {"account_id": account.account_id, "currency": profile.currency,
                                     "balance": str(sim.amount if sim.amount is not None else Decimal("42.17")),
                                     "threshold": "100.00"}
    if sim.event == "shipping-update":
        return SARRAF + sim.event, {"order_id": sim.order_id or f"ORD-{uuid.uuid4().hex[:8].upper()}",
                                     "merchant": sim.merchant or "Allegro", "carrier": sim.carrier or "DPD",
                                     "status": sim.status or "shipped"}
    payment = {**common, "transaction_id": f"txn-{uuid.uuid4().hex[:16]}", "card_id": card.card_id,
               "card_last4": card.last4, "amount": str(sim.amount if sim.amount is not None else Decimal("23.40")),
               "merchant": sim.merchant or "Tesco", "country": (sim.country or "GB").upper()}
    if sim.event == "receipt":
        items = sim.items or [{"name": "Coffee", "quantity": 2, "amount": "6.40"},
                              {"name": "Sandwich", "quantity": 1, "amount": "4.50"}]
        total = sum((Decimal(str(i["amount"])) for i in items), Decimal(0))
        return SARRAF + sim.event, {**payment, "amount": str(sim.amount or total), "items": items}
    if sim.event == "suspected-fraud":
        payment.update(country=(sim.country or "BR").upper(), merchant=sim.merchant or "ELECTRO SHOP SAO PAULO",
                       amount=str(sim.amount if sim.amount is not None else Decimal("749.99")),
                       answer_within_s=sim.answer_within_s, reason="unusual country and amount")
    return SARRAF + sim.event, payment


@router.post("/sarraf/v1/admin/simulate")
async def simulate(sim: Simulation, request: Request, sb: SB, events: Hub,
                   cards: Annotated[CardBook, Depends(book)]) -> dict[str, Any]:
    check_admin(request)
    if sim.event not in EVENTS:
        raise OBError(400, "U001", f"unknown event {sim.event!r}; known: {', '.join(EVENTS)}", "event")
    if sim.customer not in sb.bank.profiles:
        raise OBError(404, "U005", f"no customer {sim.customer}", "customer")
    touched: dict[str, Any] = {}
    if sb.activity is not None:  # standard-events mode: the account changes, and OB says only that
        if sim.event in NOT_STANDARD:
            return {"events": [], "transaction": None}
        from sarraf.sandbox_bank.standard_events import record_activity  # it reads Simulation, defined here
        touched = record_activity(sim, sb, sb.activity, cards)
        sim = sim.model_copy(update={"event": "resource-update"}) if sim.event != "consent-revoked" else sim
    elif sim.event in ("transaction", "booking"):
        raise OBError(400, "U001", f"{sim.event!r} needs the standard-events mode (SARRAF_SANDBOX_EVENTS)", "event")
    issued: list[dict[str, Any]] = []
    base = str(request.base_url).rstrip("/")
    clients: dict[str, dict[str, str]] = {}
    for consent in sb.store.authorised_consents_of(sim.customer):
        uri, body = event_body(sim, sb, cards, base, consent.consent_id)
        claims = events.signer.claims(consent.client_id, consent_url(base, consent.consent_id), uri, body,
                                      toe=int(time.time()) + sim.toe_offset_s)
        token = events.signer.sign(claims)
        events.queue(consent.client_id, claims["jti"], token)
        issued.append({"jti": claims["jti"], "consent_id": consent.consent_id, "event": uri, "data": body})
        clients.setdefault(consent.client_id, {})[claims["jti"]] = token
    # One push per TPP: a customer with several consents at one TPP gives it one batch, not a POST each.
    pushed: dict[str, int | None] = {}
    subscriptions = events.subscriptions  # one read of the store, not one per TPP
    for client, sets in clients.items():
        subscription = subscriptions.get(client)
        status = await events.push_many(subscription, sets) if sim.push and subscription else None
        pushed.update({jti: status for jti in sets})
    for item in issued:
        item["pushed"] = pushed[item["jti"]]
    return {"events": issued, "transaction": touched or None}


class Faults(BaseModel):
    card_controls_fail: int = Field(default=0, ge=0, le=100)
    payments_fail: int = Field(default=0, ge=0, le=100)  # the next N domestic-payments POSTs answer 503


@router.post("/sarraf/v1/admin/faults")
async def faults(body: Faults, request: Request, sb: SB,
                 cards: Annotated[CardBook, Depends(book)]) -> dict[str, int]:
    check_admin(request)
    cards.fail_next = body.card_controls_fail
    if sb.ledger is not None:
        sb.ledger.fail_next = body.payments_fail
    return {"card_controls_fail": cards.fail_next, "payments_fail": body.payments_fail}


@router.get("/sarraf/v1/admin/cases")
async def cases(request: Request, cards: Annotated[CardBook, Depends(book)]) -> dict[str, Any]:
    check_admin(request)
    return {"cases": cards.cases(), "cards": {c.card_id: c.status for c in cards.all()}}
