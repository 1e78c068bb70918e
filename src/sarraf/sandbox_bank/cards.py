"""Card controls: a small Sarraf extension API next to OB v4.0 (OB has no card-control standard).

Every call needs a customer's access token bound to an AUTH consent (as for account data) and acts only on
that customer's cards. Paths are relative to where the bank is served:

    GET  /sarraf/v1/cards                                 -> {"Data": {"Card": [card, ...]}}
    POST /sarraf/v1/cards/{CardId}/freeze|unfreeze        -> {"Data": card}
    POST /sarraf/v1/cards/{CardId}/report-lost|report-stolen -> {"Data": card} (Status "blocked": final)
    POST /sarraf/v1/cases  {"Data": {"CardId", "Reason", "Reference"}} -> 201 {"Data": {"CaseId", ...}}

A card is {"CardId", "Last4", "Status": active|frozen|blocked, "AccountId"}. Creating a case is idempotent
per Reference (the gateway sends its alert id): a retried request returns the same CaseId.
The cards come from the seed; what customers did to them (freezes, blocks) and the cases they opened live in
the sandbox's SQLite store, so a restarted sandbox still has a frozen card frozen and its case open.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sarraf.sandbox_bank.aisp import _grant
from sarraf.sandbox_bank.context import Sandbox, sandbox
from sarraf.sandbox_bank.errors import OBError

PREFIX = "/sarraf/v1"
router = APIRouter(prefix=PREFIX)
SB = Annotated[Sandbox, Depends(sandbox)]
ACTIONS = {"freeze": "frozen", "unfreeze": "active", "report-lost": "blocked", "report-stolen": "blocked"}


@dataclass(frozen=True, slots=True)
class SandboxCard:
    card_id: str
    customer_id: str
    last4: str
    status: str
    account_id: str

    def body(self) -> dict[str, str]:
        return {"CardId": self.card_id, "Last4": self.last4, "Status": self.status, "AccountId": self.account_id}


class CardBook:
    """Cards of every seeded customer: a debit card on the current account, plus the credit card if any.

    Statuses and cases are read from and written to the store; the lock keeps a status check and its change
    one step. `fail_next` makes the next N card-control calls answer 503, so tests can show a bank that is
    down (a test fault: it is not kept across restarts).
    """

    def __init__(self, sb: Sandbox) -> None:
        self._lock = threading.Lock()
        self._store = sb.store
        self._now = sb.now
        self._cards: dict[str, SandboxCard] = {}  # as seeded, every card active
        self.fail_next = 0
        for account in sb.bank.accounts.values():
            profile = sb.bank.profiles[account.customer_id]
            if account.spec.kind == "current":
                card_id = f"{account.customer_id}-debit"
                self._cards[card_id] = SandboxCard(card_id, account.customer_id, profile.card_last4, "active",
                                                   account.account_id)
            elif account.spec.kind == "card":
                card_id = f"{account.customer_id}-credit"
                self._cards[card_id] = SandboxCard(card_id, account.customer_id, account.spec.identification[-4:],
                                                   "active", account.account_id)

    def _current(self) -> dict[str, SandboxCard]:
        changed = self._store.card_statuses()
        return {card_id: replace(card, status=changed[card_id]) if card_id in changed else card
                for card_id, card in self._cards.items()}

    def of(self, customer_id: str) -> list[SandboxCard]:
        return [c for c in self._current().values() if c.customer_id == customer_id]

    def all(self) -> list[SandboxCard]:
        return list(self._current().values())

    def get(self, card_id: str) -> SandboxCard | None:
        card = self._cards.get(card_id)
        status = self._store.card_status(card_id) if card is not None else None
        return replace(card, status=status) if card is not None and status is not None else card

    def trip(self) -> None:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                raise OBError(503, "U007", "card services are temporarily unavailable")

    def act(self, customer_id: str, card_id: str, action: str) -> SandboxCard:
        with self._lock:
            card = self.get(card_id)
            if card is None or card.customer_id != customer_id:
                raise OBError(404, "U005", f"no card {card_id}")
            if card.status == "blocked" and action != "report-lost" and action != "report-stolen":
                raise OBError(400, "U004", "the card is blocked (lost or stolen) and cannot change any more")
            card = replace(card, status=ACTIONS[action])
            self._store.set_card_status(card_id, card.status)
            return card

    def open_case(self, customer_id: str, card_id: str, reason: str, reference: str) -> dict[str, str]:
        card = self._cards.get(card_id)
        if card is None or card.customer_id != customer_id:
            raise OBError(404, "U005", f"no card {card_id}")
        return self._store.open_case(customer_id, reference, f"case-{uuid.uuid4().hex[:12]}", card_id, reason,
                                     self._now())

    def cases(self) -> list[dict[str, str]]:
        return self._store.cases()


def book(request: Request) -> CardBook:
    found: CardBook = request.app.state.cards
    return found


Book = Annotated[CardBook, Depends(book)]


class CaseData(BaseModel):
    CardId: str = Field(min_length=1, max_length=64)
    Reason: str = Field(min_length=1, max_length=64)
    Reference: str = Field(min_length=1, max_length=128)


class CaseRequest(BaseModel):
    Data: CaseData


def _customer(request: Request, sb: Sandbox) -> str:
    grant = _grant(request, sb)
    if not grant.consent.customer_id:
        raise OBError(403, "U004", "the consent names no customer")
    return grant.consent.customer_id


@router.get("/cards")
async def list_cards(request: Request, sb: SB, cards: Book) -> dict[str, Any]:
    customer = _customer(request, sb)
    return {"Data": {"Card": [c.body() for c in cards.of(customer)]}}


@router.post("/cards/{card_id}/{action}")
async def card_action(card_id: str, action: str, request: Request, sb: SB, cards: Book) -> dict[str, Any]:
    if action not in ACTIONS:
        raise OBError(404, "U005", f"unknown card action {action}")
    customer = _customer(request, sb)
    cards.trip()
    return {"Data": cards.act(customer, card_id, action).body()}


@router.post("/cases", status_code=201)
async def open_case(body: CaseRequest, request: Request, sb: SB, cards: Book) -> JSONResponse:
    customer = _customer(request, sb)
    cards.trip()
    case = cards.open_case(customer, body.Data.CardId, body.Data.Reason, body.Data.Reference)
    return JSONResponse({"Data": case}, status_code=201)
