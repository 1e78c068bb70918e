"""Payments that settle later: accepted as PDNG at submission, settled (ACSC, both sides booked) or rejected
(RJCT AM04 when the money left the account in the meantime) on the sandbox's clock.

Which payments settle later is the sandbox's setting (`SettleLater`): those above an amount, those abroad
(international), each `after_s` seconds after submission. From the environment —
SARRAF_SANDBOX_SETTLE_LATER_ABOVE (an amount in any currency), SARRAF_SANDBOX_SETTLE_LATER_ABROAD=1,
SARRAF_SANDBOX_SETTLE_AFTER_S (default 60) — or the admin API:

* ``POST /sarraf/v1/admin/settlement`` ``{"later_above": "500", "abroad": true, "after_s": 60}``: the setting.
* ``POST /sarraf/v1/admin/settle`` ``{"payment_id": ..., "due_only": true}``: settle now what is due (or every
  pending payment with ``due_only: false``) — the step a test triggers instead of waiting for the clock; each
  settled payment is announced to its TPP with OB's resource-update event (pushed, and queued for polling).
* ``POST /sarraf/v1/admin/withdraw`` ``{"customer": ..., "amount": ...}``: money leaves the customer's current
  account outside the API (a cash withdrawal), so a pending payment can meet an empty account at settlement.

A TPP reading a payment (GET /domestic-payments/{id}, /international-payments/{id}) or its
``/payment-details`` (OB v4.0 OBWritePaymentDetailsResponse1) sees it settled once its due time has passed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from sarraf.sandbox_bank import render
from sarraf.sandbox_bank.admin import check_admin
from sarraf.sandbox_bank.aisp import _access_token
from sarraf.sandbox_bank.errors import OBError
from sarraf.sandbox_bank.events import OB_RESOURCE_UPDATE, EventHub
from sarraf.sandbox_bank.pisp import PREFIX, REASONS, SB, ledger_of
from sarraf.sandbox_bank.settle_rule import SettleLater

router = APIRouter()
class Setting(BaseModel):
    later_above: Decimal | None = Field(default=None, gt=0)
    abroad: bool = False
    after_s: int = Field(default=60, ge=0, le=7 * 86_400)


@router.post("/sarraf/v1/admin/settlement")
async def configure(body: Setting, request: Request) -> dict[str, Any]:
    check_admin(request)
    request.app.state.settle_later = SettleLater(body.later_above, body.abroad, body.after_s)
    return {"later_above": str(body.later_above) if body.later_above is not None else None,
            "abroad": body.abroad, "after_s": body.after_s}


class Settle(BaseModel):
    payment_id: str | None = Field(default=None, max_length=64)
    due_only: bool = True


@router.post("/sarraf/v1/admin/settle")
async def settle(body: Settle, request: Request, sb: SB) -> dict[str, Any]:
    check_admin(request)
    settled = ledger_of(sb).settle(sb.now(), payment_id=body.payment_id, due_only=body.due_only)
    await announce(request, sb, [s["payment_id"] for s in settled])
    return {"settled": settled}


async def announce(request: Request, sb: Any, payment_ids: list[str]) -> None:
    """OB's resource-update for each settled payment, to the TPP that made it: queued for polling and pushed
    to its subscription. The subject is the payment (rty domestic-payment / international-payment)."""
    events: EventHub = request.app.state.events
    base = str(request.base_url).rstrip("/")
    sets: dict[str, dict[str, str]] = {}
    for payment_id in payment_ids:
        row = ledger_of(sb).payment(payment_id)
        consent = ledger_of(sb).consent(row["consent_id"]) if row else None
        if consent is None:
            continue
        kind = "international-payment" if payment_id.startswith("ip-") else "domestic-payment"
        link = f"{base}{PREFIX}/{kind}s/{payment_id}"
        subject = {"subject_type": "http://openbanking.org.uk/rid_http://openbanking.org.uk/rty",
                   "http://openbanking.org.uk/rid": payment_id, "http://openbanking.org.uk/rty": kind,
                   "http://openbanking.org.uk/rlk": [{"version": "v4.0", "link": link}]}
        claims = events.signer.claims(consent.client_id, link, OB_RESOURCE_UPDATE, {"subject": subject})
        token = events.signer.sign(claims)
        events.queue(consent.client_id, claims["jti"], token)
        sets.setdefault(consent.client_id, {})[claims["jti"]] = token
    subscriptions = events.subscriptions
    for client, tokens in sets.items():
        if (subscription := subscriptions.get(client)) is not None:
            await events.push_many(subscription, tokens)


class Withdrawal(BaseModel):
    customer: str = Field(max_length=64)
    amount: Decimal = Field(gt=0)


@router.post("/sarraf/v1/admin/withdraw")
async def withdraw(body: Withdrawal, request: Request, sb: SB) -> dict[str, Any]:
    check_admin(request)
    if body.customer not in sb.bank.profiles:
        raise OBError(404, "U005", f"no customer {body.customer}", "customer")
    account = next(a for a in sb.bank.accounts_of(body.customer) if a.spec.kind == "current")
    ledger = ledger_of(sb)
    posting = ledger.withdraw(account, body.amount, sb.now(), "Cash withdrawal")
    return {"posting": posting, "account_id": account.account_id, "balance": str(ledger.balance(account))}


def settled_row(sb: Any, payment_id: str) -> dict[str, Any] | None:
    """The payment as of the sandbox's clock: settled first when its due time has passed."""
    ledger = ledger_of(sb)
    ledger.settle(sb.now(), payment_id=payment_id)
    return ledger.payment(payment_id)


def _details(request: Request, sb: Any, payment_id: str, prefix: str) -> dict[str, Any]:
    token = _access_token(request, sb)
    row = settled_row(sb, payment_id) if payment_id.startswith(prefix) else None
    consent = ledger_of(sb).consent(row["consent_id"]) if row else None
    if row is None or consent is None or consent.client_id != token.client_id:
        raise OBError(404, "U005", f"no payment {payment_id}")
    at = ledger_of(sb).settled_at(payment_id) or datetime.fromisoformat(row["created_at"])
    detail: dict[str, Any] = {"Status": row["status"]}
    if row.get("reason"):
        detail |= {"StatusReason": row["reason"], "StatusReasonDescription": REASONS.get(row["reason"], "rejected")}
    status = {"PaymentTransactionId": payment_id, "Status": row["status"], "StatusUpdateDateTime": render.iso(at),
              "StatusDetail": detail}
    return {"Data": {"PaymentStatus": [status]}, "Links": {"Self": str(request.url)}, "Meta": {}}


@router.get(PREFIX + "/domestic-payments/{DomesticPaymentId}/payment-details")
async def domestic_details(DomesticPaymentId: str, request: Request, sb: SB) -> dict[str, Any]:
    return _details(request, sb, DomesticPaymentId, "dp-")


@router.get(PREFIX + "/international-payments/{InternationalPaymentId}/payment-details")
async def international_details(InternationalPaymentId: str, request: Request, sb: SB) -> dict[str, Any]:
    return _details(request, sb, InternationalPaymentId, "ip-")
