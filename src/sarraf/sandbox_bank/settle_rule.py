"""Which payments the sandbox settles later (settlement.py): the setting, from the environment or the admin API."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import Request

ABOVE_ENV, ABROAD_ENV, AFTER_ENV = ("SARRAF_SANDBOX_SETTLE_LATER_ABOVE", "SARRAF_SANDBOX_SETTLE_LATER_ABROAD",
                                    "SARRAF_SANDBOX_SETTLE_AFTER_S")


@dataclass(frozen=True, slots=True)
class SettleLater:
    above: Decimal | None = None  # payments of more than this settle later (None: none for their amount)
    abroad: bool = False  # international payments settle later
    after_s: int = 60

    @classmethod
    def from_environment(cls) -> SettleLater:
        above = os.environ.get(ABOVE_ENV, "").strip()
        return cls(Decimal(above) if above else None,
                   os.environ.get(ABROAD_ENV, "").strip().lower() in {"1", "true", "yes"},
                   int(os.environ.get(AFTER_ENV, "").strip() or 60))

    def due(self, initiation: dict[str, Any], international: bool, now: datetime) -> datetime | None:
        """When a payment submitted now settles, or None when it settles at once."""
        amount = Decimal(initiation["InstructedAmount"]["Amount"])
        if (self.above is not None and amount > self.above) or (self.abroad and international):
            return now + timedelta(seconds=self.after_s)
        return None


def settle_at(request: Request, initiation: dict[str, Any], international: bool, now: datetime) -> datetime | None:
    rule: SettleLater = getattr(request.app.state, "settle_later", None) or SettleLater()
    return rule.due(initiation, international, now)
