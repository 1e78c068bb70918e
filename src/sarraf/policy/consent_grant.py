"""What one customer consented to at one bank, and whether that covers a disclosure.

The customer picks scopes in words they understand (balances, transactions, alerts, offers). A scope maps to
the Open Banking v4.0 permissions we ask the bank for, and to the purposes and data categories the scope lets
us use. Consent is the customer's and the agreement is the bank's: a disclosure needs both, so the consent
check lives here in code, where no agreement can switch it off.

A grant is immutable. Revoking or changing scopes makes a new grant with a higher ``version``; deciders
never cache consent, so the next request that carries the new grant is refused.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from sarraf.domain.consent import ConsentStatus
from sarraf.domain.disclosure import Decision, DisclosureRequest, Outcome
from sarraf.policy import vocabulary

CONSENT_POLICY_ID = "consent"  # Decision.policy_id when the customer's consent is what refused


class Scope(StrEnum):
    BALANCES = "balances"
    TRANSACTIONS = "transactions"
    ALERTS = "alerts"
    OFFERS = "offers"
    CARD_CONTROLS = "card_controls"  # freeze, unfreeze, report lost or stolen, open a case: no OB permission
    PAYEES = "payees"  # the payees saved at the bank (OB beneficiaries), to pay them by name
    PAYMENTS = "payments"  # initiating a payment: each one is authorised again at the bank (policy/payments.py)


class GrantStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # the customer has not finished authorising at the bank
    REVOKED = "revoked"
    EXPIRED = "expired"

    @classmethod
    def from_ob(cls, status: ConsentStatus) -> GrantStatus:
        return {
            ConsentStatus.AUTHORISED: cls.ACTIVE,
            ConsentStatus.AWAITING_AUTHORISATION: cls.PENDING,
            ConsentStatus.REJECTED: cls.REVOKED,
            ConsentStatus.CANCELLED: cls.REVOKED,
            ConsentStatus.EXPIRED: cls.EXPIRED,
        }[status]


@dataclass(frozen=True, slots=True)
class ScopeCoverage:
    permissions: tuple[str, ...]  # OB v4.0 account-access permissions to request
    purposes: tuple[str, ...]  # purposes covered, each with everything below it
    categories: tuple[str, ...]  # data categories covered, each with everything below it


_ESSENTIAL_USE = ("essential.service.operations", "essential.service.security", "essential.fraud_detection")
SCOPES: dict[Scope, ScopeCoverage] = {
    Scope.BALANCES: ScopeCoverage(
        permissions=("ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances"),
        purposes=_ESSENTIAL_USE,
        categories=("user.financial.bank_account.balance", "user.financial.bank_account.identifiers"),
    ),
    Scope.TRANSACTIONS: ScopeCoverage(
        permissions=("ReadAccountsBasic", "ReadTransactionsBasic", "ReadTransactionsDetail",
                     "ReadTransactionsCredits", "ReadTransactionsDebits"),
        purposes=_ESSENTIAL_USE,
        categories=("user.financial.bank_account.transactions", "user.behavior.purchase_history"),
    ),
    Scope.ALERTS: ScopeCoverage(
        # Alerts are triggered by bank events, but we read the balance or transaction to word them.
        permissions=("ReadAccountsBasic", "ReadBalances", "ReadTransactionsBasic",
                     "ReadTransactionsCredits", "ReadTransactionsDebits"),
        purposes=("essential.service.notifications",),
        categories=("user.financial.bank_account.balance", "user.financial.bank_account.transactions"),
    ),
    Scope.OFFERS: ScopeCoverage(
        # The bank matches offers on its own data; what the customer lets us carry is the offer alone.
        permissions=("ReadAccountsBasic", "ReadOffers"),
        purposes=("marketing.communications", "marketing.advertising.first_party"),
        categories=("user.financial.offers",),
    ),
    Scope.CARD_CONTROLS: ScopeCoverage(
        permissions=(),
        purposes=("essential.fraud_detection", "essential.service.operations.support"),
        categories=("user.financial.credit_card.controls",),
    ),
    Scope.PAYEES: ScopeCoverage(
        permissions=("ReadAccountsDetail", "ReadBeneficiariesDetail"),
        purposes=("essential.service.payment_processing",),
        categories=("user.financial.bank_account.identifiers",),
    ),
    Scope.PAYMENTS: ScopeCoverage(
        permissions=(),
        purposes=("essential.service.payment_processing",),
        categories=("user.financial.bank_account.payments", "user.financial.bank_account.identifiers"),
    ),
}
# The scopes a customer chooses between; card controls and payment initiation come with any usable link
# (policy/actions.py, policy/payments.py: a payment is authorised at the bank each time).
ALL_SCOPES: frozenset[Scope] = frozenset(Scope) - {Scope.CARD_CONTROLS, Scope.PAYMENTS}

# OB lists permissions in this order; keeping it makes consent requests stable and easy to compare.
_PERMISSION_ORDER = ("ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances", "ReadBeneficiariesDetail",
                     "ReadTransactionsBasic", "ReadTransactionsDetail", "ReadTransactionsCredits",
                     "ReadTransactionsDebits", "ReadOffers")


def permissions_for(scopes: Iterable[Scope | str]) -> tuple[str, ...]:
    """The OB v4.0 permissions to request for these scopes, without duplicates, in OB order."""
    wanted = {p for scope in scopes for p in SCOPES[Scope(scope)].permissions}
    return tuple(p for p in _PERMISSION_ORDER if p in wanted)


def parse_scopes(text: str) -> frozenset[Scope]:
    """``"balances,transactions"`` -> scopes; raises ValueError naming an unknown scope."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in Scope._value2member_map_]
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(s.value for s in Scope)}")
    return frozenset(Scope(name) for name in names)


