"""Bank events: what a bank tells us happened, as received in a verified Security Event Token (RFC 8417).

Two families arrive in the same signed form: UK Open Banking v4.0 event notifications (resource updates,
consent revocation) and Sarraf alert events for what OB does not cover (card payments, low balance, fraud,
receipts, shipping). docs: src/sarraf/alerts/README.md lists every event URI and its fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class AlertKind(StrEnum):
    CARD_PAYMENT = "card_payment"
    LARGE_PURCHASE = "large_purchase"
    FOREIGN_PURCHASE = "foreign_purchase"
    LOW_BALANCE = "low_balance"
    SUSPECTED_FRAUD = "suspected_fraud"
    RECEIPT = "receipt"
    SHIPPING_UPDATE = "shipping_update"
    RESOURCE_UPDATE = "resource_update"  # OB: a resource (account, consent...) changed
    CONSENT_REVOKED = "consent_revoked"  # OB: the customer revoked the consent at the bank
    OFFER = "offer"  # the bank's own offer, for customers who opted in (alerts/offers.py)
    # Derived from a bank's account information (alerts/derive.py), for banks with only OB's standard events:
    DIRECT_DEBIT = "direct_debit"  # the first payment to a direct debit payee
    REFUND = "refund"
    SALARY = "salary"


class AlertGroup(StrEnum):
    """What a customer switches on and off by name ("turn off shopping alerts")."""

    SHOPPING = "shopping"
    BALANCE = "balance"
    ACCOUNT = "account"
    FRAUD = "fraud"  # never switched off: fraud alerts protect the customer's money
    OFFERS = "offers"  # not an alert group to switch: offers follow their own opt-in (consent scope offers)


GROUP_OF: dict[AlertKind, AlertGroup] = {
    AlertKind.CARD_PAYMENT: AlertGroup.SHOPPING,
    AlertKind.LARGE_PURCHASE: AlertGroup.SHOPPING,
    AlertKind.FOREIGN_PURCHASE: AlertGroup.SHOPPING,
    AlertKind.RECEIPT: AlertGroup.SHOPPING,
    AlertKind.SHIPPING_UPDATE: AlertGroup.SHOPPING,
    AlertKind.LOW_BALANCE: AlertGroup.BALANCE,
    AlertKind.RESOURCE_UPDATE: AlertGroup.ACCOUNT,
    AlertKind.CONSENT_REVOKED: AlertGroup.ACCOUNT,
    AlertKind.SUSPECTED_FRAUD: AlertGroup.FRAUD,
    AlertKind.OFFER: AlertGroup.OFFERS,
    AlertKind.DIRECT_DEBIT: AlertGroup.ACCOUNT,
    AlertKind.REFUND: AlertGroup.SHOPPING,
    AlertKind.SALARY: AlertGroup.ACCOUNT,
}

SARRAF_EVENT_PREFIX = "urn:sarraf:alerts:"
OB_RESOURCE_UPDATE = "urn:uk:org:openbanking:events:resource-update"
OB_CONSENT_REVOKED = "urn:uk:org:openbanking:events:consent-authorization-revoked"
EVENT_URIS: dict[str, AlertKind] = {
    OB_RESOURCE_UPDATE: AlertKind.RESOURCE_UPDATE,
    OB_CONSENT_REVOKED: AlertKind.CONSENT_REVOKED,
    **{SARRAF_EVENT_PREFIX + k.value.replace("_", "-"): k for k in AlertKind
       if k not in (AlertKind.RESOURCE_UPDATE, AlertKind.CONSENT_REVOKED)},
}
URI_OF: dict[AlertKind, str] = {kind: uri for uri, kind in EVENT_URIS.items()}


@dataclass(frozen=True, slots=True)
class BankEvent:
    """One verified event. `event_id` is the SET's jti: unique per bank, the key of deduplication."""

    tenant: str
    event_id: str
    kind: AlertKind
    consent_id: str  # which consent (and so which of our customers) the event is about
    occurred_at: datetime  # the SET's toe
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def stream(self) -> str | None:
        """Events on one stream supersede older ones (a parcel's status, a balance); others all count."""
        if self.kind is AlertKind.SHIPPING_UPDATE:
            return f"shipping:{self.data.get('order_id', '')}"
        if self.kind is AlertKind.LOW_BALANCE:
            return f"balance:{self.data.get('account_id', '')}"
        return None


class CardAction(StrEnum):
    FREEZE = "freeze"
    UNFREEZE = "unfreeze"
    REPORT_LOST = "report_lost"
    REPORT_STOLEN = "report_stolen"


@dataclass(frozen=True, slots=True)
class PendingBlock:
    """A permanent block (lost or stolen) offered to the customer and not yet confirmed."""

    action: CardAction
    card_id: str
    last4: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentCard:
    card_id: str
    last4: str
    status: str  # "active", "frozen", "blocked" (lost or stolen: final)
    account_id: str = ""
