"""UK Open Banking v4.0 Payment Initiation: domestic payments (consents, funds confirmation, payments).

Consents are created and read with a client-credentials token; the customer authorises one at the bank's
strong-authentication page (sca.py), and the token the TPP gets for it serves that consent only: its funds
confirmation and its one payment. POSTs need `x-idempotency-key` (OB: same key and body → the same answer,
same key and another body → 400). The ledger (ledger.py) books each payment exactly once.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from sarraf.sandbox_bank import render
from sarraf.sandbox_bank.aisp import _access_token, _client
from sarraf.sandbox_bank.context import Sandbox, sandbox
from sarraf.sandbox_bank.errors import OBError
from sarraf.sandbox_bank.ledger import IdempotencyConflict, PaymentConsent, PaymentLedger, PaymentRefused
from sarraf.sandbox_bank.settle_rule import settle_at
from sarraf.sandbox_bank.store import Token

PREFIX = "/open-banking/v4.0/pisp"
router = APIRouter(prefix=PREFIX)
SB = Annotated[Sandbox, Depends(sandbox)]
AMOUNT = re.compile(r"^\d{1,13}$|^\d{1,13}\.\d{1,5}$")
SCHEMES = frozenset({"UK.OBIE.SortCodeAccountNumber", "UK.OBIE.IBAN"})
CURRENCIES = frozenset({"GBP", "PLN", "SAR", "EUR", "USD"})


def ledger_of(sb: Sandbox) -> PaymentLedger:
    if sb.ledger is None:
        raise OBError(404, "U005", "payments are not offered by this bank")
    return sb.ledger


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError as exc:
        raise OBError(400, "U001", "the request body is not JSON") from exc


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("x-idempotency-key", "")
    if not key or len(key) > 40 or key != key.strip():
        raise OBError(400, "U002", "x-idempotency-key is required (1-40 characters, no surrounding spaces)",
                      "x-idempotency-key")
    return key


def _initiation(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("Data"), dict):
        raise OBError(400, "U002", "Data is required", "Data")
    if not isinstance(raw.get("Risk"), dict):
        raise OBError(400, "U002", "Risk is required", "Risk")
    init = raw["Data"].get("Initiation")
    if not isinstance(init, dict):
        raise OBError(400, "U002", "Data.Initiation is required", "Data.Initiation")
    for field in ("InstructionIdentification", "EndToEndIdentification"):
        if not isinstance(init.get(field), str) or not 1 <= len(init[field]) <= 35:
            raise OBError(400, "U002", f"{field} is required (1-35 characters)", f"Data.Initiation.{field}")
    amount = init.get("InstructedAmount")
    if not isinstance(amount, dict) or not AMOUNT.match(str(amount.get("Amount", ""))):
        raise OBError(400, "U001", "InstructedAmount.Amount is not an OB amount", "Data.Initiation.InstructedAmount")
    try:
        if Decimal(amount["Amount"]) <= 0:
            raise OBError(400, "U001", "InstructedAmount must be positive", "Data.Initiation.InstructedAmount")
    except InvalidOperation as exc:
        raise OBError(400, "U001", "InstructedAmount.Amount is not a number") from exc
    if amount.get("Currency") not in CURRENCIES:
        raise OBError(400, "U001", "unsupported currency", "Data.Initiation.InstructedAmount.Currency")
    creditor = init.get("CreditorAccount")
    if not isinstance(creditor, dict) or creditor.get("SchemeName") not in SCHEMES \
            or not isinstance(creditor.get("Identification"), str) or not creditor.get("Name"):
        raise OBError(400, "U001", "CreditorAccount needs SchemeName, Identification and Name",
                      "Data.Initiation.CreditorAccount")
    return init


def _consent_body(c: PaymentConsent, request: Request) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ConsentId": c.consent_id, "CreationDateTime": render.iso(c.created_at), "Status": c.status,
        "StatusUpdateDateTime": render.iso(c.status_updated_at), "Initiation": c.initiation,
        "ExpectedExecutionDateTime": render.iso(c.created_at),
        "ExpectedSettlementDateTime": render.iso(c.created_at),
    }
    self_url = str(request.url_for("get_payment_consent", ConsentId=c.consent_id))
    return {"Data": data, "Risk": c.body.get("Risk", {}), "Links": {"Self": self_url}, "Meta": {}}


def _remembered(ledger: PaymentLedger, client_id: str, endpoint: str, key: str, body: Any,
                sb: Sandbox) -> dict[str, Any] | None:
    try:
        return ledger.remembered(client_id, endpoint, key, body, sb.now())
    except IdempotencyConflict as exc:
        raise OBError(400, "U001", "x-idempotency-key was used before with a different body",
                      "x-idempotency-key") from exc


@router.post("/domestic-payment-consents", status_code=201)
async def create_consent(request: Request, sb: SB) -> JSONResponse:
    client = _client(request, sb)
    key = _idempotency_key(request)
    raw = await _json_body(request)
    ledger = ledger_of(sb)
    if (kept := _remembered(ledger, client.client_id, "consents", key, raw, sb)) is not None:
        return JSONResponse(kept, status_code=201)
    init = _initiation(raw)
    debtor = None
    if isinstance(init.get("DebtorAccount"), dict):
        debtor = ledger.account_by_identification(str(init["DebtorAccount"].get("SchemeName")),
                                                  str(init["DebtorAccount"].get("Identification")))
        if debtor is None:
            raise OBError(400, "U001", "DebtorAccount is not an account of this bank", "Data.Initiation.DebtorAccount")
    now = sb.now()
    consent = PaymentConsent("pdc-" + uuid.uuid4().hex, client.client_id, "AWAU",
                             {"Data": {"Initiation": init}, "Risk": raw["Risk"]}, now, now, None, debtor)
    ledger.add_consent(consent)
    body = _consent_body(consent, request)
    return JSONResponse(ledger.remember(client.client_id, "consents", key, raw, body, now), status_code=201)


def _owned(sb: Sandbox, consent_id: str, client_id: str) -> PaymentConsent:
    consent = ledger_of(sb).consent(consent_id)
    if consent is None or consent.client_id != client_id:
        raise OBError(404, "U005", f"no domestic-payment-consent {consent_id}")
    return consent


@router.get("/domestic-payment-consents/{ConsentId}", name="get_payment_consent")
async def get_consent(ConsentId: str, request: Request, sb: SB) -> dict[str, Any]:
    return _consent_body(_owned(sb, ConsentId, _client(request, sb).client_id), request)


def _customer_token(request: Request, sb: Sandbox, consent_id: str) -> tuple[Token, PaymentConsent]:
    """The customer's token for exactly this consent, which must be authorised."""
    token = _access_token(request, sb)
    if token.consent_id != consent_id or "payments" not in token.scope.split():
        raise OBError(403, "U004", "this token does not authorise that payment consent")
    consent = _owned(sb, consent_id, token.client_id)
    if consent.status != "AUTH":
        raise OBError(403, "U004", f"the payment consent is not authorised (status {consent.status})")
    return token, consent