def _pairs(coverage: ScopeCoverage) -> frozenset[tuple[str, str]]:
    """Every known (purpose, category) pair the scope covers, so a check is one set lookup per category."""
    purposes = {p for root in coverage.purposes for p in vocabulary.descendants(root, vocabulary.PURPOSES)}
    categories = {c for root in coverage.categories for c in vocabulary.descendants(root, vocabulary.CATEGORIES)}
    return frozenset((p, c) for p in purposes for c in categories)


_SCOPE_PAIRS: dict[Scope, frozenset[tuple[str, str]]] = {scope: _pairs(c) for scope, c in SCOPES.items()}


def _refused(reason: str) -> Decision:
    return Decision(Outcome.DENY, None, CONSENT_POLICY_ID, reason)


_REFUSED_BY_STATUS = {
    GrantStatus.PENDING: _refused("the customer has not finished authorising this consent"),
    GrantStatus.REVOKED: _refused("the customer revoked this consent"),
    GrantStatus.EXPIRED: _refused("this consent has expired"),
}
_EXPIRED = _REFUSED_BY_STATUS[GrantStatus.EXPIRED]
_SOMEONE_ELSE = _refused("this consent belongs to another customer or bank")


@dataclass(frozen=True, slots=True)
class ConsentGrant:
    tenant: str
    customer_id: str
    scopes: frozenset[Scope]
    status: GrantStatus = GrantStatus.ACTIVE
    expires_at: datetime | None = None  # timezone-aware
    consent_id: str = ""  # the bank's OB consent id, when there is one
    version: int = 1  # raised on every change, so a stored grant can be compared with the current one
    _pairs: frozenset[tuple[str, str]] = field(init=False, repr=False, compare=False)
    _expires_ts: float | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        scopes = frozenset(Scope(s) for s in self.scopes)
        object.__setattr__(self, "scopes", scopes)
        object.__setattr__(self, "_pairs", frozenset().union(*(_SCOPE_PAIRS[s] for s in scopes)))
        object.__setattr__(self, "_expires_ts", self.expires_at.timestamp() if self.expires_at else None)

    @property
    def permissions(self) -> tuple[str, ...]:
        return permissions_for(self.scopes)

    def refusal(self, request: DisclosureRequest, now: float | None = None) -> Decision | None:
        """A deny Decision naming the reason when this grant does not cover the request, else None.

        ``now`` is a POSIX timestamp (time.time()); the hot path compares floats rather than datetimes.
        """
        if self.status is not GrantStatus.ACTIVE:
            return _REFUSED_BY_STATUS[self.status]
        if self._expires_ts is not None and (time.time() if now is None else now) >= self._expires_ts:
            return _EXPIRED
        if request.customer_id != self.customer_id or request.tenant != self.tenant:
            return _SOMEONE_ELSE
        purpose, pairs = request.purpose, self._pairs
        for category in request.categories:
            if (purpose, category) not in pairs:
                return _refused(f"the customer's consent ({', '.join(sorted(self.scopes)) or 'no scopes'}) "
                                f"does not cover {category} for {purpose}")
        return None

    def covers(self, request: DisclosureRequest, now: float | None = None) -> bool:
        return self.refusal(request, now) is None

    def revoked(self) -> ConsentGrant:
        return replace(self, status=GrantStatus.REVOKED, version=self.version + 1)

    def with_scopes(self, scopes: Iterable[Scope | str]) -> ConsentGrant:
        return replace(self, scopes=frozenset(Scope(s) for s in scopes), version=self.version + 1)


# What linking reads (policy/point.py's LINKABLE_SCOPES): alerts and offers are separate opt-ins.
ACCOUNT_READING: tuple[Scope, ...] = (Scope.BALANCES, Scope.TRANSACTIONS)


@dataclass(frozen=True, slots=True)
class Grant:
    """What a bank's consent lets us read, against what we asked for: banks may grant less."""

    scopes: frozenset[Scope]  # usable: every permission the scope needs was granted
    missing: frozenset[Scope]  # asked for, not usable
    permissions: tuple[str, ...]  # what the bank granted, in OB order

    @property
    def account_names_only(self) -> bool:
        """Accounts can be listed (ReadAccountsBasic) but nothing else was granted."""
        return not self.scopes and "ReadAccountsBasic" in self.permissions


def granted(permissions: Iterable[str], requested: Iterable[str]) -> Grant:
    """Compare the permissions a bank granted with the ones we requested, scope by scope."""
    have, asked = set(permissions), set(requested)
    usable = frozenset(s for s in ACCOUNT_READING if set(SCOPES[s].permissions) <= have)
    wanted = frozenset(s for s in ACCOUNT_READING if set(SCOPES[s].permissions) <= asked)
    known = tuple(p for p in _PERMISSION_ORDER if p in have)
    return Grant(usable, wanted - usable, known + tuple(sorted(have - set(known))))
