"""The sandbox's foreign-exchange rate table and fees for international payments (OB ExchangeRateInformation).

Mid rates are fixed per unit of GBP (a sandbox needs answers that tests can check, not a market feed); the bank
sells at the mid rate less a stated margin. An "Actual" quote is good for QUOTE_TTL: a payment submitted after
its ExpirationDateTime is refused and the customer must take a fresh quote. An "Agreed" rate is accepted only
when it is the bank's own current rate for that pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

CURRENCIES = ("GBP", "PLN", "SAR", "EUR", "USD")
MID_PER_GBP = {"GBP": Decimal("1"), "EUR": Decimal("1.1650"), "USD": Decimal("1.2700"), "PLN": Decimal("5.0400"),
               "SAR": Decimal("4.7600")}
MARGIN = Decimal("0.005")  # 0.5 % below the mid rate: what the bank earns on the exchange
QUOTE_TTL = timedelta(minutes=10)
RATE_PLACES = Decimal("0.000001")
# The sandbox charges no fee for international payments (its consents carry no Charges): the chat says "none".
RATE_TYPES = ("Actual", "Agreed", "Indicative")


class UnknownPair(ValueError):
    """A currency the rate table does not have."""


def rate(unit: str, to: str) -> Decimal:
    """How many `to` the bank gives for one `unit` (1 unit = rate × to), margin included."""
    if unit not in MID_PER_GBP or to not in MID_PER_GBP:
        raise UnknownPair(f"no rate for {unit}/{to}")
    if unit == to:
        return Decimal(1)
    mid = MID_PER_GBP[to] / MID_PER_GBP[unit]
    return (mid * (1 - MARGIN)).quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class Quote:
    unit_currency: str
    rate: Decimal
    rate_type: str
    expires_at: datetime | None  # None for an indicative rate (it promises nothing)

    def rendered(self, contract: str | None = None) -> dict[str, object]:
        """OB ExchangeRateInformation of a response (ExchangeRate is a JSON number)."""
        body: dict[str, object] = {"UnitCurrency": self.unit_currency, "ExchangeRate": float(self.rate),
                                   "RateType": self.rate_type}
        if contract:
            body["ContractIdentification"] = contract
        if self.expires_at is not None:
            body["ExpirationDateTime"] = self.expires_at.isoformat(timespec="seconds")
        return body


def quote(instructed: str, transfer: str, rate_type: str, now: datetime) -> Quote:
    """The bank's quote to exchange the instructed currency into the currency of transfer."""
    expires = now + QUOTE_TTL if rate_type in ("Actual", "Agreed") else None
    return Quote(instructed, rate(instructed, transfer), rate_type, expires)
