"""UK Open Banking v4.0 Payment Initiation: international payments (consents, payments), with the bank's quote.

The consent names the instructed amount (in the debtor account's currency), the CurrencyOfTransfer the payee
receives, and ExchangeRateInformation: "Actual" or "Indicative" asks the bank for its rate (rates.py), "Agreed"
must carry the bank's own current rate. The answer's ExchangeRateInformation states the rate and, for a firm
quote, its ExpirationDateTime; a payment submitted after that is refused (the customer takes a fresh quote),
never made at a stale rate. Authorisation, idempotency and booking are the domestic ones (pisp.py, ledger.py).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sarraf.sandbox_bank import render
from sarraf.sandbox_bank.aisp import _access_token, _client
from sarraf.sandbox_bank.context import Sandbox
from sarraf.sandbox_bank.errors import OBError
from sarraf.sandbox_bank.ledger import PaymentConsent, PaymentRefused
from sarraf.sandbox_bank.pisp import (
    CURRENCIES,
    PREFIX,
    REASONS,
    SB,
    _customer_token,
    _idempotency_key,
    _initiation,
    _json_body,
    _remembered,
    ledger_of,
)
from sarraf.sandbox_bank.rates import RATE_TYPES, Quote, UnknownPair, quote, rate
from sarraf.sandbox_bank.settle_rule import settle_at

router = APIRouter(prefix=PREFIX)
CONSENT_PREFIX, PAYMENT_PREFIX = "pic-", "ip-"


def _international(raw: Any, now: datetime) -> tuple[dict[str, Any], Quote]:
    init = _initiation(raw)
    transfer = init.get("CurrencyOfTransfer")
    if transfer not in CURRENCIES:
        raise OBError(400, "U001", "CurrencyOfTransfer is required and must be one the bank exchanges",
                      "Data.Initiation.CurrencyOfTransfer")
    instructed = init["InstructedAmount"]["Currency"]
    asked = init.get("ExchangeRateInformation") or {"UnitCurrency": instructed, "RateType": "Actual"}
    if not isinstance(asked, dict) or asked.get("RateType") not in RATE_TYPES \
            or asked.get("UnitCurrency") != instructed:
        raise OBError(400, "U001", "ExchangeRateInformation needs RateType and the instructed currency as "
                      "UnitCurrency", "Data.Initiation.ExchangeRateInformation")
    try:
        offered = quote(instructed, transfer, str(asked["RateType"]), now)
    except UnknownPair as exc:
        raise OBError(400, "U001", str(exc), "Data.Initiation.CurrencyOfTransfer") from exc
    if asked["RateType"] == "Agreed" and (not asked.get("ContractIdentification") or Decimal(
            str(asked.get("ExchangeRate", "0"))) != rate(instructed, transfer)):
        raise OBError(400, "U001", "an Agreed rate must be the bank's current rate, with its ContractIdentification",
                      "Data.Initiation.ExchangeRateInformation")
    return init, offered


def _consent_body(c: PaymentConsent, request: Request) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ConsentId": c.consent_id, "CreationDateTime": render.iso(c.created_at), "Status": c.status,
        "StatusUpdateDateTime": render.iso(c.status_updated_at), "Initiation": c.initiation,
        "ExchangeRateInformation": c.body["Data"]["ExchangeRateInformation"],
        "ExpectedExecutionDateTime": render.iso(c.created_at),
    }
    self_url = str(request.url_for("get_international_payment_consent", ConsentId=c.consent_id))
    return {"Data": data, "Risk": c.body.get("Risk", {}), "Links": {"Self": self_url}, "Meta": {}}


@router.post("/international-payment-consents", status_code=201)
async def create_consent(request: Request, sb: SB) -> JSONResponse:
    client = _client(request, sb)
    key = _idempotency_key(request)
    raw = await _json_body(request)
    ledger = ledger_of(sb)
    if (kept := _remembered(ledger, client.client_id, "international-consents", key, raw, sb)) is not None:
        return JSONResponse(kept, status_code=201)
    now = sb.now()
    init, offered = _international(raw, now)
    debtor = None
    if isinstance(init.get("DebtorAccount"), dict):
        debtor = ledger.account_by_identification(str(init["DebtorAccount"].get("SchemeName")),
                                                  str(init["DebtorAccount"].get("Identification")))
        if debtor is None:
            raise OBError(400, "U001", "DebtorAccount is not an account of this bank", "Data.Initiation.DebtorAccount")
    contract = (init.get("ExchangeRateInformation") or {}).get("ContractIdentification")
    body = {"Data": {"Initiation": init, "ExchangeRateInformation": offered.rendered(contract)}, "Risk": raw["Risk"]}
    consent = PaymentConsent(CONSENT_PREFIX + uuid.uuid4().hex, client.client_id, "AWAU", body, now, now, None, debtor)
    ledger.add_consent(consent)
    answer = _consent_body(consent, request)
    return JSONResponse(ledger.remember(client.client_id, "international-consents", key, raw, answer, now),
                        status_code=201)


def _owned(request: Request, sb: Sandbox, consent_id: str) -> PaymentConsent:
    consent = ledger_of(sb).consent(consent_id)
    if consent is None or consent.client_id != _client(request, sb).client_id \
            or not consent.consent_id.startswith(CONSENT_PREFIX):
        raise OBError(404, "U005", f"no international-payment-consent {consent_id}")
    return consent


@router.get("/international-payment-consents/{ConsentId}", name="get_international_payment_consent")
async def get_consent(ConsentId: str, request: Request, sb: SB) -> dict[str, Any]:
    return _consent_body(_owned(request, sb, ConsentId), request)


def _payment_body(row: dict[str, Any], consent: PaymentConsent, request: Request) -> dict[str, Any]:
    at = render.iso(datetime.fromisoformat(row["created_at"]))
    data: dict[str, Any] = {"InternationalPaymentId": row["payment_id"], "ConsentId": row["consent_id"],
                            "CreationDateTime": at, "Status": row["status"], "StatusUpdateDateTime": at,
                            "Initiation": json.loads(row["body"]),
                            "ExchangeRateInformation": consent.body["Data"]["ExchangeRateInformation"]}
    if row.get("reason"):
        data["StatusReason"] = [{"StatusReasonCode": row["reason"],
                                 "StatusReasonDescription": REASONS.get(row["reason"], "rejected")}]
    self_url = str(request.url_for("get_international_payment", InternationalPaymentId=row["payment_id"]))
    return {"Data": data, "Links": {"Self": self_url}, "Meta": {}}


@router.post("/international-payments", status_code=201)
async def create_payment(request: Request, sb: SB) -> JSONResponse:
    key = _idempotency_key(request)
    if ledger_of(sb).trip():
        raise OBError(503, "U007", "payment services are temporarily unavailable")
    raw = await _json_body(request)
    consent_id = raw.get("Data", {}).get("ConsentId") if isinstance(raw, dict) and isinstance(
        raw.get("Data"), dict) else None
    if not isinstance(consent_id, str) or not consent_id.startswith(CONSENT_PREFIX):
        raise OBError(400, "U002", "Data.ConsentId of an international-payment-consent is required", "Data.ConsentId")
    token, consent = _customer_token(request, sb, consent_id)
    ledger = ledger_of(sb)
    if (kept := _remembered(ledger, token.client_id, "international-payments", key, raw, sb)) is not None:
        return JSONResponse(kept, status_code=201)
    if _initiation(raw) != consent.initiation:
        raise OBError(400, "U001", "the Initiation differs from the one the customer authorised", "Data.Initiation")
    expires = consent.body["Data"]["ExchangeRateInformation"].get("ExpirationDateTime")
    if expires and sb.now() > datetime.fromisoformat(expires):
        raise OBError(400, "U004", f"the exchange rate quote expired at {expires}: ask for a new consent",
                      "Data.ExchangeRateInformation.ExpirationDateTime")
    try:
        made = ledger.pay(PAYMENT_PREFIX + uuid.uuid4().hex, consent, sb.now(),
                          settle_at(request, consent.initiation, True, sb.now()))
    except PaymentRefused as exc:
        raise OBError(400, "U004", str(exc), "Data.ConsentId") from exc
    body = _payment_body(ledger.payment(made["payment_id"]) or {}, consent, request)
    return JSONResponse(ledger.remember(token.client_id, "international-payments", key, raw, body, sb.now()),
                        status_code=201)


@router.get("/international-payments/{InternationalPaymentId}", name="get_international_payment")
async def get_payment(InternationalPaymentId: str, request: Request, sb: SB) -> dict[str, Any]:
    token = _access_token(request, sb)
    ledger_of(sb).settle(sb.now(), payment_id=InternationalPaymentId)  # settling later, once it is due
    row = ledger_of(sb).payment(InternationalPaymentId)
    consent = ledger_of(sb).consent(row["consent_id"]) if row else None
    if row is None or consent is None or consent.client_id != token.client_id \
            or not InternationalPaymentId.startswith(PAYMENT_PREFIX):
        raise OBError(404, "U005", f"no international-payment {InternationalPaymentId}")
    return _payment_body(row, consent, request)
