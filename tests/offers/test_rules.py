"""The offers' settings in banks.yaml, and their quiet hours: the customer's own, else the night in their zone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sarraf.alerts.offers import offer_quiet_until
from sarraf.alerts.preferences import AlertPreferences
from sarraf.config import DEFAULT_BANKS_FILE, ConfigError, load_banks


def test_the_sandbox_caps_offers_at_two_a_week_and_has_no_marketing_template() -> None:
    bank = load_banks(DEFAULT_BANKS_FILE)["sandbox"]
    assert (bank.offers_per_customer_per_week, bank.offers_per_bank_per_day) == (2, 10_000)
    assert bank.offers_marketing_templates == ()


def test_caps_are_read_and_checked(tmp_path: Path) -> None:
    def banks(offers: str) -> Path:
        path = tmp_path / "banks.yaml"
        path.write_text(f"banks:\n  - id: b\n    client_id: c\n    client_secret: s\n    offers: {offers}\n")
        return path

    bank = load_banks(banks("{per_customer_per_week: 1, per_bank_per_day: 50, marketing_templates: [whatsapp]}"))["b"]
    assert (bank.offers_per_customer_per_week, bank.offers_per_bank_per_day) == (1, 50)
    assert bank.offers_marketing_templates == ("whatsapp",)
    with pytest.raises(ConfigError, match="offers caps"):
        load_banks(banks("{per_customer_per_week: -1}"))


def test_without_quiet_hours_of_their_own_offers_wait_for_seven_in_the_customers_zone() -> None:
    london = AlertPreferences(timezone="Europe/London")
    late = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)  # 23:30 in London in winter
    assert offer_quiet_until(london, late) == datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
    assert offer_quiet_until(london, datetime(2026, 12, 5, 12, 0, tzinfo=UTC)) is None
    riyadh = AlertPreferences(timezone="Asia/Riyadh")  # 20:00 UTC is 23:00 in Riyadh
    assert offer_quiet_until(riyadh, datetime(2026, 12, 5, 20, 0, tzinfo=UTC)) == datetime(2026, 12, 6, 4, 0,
                                                                                                tzinfo=UTC)
    own = AlertPreferences(quiet_start="12:00", quiet_end="13:00", timezone="UTC")  # their own hours replace night
    assert offer_quiet_until(own, late) is None
    assert offer_quiet_until(own, datetime(2026, 12, 5, 12, 30, tzinfo=UTC)) == datetime(2026, 12, 5, 13, 0,
                                                                                             tzinfo=UTC)
