"""The bank's own offers as the conversation and the alert pipeline both speak of them: a customer's opt-in, a
bank's caps, and the payloads of the buttons every offer carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

STOP_PAYLOAD = "offers:stop"  # one tap: no more offers (the scope is revoked at once)
WHY_PAYLOAD = "offers:why"  # "why am I seeing this?": which consent allowed it


@dataclass(frozen=True, slots=True)
class OfferRules:
    """A bank's caps and platform settings for offers (banks.yaml `offers:`)."""

    per_customer_per_week: int = 2
    per_bank_per_day: int = 10_000
    marketing_templates: tuple[str, ...] = ()  # platforms where the bank has an approved marketing template


@dataclass(frozen=True, slots=True)
class OptIn:
    opted_in: bool
    channel: str | None
    changed_at: datetime
