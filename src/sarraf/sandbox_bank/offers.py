"""The sandbox bank's own offers, matched inside the bank on its own ledger: OB v4.0 `OBReadOffer1`.

`GET /open-banking/v4.0/aisp/accounts/{AccountId}/offers` (a customer's token whose consent grants
`ReadOffers`) serves the offers the bank computed for that account. The matching reads balances and
transactions here, in the bank; what leaves it is only the offer: its type, text, terms, rate and dates.

* a savings rate (`PromotionalRate`) for a current account whose balance stayed above an idle amount all month;
* a fee-free FX card (`Other`) for a customer who paid airlines or hotels (merchant categories 4511, 7011:
  what the sandbox books abroad) in the last 90 days;
* a limit increase (`LimitIncrease`) on a credit card used but never more than half of its limit.

Texts are in the customer's language (the sandbox customer ids carry it: sandbox-pl-1 speaks Polish).
`offer_event` is what the sandbox pushes as an `urn:sarraf:alerts:offer` event: the same offer, nothing else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request

from sarraf.sandbox_bank import render
from sarraf.sandbox_bank.aisp import PREFIX, SB, _account, _body, _grant
from sarraf.sandbox_bank.context import Sandbox
from sarraf.sandbox_bank.errors import OBError
from sarraf.sandbox_bank.seed import SeededAccount, SeededBank

router = APIRouter(prefix=PREFIX)
LANGS = ("en", "pl", "ar")
IDLE_FROM = {"GBP": Decimal("2000"), "PLN": Decimal("8000"), "SAR": Decimal("8000")}
ABROAD_MCCS = frozenset({"4511", "7011"})  # airlines and hotels: the sandbox books its travel abroad
SAVINGS_RATE = "4.10"
FX_FEE_RATE = "0.00"
LIMIT_STEP = Decimal("2000")
OFFER_DAYS = 30
OFFERS_URL = "https://sandbox.sarraf.dev/offers"

TEXTS: dict[str, dict[str, tuple[str, str]]] = {  # kind -> lang -> (description, term)
    "savings_rate": {
        "en": ("Easy-access saver at {rate}% AER on money you do not need day to day.",
               "Variable rate, no notice to withdraw. Offer open until {end}."),
        "pl": ("Konto oszczędnościowe z oprocentowaniem {rate}% w skali roku, bez okresu wypowiedzenia.",
               "Oprocentowanie zmienne, wypłata w każdej chwili. Oferta ważna do {end}."),
        "ar": ("حساب توفير بعائد سنوي {rate}% على المال الذي لا تحتاجه يوميًا.",
               "عائد متغير، والسحب متاح في أي وقت. العرض ساري حتى {end}."),
    },
    "fx_card": {
        "en": ("A travel card with no foreign exchange fee when you pay abroad.",
               "No fee on card payments in other currencies. Offer open until {end}."),
        "pl": ("Karta podróżna bez opłaty za przewalutowanie przy płatnościach za granicą.",
               "Bez opłat za płatności kartą w innych walutach. Oferta ważna do {end}."),
        "ar": ("بطاقة سفر بلا رسوم تحويل عملات عند الدفع في الخارج.",
               "لا رسوم على مدفوعات البطاقة بعملات أخرى. العرض ساري حتى {end}."),
    },
    "limit_increase": {
        "en": ("Your credit card limit can go up to {amount} {currency}.",
               "Subject to a quick check; accept in the app. Offer open until {end}."),
        "pl": ("Limit Twojej karty kredytowej może wzrosnąć do {amount} {currency}.",
               "Po krótkiej weryfikacji; akceptacja w aplikacji. Oferta ważna do {end}."),
        "ar": ("يمكن رفع حد بطاقتك الائتمانية إلى {amount} {currency}.",
               "بعد تحقق سريع؛ الموافقة من التطبيق. العرض ساري حتى {end}."),
    },
}
OB_TYPE = {"savings_rate": "PromotionalRate", "fx_card": "Other", "limit_increase": "LimitIncrease"}


@dataclass(frozen=True, slots=True)
class Offer:
    offer_id: str
    account_id: str
    kind: str  # savings_rate, fx_card, limit_increase
    lang: str
    description: str
    term: str
    start: datetime
    end: datetime
    rate: str | None = None
    amount: Decimal | None = None
    currency: str | None = None

    def ob(self) -> dict[str, Any]:
        """The offer as OB v4.0 `OBReadOffer1.Data.Offer[]`."""
        body: dict[str, Any] = {"AccountId": self.account_id, "OfferId": self.offer_id,
                                "OfferType": OB_TYPE[self.kind], "Description": self.description,
                                "StartDateTime": render.iso(self.start), "EndDateTime": render.iso(self.end),
                                "Term": self.term, "URL": f"{OFFERS_URL}/{self.offer_id}"}
        if self.rate is not None:
            body["Rate"] = self.rate
        if self.amount is not None and self.currency:
            body["Amount"] = {"Amount": f"{self.amount:.2f}", "Currency": self.currency}
        return body

    def event(self) -> dict[str, Any]:
        """The pushed event's payload: the offer's own ids, text and terms. No account, balance, transaction
        or merchant: the gateway learns that an offer exists, never what it was matched on."""
        body: dict[str, Any] = {"offer_id": self.offer_id, "offer_type": OB_TYPE[self.kind], "lang": self.lang,
                                "description": self.description, "term": self.term,
                                "start": render.iso(self.start), "end": render.iso(self.end),
                                "url": f"{OFFERS_URL}/{self.offer_id}"}
        if self.rate is not None:
            body["rate"] = self.rate
        return body


def language_of(customer_id: str) -> str:
    """sandbox-pl-1 → pl; the sandbox has no other record of the customer's language."""
    parts = customer_id.split("-")
    return parts[1] if len(parts) > 2 and parts[1] in LANGS else "en"


