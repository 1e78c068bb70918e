"""A disclosure of bank data is a decision: who asks, for what purpose, which data, for which recipient.

Purposes and data categories use Fides (fideslang) taxonomy keys; see policy/vocabulary.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Minimisation(StrEnum):
    """How much of the data the recipient may see, from most to least."""

    FULL = "full"
    MASKED = "masked"  # amounts rounded, merchants generalised, numbers to last 4
    LINK_ONLY = "link_only"  # recipient gets only a short-lived link to a gateway-hosted page


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class DisclosureRequest:
    tenant: str  # the bank
    customer_id: str
    purpose: str  # fideslang data_use key, e.g. "essential.service.operations.support"
    categories: tuple[str, ...]  # fideslang data_category keys, e.g. ("user.financial.bank_account.balance",)
    recipient: str  # channel or surface that will see the data: "webchat", "messenger", "terminal", ...


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    minimisation: Minimisation | None  # None when denied
    policy_id: str  # the Cedar policy id that decided (or "default-deny")
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW
