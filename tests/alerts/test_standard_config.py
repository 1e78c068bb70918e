"""banks.yaml `alerts:` (config.derived_alerts) and its translation into derivation rules (alert_loops.py)."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest

from sarraf.alert_loops import standard_config
from sarraf.config import ConfigError, derived_alerts


def test_a_bank_without_derive_keeps_its_own_events() -> None:
    assert derived_alerts(None) is None
    assert derived_alerts({"derive": False, "large_from": "10"}) is None


def test_the_rules_a_bank_configures_reach_derivation() -> None:
    found = derived_alerts({"derive": True, "home_country": "pl", "large_from": "2000", "low_balance_below": 50,
                            "fraud": {"new_merchant_abroad_above": "300", "declined_attempts": 3,
                                      "declined_window_minutes": 30, "night_card_not_present": ["00:00", "05:00"],
                                      "timezone": "Europe/Warsaw"},
                            "poll_transactions_seconds": 300, "max_calls_per_minute": 20})
    assert found is not None and found.poll_transactions_seconds == 300 and found.max_calls_per_minute == 20
    config = standard_config(found)
    assert config.rules.home_country == "PL" and config.rules.large_from == Decimal("2000")
    assert config.rules.low_balance_below == Decimal("50") and not config.fraud_feed
    fraud = config.rules.fraud
    assert fraud.declined_attempts == 3 and fraud.declined_window == timedelta(minutes=30)
    assert fraud.night_card_not_present == (time(0), time(5)) and fraud.timezone == "Europe/Warsaw"


@pytest.mark.parametrize("raw", [
    {"derive": True, "fraud": {"night_card_not_present": ["00:00"]}},
    {"derive": True, "fraud": {"timezone": "Mars/Olympus"}},
    {"derive": True, "max_calls_per_minute": 0},
    {"derive": True, "large_from": "lots"},
])
def test_a_wrong_setting_is_a_config_error(raw: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        derived_alerts(raw)
