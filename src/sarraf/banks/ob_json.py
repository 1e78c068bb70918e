"""OB v4.0 JSON → domain types. Any shape the bank should not have sent raises MalformedResponse."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sarraf.banks.categories import categorise
from sarraf.domain.banking import Account, Balance, CreditDebit, Transaction
from sarraf.domain.consent import ConsentStatus
from sarraf.domain.money import Money
from sarraf.domain.ports import ConsentHandle

# OB v4.0 uses ISO 20022 codes; the domain keeps the long names the OB v3 API used.
BALANCE_TYPES = {
    "CLAV": "ClosingAvailable", "CLBD": "ClosingBooked", "FWAV": "ForwardAvailable", "INFO": "Information",
    "ITAV": "InterimAvailable", "ITBD": "InterimBooked", "OPAV": "OpeningAvailable", "OPBD": "OpeningBooked",
    "PRCD": "PreviouslyClosedBooked", "XPCD": "Expected",
}
ACCOUNT_TYPES = {
    "CACC": "CurrentAccount", "SVGS": "Savings", "CARD": "CreditCard", "LOAN": "Loan", "MORT": "Mortgage",
    "MOMA": "MoneyMarket", "CASH": "CashAccount", "CISH": "CashIncome", "SACC": "SettlementAccount",
    "WALT": "EMoney", "ODFT": "Overdraft",
}


class MalformedResponse(ValueError):
    """The bank answered 2xx with a body that is not the OB JSON it promised."""


# Credit or debit decides the sign of the money: a value we do not know is refused, never guessed as a debit.
# Banks send the OB names or their ISO 20022 codes.
CREDIT_DEBIT = {"Credit": True, "CRDT": True, "Debit": False, "DBIT": False}


def _is_credit(item: Any) -> bool:
    indicator = _get(item, "CreditDebitIndicator")
    if indicator not in CREDIT_DEBIT:
        raise MalformedResponse(f"unknown CreditDebitIndicator {indicator!r}")
    return CREDIT_DEBIT[indicator]


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            raise MalformedResponse(f"missing {'.'.join(path)}")
        obj = obj[key]
    return obj


def _list(obj: Any, *path: str) -> list[Any]:
    value = _get(obj, *path)
    if not isinstance(value, list):
        raise MalformedResponse(f"{'.'.join(path)} is not a list")
    return value


def parse_time(value: Any, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise MalformedResponse(f"{field} is not an ISO 8601 date-time: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _money(obj: Any, field: str) -> Money:
    try:
        return Money.of(Decimal(str(_get(obj, "Amount"))), str(_get(obj, "Currency")))
    except InvalidOperation as exc:
        raise MalformedResponse(f"{field}.Amount is not a decimal") from exc


def consent_handle(body: Any) -> ConsentHandle:
    data = _get(body, "Data")
    try:
        status = ConsentStatus(_get(data, "Status"))
    except ValueError as exc:
        raise MalformedResponse(f"unknown consent status {data.get('Status')!r}") from exc
    expires = data.get("ExpirationDateTime")
    return ConsentHandle(
        consent_id=str(_get(data, "ConsentId")), status=status,
        permissions=tuple(str(p) for p in _list(data, "Permissions")),
        expires_at=parse_time(expires, "ExpirationDateTime") if expires else None,
    )


def accounts(body: Any) -> list[Account]:
    found = []
    for item in _get(body, "Data").get("Account") or []:
        ids = item.get("Account") or [{}]
        category, code = item.get("AccountCategory", "Personal"), item.get("AccountTypeCode", "OTHR")
        found.append(Account(
            account_id=str(_get(item, "AccountId")), currency=str(item.get("Currency", "")),
            nickname=str(item.get("Nickname") or item.get("Description") or item["AccountId"]),
            account_type=f"{category}/{ACCOUNT_TYPES.get(code, code)}",
            identification=str(ids[0].get("Identification", "")),
            scheme=str(ids[0].get("SchemeName", "")),
        ))
    return found


def balances(body: Any) -> list[Balance]:
    found = []
    for item in _list(body, "Data", "Balance"):
        amount = _money(_get(item, "Amount"), "Balance.Amount")
        debit = not _is_credit(item)
        code = str(_get(item, "Type"))
        found.append(Balance(
            account_id=str(_get(item, "AccountId")), amount=-amount if debit else amount,
            balance_type=BALANCE_TYPES.get(code, code), as_of=parse_time(_get(item, "DateTime"), "DateTime"),
        ))
    return found


def _where_and_how(item: Any) -> dict[str, str]:
    """What alert derivation (alerts/derive.py) reads besides amount and merchant: the merchant's country
    (OB v4.0 CreditorAgent.PostalAddress.Country), the currency the merchant charged (CurrencyExchange) and how
    the card was used (CardInstrument.AuthorisationType: ConsumerDevice/None mean card not present)."""
    found: dict[str, str] = {}
    agent = item.get("CreditorAgent") or item.get("DebtorAgent") or {}
    country = (agent.get("PostalAddress") or {}).get("Country") if isinstance(agent, dict) else None
    if country:
        found["country"] = str(country)[:2].upper()
    exchange = item.get("CurrencyExchange") or {}
    charged = exchange.get("SourceCurrency") if isinstance(exchange, dict) else None
    if charged:
        found["instructed_currency"] = str(charged)[:3].upper()
    card = item.get("CardInstrument") or {}
    how = card.get("AuthorisationType") if isinstance(card, dict) else None
    if how:
        found["authorisation"] = str(how)
    return found


def transaction(item: Any) -> Transaction:
    credit = _is_credit(item)
    merchant = item.get("MerchantDetails") or {}
    bank_code = (item.get("ProprietaryBankTransactionCode") or {}).get("Code")
    mcc = merchant.get("MerchantCategoryCode")
    card = (item.get("CardInstrument") or {}).get("Identification") or ""
    digits = "".join(ch for ch in card if ch.isdigit())
    extra = {"status": str(item.get("Status", ""))}
    if bank_code:
        extra["bank_code"] = str(bank_code)
    extra.update(_where_and_how(item))
    return Transaction(
        transaction_id=str(item.get("TransactionId") or item.get("TransactionReference") or ""),
        account_id=str(_get(item, "AccountId")),
        booked_at=parse_time(_get(item, "BookingDateTime"), "BookingDateTime"),
        amount=_money(_get(item, "Amount"), "Transaction.Amount"),
        credit_debit=CreditDebit.CREDIT if credit else CreditDebit.DEBIT,
        description=str(item.get("TransactionInformation") or merchant.get("MerchantName") or bank_code or ""),
        merchant_name=merchant.get("MerchantName"),
        merchant_category_code=mcc,
        category=categorise(mcc, bank_code, credit),
        card_last4=digits[-4:] if len(digits) >= 4 else None,
        extra=extra,
    )


def transactions(body: Any) -> list[Transaction]:
    return [transaction(item) for item in _get(body, "Data").get("Transaction") or []]


def next_link(body: Any) -> str | None:
    links = body.get("Links") if isinstance(body, dict) else None
    nxt = links.get("Next") if isinstance(links, dict) else None
    return str(nxt) if nxt else None
