"""OB v4.0 Payment Initiation (domestic and international payments) and the payee reads a payment needs, for
OpenBankingConnector. An international order asks the bank for its "Actual" rate: the consent's answer carries the
rate and the quote's expiry (ExchangeRateInformation), which the chat shows before the customer confirms.

Every POST carries the `x-idempotency-key` the caller minted and stored before the call (domain/payments.py),
so a retry after a timeout or a crash asks the same thing again and the bank answers the first result. The
customer authorises each payment consent at the bank (redirect with PKCE, as linking does); the token that comes
back is good for that consent only. Errors map to the domain's: 5xx/timeouts → BankUnavailable, 401/403/404 →
ConsentUnusable, any other 4xx → BankRefused (the bank understood and declined: nothing was paid).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx

from sarraf.banks.failures import observed
from sarraf.domain.consent import Tokens
from sarraf.domain.errors import BankRefused
from sarraf.domain.payments import (
    BankPayment,
    BankPaymentConsent,
    ExchangeQuote,
    Payee,
    PaymentOrder,
    SourceAccount,
)

PISP_PATH = "/open-banking/v4.0/pisp"
TOKEN_MARGIN = timedelta(seconds=30)


def order_initiation(order: PaymentOrder) -> dict[str, Any]:
    """The OB Initiation block: identical in the consent and the payment (the bank compares them)."""
    initiation: dict[str, Any] = {
        "InstructionIdentification": order.instruction_id[:35],
        "EndToEndIdentification": order.instruction_id[:35],
        "InstructedAmount": {"Amount": f"{order.amount:f}", "Currency": order.currency},
        "DebtorAccount": {"SchemeName": order.source.scheme, "Identification": order.source.identification},
        "CreditorAccount": {"SchemeName": order.payee.scheme, "Identification": order.payee.identification,
                            "Name": order.payee.name[:350]},
    }
    if order.reference:
        initiation["RemittanceInformation"] = {"Unstructured": [order.reference[:140]]}
    if order.currency_of_transfer is not None:
        initiation["CurrencyOfTransfer"] = order.currency_of_transfer
        initiation["ExchangeRateInformation"] = {"UnitCurrency": order.currency, "RateType": "Actual"}
    return initiation


def _kind(order: PaymentOrder) -> str:
    return "international" if order.international else "domestic"


def _quote(data: Any) -> ExchangeQuote | None:
    info = data.get("ExchangeRateInformation")
    if not isinstance(info, dict):
        return None
    expires = info.get("ExpirationDateTime")
    return ExchangeQuote(str(info["UnitCurrency"]), Decimal(str(info["ExchangeRate"])), str(info["RateType"]),
                         datetime.fromisoformat(expires) if expires else None)


def _consent(body: Any) -> BankPaymentConsent:
    data = body["Data"]
    charges = tuple((Decimal(str(c["Amount"]["Amount"])), str(c["Amount"]["Currency"]))
                    for c in data.get("Charges") or [])
    return BankPaymentConsent(consent_id=str(data["ConsentId"]), status=str(data["Status"]), charges=charges,
                              quote=_quote(data))


def _payment(body: Any) -> BankPayment:
    data = body["Data"]
    reasons = data.get("StatusReason") or []
    reason = str(reasons[0].get("StatusReasonCode")) if reasons and isinstance(reasons[0], dict) else None
    payment_id = data.get("DomesticPaymentId") or data["InternationalPaymentId"]
    return BankPayment(payment_id=str(payment_id), status=str(data["Status"]), reason=reason)


def _payees(body: Any) -> list[Payee]:
    found = []
    for item in body["Data"].get("Beneficiary") or []:
        account = item.get("CreditorAccount")
        if isinstance(account, dict) and account.get("Identification") and account.get("Name"):
            found.append(Payee(str(account["Name"]), str(account.get("SchemeName", "UK.OBIE.IBAN")),
                               str(account["Identification"]), str(item.get("AccountId", ""))))
    return found


def _sources(body: Any) -> list[SourceAccount]:
    found = []
    for item in body["Data"].get("Account") or []:
        ids = item.get("Account") or [{}]
        if item.get("AccountTypeCode", "CACC") == "CARD" or not ids[0].get("Identification"):
            continue  # a card account cannot send a transfer
        found.append(SourceAccount(str(item["AccountId"]), str(ids[0].get("SchemeName", "")),
                                   str(ids[0]["Identification"]), str(item.get("Currency", "")),
                                   str(item.get("Nickname") or item["AccountId"])))
    return found


class PaymentInitiationMixin:
    """Mixed into OpenBankingConnector: uses its transport (_send, _json, _refused, _headers, _endpoint...)."""

    tenant: str
    _base: str
    _aisp: str
    _client: tuple[str, str]
    _now: Callable[[], datetime]
    _pis_token: tuple[str, datetime] | None = None

    # the connector's own helpers (openbanking.py)
    _send: Any
    _json: Any
    _refused: Any
    _headers: Any
    _endpoint: Any
    _token_request: Any
    _tokens: Any
    _mapped: Any
    _api: Any

    async def _pis_bearer(self) -> str:
        if self._pis_token is None or self._now() + TOKEN_MARGIN >= self._pis_token[1]:
            tokens = self._tokens(await self._token_request({"grant_type": "client_credentials", "scope": "payments"}))
            self._pis_token = (tokens.access_token, tokens.expires_at)
        return self._pis_token[0]

    async def _pis_post(self, path: str, bearer: str, body: dict[str, Any], key: str) -> Any:
        headers = {**self._headers(bearer), "x-idempotency-key": key}
        response: httpx.Response = await self._send("POST", self._base + PISP_PATH + path, headers=headers, json=body)
        if response.status_code not in (401, 403, 404) and 400 <= response.status_code < 500:
            raise BankRefused(f"{self.tenant}: the bank declined {path} ({response.status_code}): "
                              f"{response.text[:300]}")
        self._refused(response)
        return self._json(response)

    @observed("payment-consents")
    async def create_payment_consent(self, order: PaymentOrder, idempotency_key: str) -> BankPaymentConsent:
        body = {"Data": {"Initiation": order_initiation(order)}, "Risk": {}}
        answer = await self._pis_post(f"/{_kind(order)}-payment-consents", await self._pis_bearer(), body,
                                      idempotency_key)
        consent: BankPaymentConsent = self._mapped(_consent, answer)
        return consent

    async def payment_authorisation(self, consent_id: str, redirect_uri: str, lang: str) -> tuple[str, str, str]:
        from sarraf.banks.openbanking import pkce_pair

        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        query = urlencode({
            "response_type": "code", "client_id": self._client[0], "redirect_uri": redirect_uri,
            "scope": "openid payments", "state": state, "code_challenge": challenge,
            "code_challenge_method": "S256", "consent_id": consent_id, "ui_locales": lang,
        })
        return f"{await self._endpoint('authorization_endpoint')}?{query}", state, verifier

    @observed("token/authorization_code")
    async def payment_token(self, code: str, code_verifier: str, redirect_uri: str) -> Tokens:
        tokens: Tokens = self._tokens(await self._token_request({
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": code_verifier}))
        return tokens

    @observed("payments")
    async def submit_payment(self, tokens: Tokens, consent_id: str, order: PaymentOrder,
                             idempotency_key: str) -> BankPayment:
        body = {"Data": {"ConsentId": consent_id, "Initiation": order_initiation(order)}, "Risk": {}}
        answer = await self._pis_post(f"/{_kind(order)}-payments", tokens.access_token, body, idempotency_key)
        payment: BankPayment = self._mapped(_payment, answer)
        return payment

    @observed("payments")
    async def payment_status(self, payment_id: str, *, international: bool = False) -> BankPayment:
        kind = "international" if international else "domestic"
        answer = await self._api("GET", f"{self._base}{PISP_PATH}/{kind}-payments/{payment_id}",
                                 await self._pis_bearer())
        payment: BankPayment = self._mapped(_payment, answer)
        return payment

    @observed("beneficiaries")
    async def beneficiaries(self, tokens: Tokens, account_id: str) -> list[Payee]:
        answer = await self._api("GET", f"{self._aisp}/accounts/{account_id}/beneficiaries", tokens.access_token)
        found: list[Payee] = self._mapped(_payees, answer)
        return found

    @observed("accounts")
    async def source_accounts(self, tokens: Tokens) -> list[SourceAccount]:
        answer = await self._api("GET", self._aisp + "/accounts", tokens.access_token)
        found: list[SourceAccount] = self._mapped(_sources, answer)
        return found