def _offer_id(account_id: str, kind: str, start: datetime) -> str:
    digest = hashlib.sha256(f"{account_id}|{kind}|{start:%Y-%m}".encode()).hexdigest()[:24]
    return f"OF-{digest}"


def _since(account: SeededAccount, days: int, now: datetime) -> list[Any]:
    return [e for e in account.entries if e.booked_at >= now - timedelta(days=days)]


def _matches(account: SeededAccount, customer_accounts: list[SeededAccount], now: datetime) -> list[str]:
    """Which offers this account's ledger earns (the bank's own matching; nothing of it is sent out)."""
    kinds: list[str] = []
    if account.spec.kind == "current":
        month = _since(account, 30, now)
        idle = IDLE_FROM.get(account.currency, Decimal("2000"))
        if month and min(e.balance_after for e in month) >= idle:
            kinds.append("savings_rate")
        abroad = any(e.merchant is not None and e.merchant.mcc in ABROAD_MCCS
                     for a in customer_accounts for e in _since(a, 90, now))
        if abroad:
            kinds.append("fx_card")
    if account.spec.kind == "card" and account.spec.credit_limit:
        owed = [-e.balance_after for e in _since(account, 90, now)]
        if owed and max(owed) > 0 and max(owed) <= account.spec.credit_limit / 2:
            kinds.append("limit_increase")
    return kinds


def offers_for(bank: SeededBank, account: SeededAccount, now: datetime) -> list[Offer]:
    lang = language_of(account.customer_id)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=OFFER_DAYS)
    found: list[Offer] = []
    for kind in _matches(account, bank.accounts_of(account.customer_id), now):
        description, term = TEXTS[kind][lang]
        amount = (account.spec.credit_limit or Decimal(0)) + LIMIT_STEP if kind == "limit_increase" else None
        values = {"rate": SAVINGS_RATE, "end": end.date().isoformat(), "currency": account.currency,
                  "amount": f"{amount:,.0f}" if amount is not None else ""}
        found.append(Offer(_offer_id(account.account_id, kind, start), account.account_id, kind, lang,
                           description.format(**values), term.format(**values), start, end,
                           rate=SAVINGS_RATE if kind == "savings_rate" else FX_FEE_RATE if kind == "fx_card" else None,
                           amount=amount, currency=account.currency if amount is not None else None))
    return found


def customer_offers(bank: SeededBank, customer_id: str, now: datetime) -> list[Offer]:
    return [o for a in bank.accounts_of(customer_id) for o in offers_for(bank, a, now)]


@router.get("/accounts/{AccountId}/offers")
async def get_offers(AccountId: str, request: Request, sb: SB) -> dict[str, Any]:
    grant = _grant(request, sb)
    if not grant.has("ReadOffers"):
        raise OBError(403, "U003", "the consent does not grant ReadOffers")
    account = _account(sb, grant, AccountId)
    return _body({"Offer": [o.ob() for o in offers_for(sb.bank, account, sb.now())]}, request)


def offer_event(sb: Sandbox, customer_id: str, kind: str | None) -> dict[str, Any]:
    """The payload of an offer event for this customer: their first matched offer (of `kind`, when given)."""
    found = [o for o in customer_offers(sb.bank, customer_id, sb.now()) if kind in (None, o.kind)]
    if not found:
        raise OBError(409, "U001", f"no {kind or ''} offer matches customer {customer_id}".replace("  ", " "),
                      "offer")
    return found[0].event()
