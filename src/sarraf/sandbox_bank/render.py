"""Seeded ledgers and stored consents rendered as OB v4.0 JSON (OBReadAccount6, OBReadBalance1, ...)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sarraf.sandbox_bank.seed import Entry, SeededAccount
from sarraf.sandbox_bank.store import Consent

CARD_SCHEME = "VISA"


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def amount(value: Decimal, currency: str) -> dict[str, str]:
    return {"Amount": f"{abs(value):.2f}", "Currency": currency}


def indicator(signed: Decimal) -> str:
    return "Credit" if signed >= 0 else "Debit"


def consent_data(c: Consent) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ConsentId": c.consent_id, "CreationDateTime": iso(c.created_at), "Status": c.status,
        "StatusUpdateDateTime": iso(c.status_updated_at), "Permissions": list(c.permissions),
    }
    for key, value in (("ExpirationDateTime", c.expires_at), ("TransactionFromDateTime", c.tx_from),
                       ("TransactionToDateTime", c.tx_to)):
        if value is not None:
            data[key] = iso(value)
    return data


def account(a: SeededAccount, *, detail: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "AccountId": a.account_id, "Status": "Enabled", "StatusUpdateDateTime": f"{a.spec.opened}T00:00:00+00:00",
        "Currency": a.currency, "AccountCategory": "Personal", "AccountTypeCode": a.spec.type_code,
        "Nickname": a.spec.nickname, "OpeningDate": f"{a.spec.opened}T00:00:00+00:00",
    }
    if detail:
        body["Account"] = [{"SchemeName": a.spec.scheme, "Identification": a.spec.identification, "Name": a.owner}]
    return body


def balances(a: SeededAccount, at: datetime) -> list[dict[str, Any]]:
    rendered = []
    for balance_type in ("ITAV", "ITBD"):
        item: dict[str, Any] = {
            "AccountId": a.account_id, "CreditDebitIndicator": indicator(a.balance), "Type": balance_type,
            "DateTime": iso(at), "Amount": amount(a.balance, a.currency),
        }
        if a.spec.credit_limit is not None and balance_type == "ITAV":
            item["CreditLine"] = [{"Included": False, "Type": "Credit",
                                   "Amount": amount(a.spec.credit_limit, a.currency)}]
        rendered.append(item)
    return rendered


def transaction(e: Entry, currency: str, *, detail: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "AccountId": e.account_id, "TransactionId": e.transaction_id,
        "CreditDebitIndicator": "Credit" if e.credit else "Debit", "Status": e.status,
        "TransactionMutability": "Mutable" if e.status == "PDNG" else "Immutable",
        "BookingDateTime": iso(e.booked_at), "ValueDateTime": iso(e.booked_at),
        "Amount": amount(e.amount, currency),
        "ProprietaryBankTransactionCode": {"Code": e.code, "Issuer": "SarrafSandbox"},
    }
    if e.card_last4:
        body["CardInstrument"] = {"CardSchemeName": CARD_SCHEME, "AuthorisationType": e.authorisation,
                                  "Identification": "************" + e.card_last4}
    if e.country:
        body["CreditorAgent" if not e.credit else "DebtorAgent"] = {"PostalAddress": {"Country": e.country}}
    if detail:
        body["TransactionInformation"] = e.information
        body["Balance"] = {"CreditDebitIndicator": indicator(e.balance_after), "Type": "ITBD",
                           "Amount": amount(e.balance_after, currency)}
        if e.merchant is not None:
            body["MerchantDetails"] = {"MerchantName": e.merchant.name, "MerchantCategoryCode": e.merchant.mcc}
    return body
