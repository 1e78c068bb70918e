"""The direct-marketing purpose of issue #16 through `sarraf policy check`, as docs/offers.md documents it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sarraf.cli.policy import app
from sarraf.config import DEFAULT_BANKS_FILE
from sarraf.policy.agreement import DEFAULT_AGREEMENT, load_agreement

MARKETING = "marketing.communications"
TRANSACTIONS = "user.financial.bank_account.transactions"
OFFER = "user.financial.offers"


@pytest.fixture(autouse=True)
def default_banks_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SARRAF_BANKS_FILE", str(DEFAULT_BANKS_FILE))


def check(category: str, recipient: str, scopes: str, purpose: str = MARKETING) -> tuple[str, str | None, str]:
    result = CliRunner().invoke(app, ["check", "--bank", "sandbox", "--purpose", purpose, "--category", category,
                                      "--recipient", recipient, "--scopes", scopes])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    return answer["decision"], answer["minimisation"], answer["policy_id"]


def test_transactions_never_serve_marketing_whatever_the_customer_consented_to() -> None:
    assert check(TRANSACTIONS, "webchat", "balances") == ("deny", None, "forbid-marketing")
    assert check(TRANSACTIONS, "webchat", "offers") == ("deny", None, "forbid-marketing")
    assert check(TRANSACTIONS, "webchat", "balances,transactions,alerts,offers") == ("deny", None, "forbid-marketing")


def test_the_offer_itself_needs_the_offers_opt_in_and_is_minimised_per_recipient() -> None:
    assert check(OFFER, "webchat", "balances,transactions,alerts") == ("deny", None, "consent")
    assert check(OFFER, "webchat", "offers") == ("allow", "full", "permit-direct-marketing-offers")
    assert check(OFFER, "telegram", "offers") == ("allow", "masked", "permit-direct-marketing-offers")
    assert check(OFFER, "messenger", "offers") == ("allow", "link_only", "permit-direct-marketing-offers")
    assert check(OFFER, "whatsapp", "offers") == ("allow", "link_only", "permit-direct-marketing-offers")


@pytest.mark.parametrize("purpose", ["marketing.advertising.third_party", "marketing.advertising.third_party.targeted",
                                     "marketing.advertising.profiling", "third_party_sharing"])
def test_third_party_advertising_stays_forbidden_even_for_the_offer(purpose: str) -> None:
    decision, _, policy = check(OFFER, "webchat", "offers", purpose)
    assert decision == "deny" and policy.startswith("forbid-")


def test_the_permit_names_exactly_one_category_and_one_purpose() -> None:
    source = load_agreement(DEFAULT_AGREEMENT).source
    permit = source.split('@id("permit-direct-marketing-offers")', 1)[1].split(";", 1)[0]
    assert f'resource == DataCategory::"{OFFER}"' in permit
    assert f'context.purpose == Purpose::"{MARKETING}"' in permit