@router.get("/domestic-payment-consents/{ConsentId}/funds-confirmation")
async def funds_confirmation(ConsentId: str, request: Request, sb: SB) -> dict[str, Any]:
    _, consent = _customer_token(request, sb, ConsentId)
    ledger = ledger_of(sb)
    account = sb.bank.accounts[consent.debtor_account_id or ""]
    wanted = Decimal(consent.initiation["InstructedAmount"]["Amount"])
    return {"Data": {"FundsAvailableResult": {"FundsAvailableDateTime": render.iso(sb.now()),
                                              "FundsAvailable": ledger.balance(account) >= wanted}},
            "Links": {"Self": str(request.url)}, "Meta": {}}


def _payment_body(row: dict[str, Any], request: Request) -> dict[str, Any]:
    at = render.iso(datetime.fromisoformat(row["created_at"]))
    data: dict[str, Any] = {"DomesticPaymentId": row["payment_id"], "ConsentId": row["consent_id"],
                            "CreationDateTime": at, "Status": row["status"], "StatusUpdateDateTime": at,
                            "Initiation": json.loads(row["body"])}
    if row.get("reason"):
        data["StatusReason"] = [{"StatusReasonCode": row["reason"],
                                 "StatusReasonDescription": REASONS.get(row["reason"], "rejected")}]
    self_url = str(request.url_for("get_domestic_payment", DomesticPaymentId=row["payment_id"]))
    return {"Data": data, "Links": {"Self": self_url}, "Meta": {}}


REASONS = {"AM04": "Insufficient funds", "AM03": "The currency is not that of the accounts"}


@router.post("/domestic-payments", status_code=201)
async def create_payment(request: Request, sb: SB) -> JSONResponse:
    key = _idempotency_key(request)
    if ledger_of(sb).trip():
        raise OBError(503, "U007", "payment services are temporarily unavailable")
    raw = await _json_body(request)
    consent_id = raw.get("Data", {}).get("ConsentId") if isinstance(raw, dict) and isinstance(
        raw.get("Data"), dict) else None
    if not isinstance(consent_id, str):
        raise OBError(400, "U002", "Data.ConsentId is required", "Data.ConsentId")
    token, consent = _customer_token(request, sb, consent_id)
    ledger = ledger_of(sb)
    if (kept := _remembered(ledger, token.client_id, "payments", key, raw, sb)) is not None:
        return JSONResponse(kept, status_code=201)
    if _initiation(raw) != consent.initiation:
        raise OBError(400, "U001", "the Initiation differs from the one the customer authorised", "Data.Initiation")
    try:
        made = ledger.pay("dp-" + uuid.uuid4().hex, consent, sb.now(),
                          settle_at(request, consent.initiation, False, sb.now()))
    except PaymentRefused as exc:
        raise OBError(400, "U004", str(exc), "Data.ConsentId") from exc
    body = _payment_body(ledger.payment(made["payment_id"]) or {}, request)
    return JSONResponse(ledger.remember(token.client_id, "payments", key, raw, body, sb.now()), status_code=201)


@router.get("/domestic-payments/{DomesticPaymentId}", name="get_domestic_payment")
async def get_payment(DomesticPaymentId: str, request: Request, sb: SB) -> dict[str, Any]:
    token = _access_token(request, sb)
    ledger_of(sb).settle(sb.now(), payment_id=DomesticPaymentId)  # a payment settling later, once it is due
    row = ledger_of(sb).payment(DomesticPaymentId)
    consent = ledger_of(sb).consent(row["consent_id"]) if row else None
    if row is None or consent is None or consent.client_id != token.client_id:
        raise OBError(404, "U005", f"no domestic-payment {DomesticPaymentId}")
    return _payment_body(row, request)
