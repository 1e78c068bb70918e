"""The default agreement's answers, how consent refuses, and how the cache follows reloads and revocations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sarraf.domain.consent import ConsentStatus
from sarraf.domain.disclosure import Decision, DisclosureRequest, Minimisation, Outcome
from sarraf.policy.agreement import DEFAULT_AGREEMENT, AgreementError, load_agreement, parse_agreement
from sarraf.policy.consent_grant import (
    ALL_SCOPES,
    CONSENT_POLICY_ID,
    ConsentGrant,
    GrantStatus,
    Scope,
    parse_scopes,
    permissions_for,
)
from sarraf.policy.decision_cache import CachedDecider
from sarraf.policy.decisions import DEFAULT_DENY, CedarDecider

BALANCE = "user.financial.bank_account.balance"
TRANSACTIONS = "user.financial.bank_account.transactions"
PURCHASES = "user.behavior.purchase_history"
OFFER = "user.financial.offers"
SUPPORT = "essential.service.operations.support"
AGREEMENT = load_agreement(DEFAULT_AGREEMENT)
GRANT = ConsentGrant("sandbox", "c1", ALL_SCOPES)


def ask(purpose: str, categories: tuple[str, ...], recipient: str) -> DisclosureRequest:
    return DisclosureRequest("sandbox", "c1", purpose, categories, recipient)


@pytest.fixture(params=["cedar", "cached"])
def decider(request: pytest.FixtureRequest) -> CedarDecider | CachedDecider:
    return CedarDecider(AGREEMENT) if request.param == "cedar" else CachedDecider(AGREEMENT)


@pytest.mark.parametrize(("recipient", "level"), [
    ("webchat", Minimisation.FULL), ("terminal", Minimisation.FULL), ("bank_page", Minimisation.FULL),
    ("agent_console", Minimisation.FULL), ("export", Minimisation.FULL),
    ("telegram", Minimisation.MASKED), ("alexa", Minimisation.MASKED),
    ("messenger", Minimisation.LINK_ONLY), ("whatsapp", Minimisation.LINK_ONLY),
])
def test_customer_service_is_allowed_at_each_recipients_level(
    decider: CedarDecider | CachedDecider, recipient: str, level: Minimisation
) -> None:
    decision = decider.decide(ask(SUPPORT, (BALANCE,), recipient), GRANT)
    assert decision.outcome is Outcome.ALLOW
    assert decision.minimisation is level
    assert decision.policy_id == "permit-customer-service"


@pytest.mark.parametrize(("purpose", "policy_id"), [
    ("essential.service.notifications", "permit-notifications"),
    ("essential.service.notifications.sms", "permit-notifications"),
    ("essential.fraud_detection", "permit-fraud-detection"),
])
def test_notifications_and_fraud_detection_are_allowed(
    decider: CedarDecider | CachedDecider, purpose: str, policy_id: str
) -> None:
    decision = decider.decide(ask(purpose, (TRANSACTIONS,), "agent_console"), GRANT)
    assert (decision.outcome, decision.policy_id) == (Outcome.ALLOW, policy_id)


@pytest.mark.parametrize(("purpose", "policy_id"), [
    ("marketing", "forbid-marketing"),
    ("marketing.advertising.first_party.targeted", "forbid-marketing"),
    ("marketing.advertising.third_party.targeted", "forbid-marketing"),
    ("marketing.communications", "forbid-marketing"),
    ("third_party_sharing", "forbid-third-party-sharing"),
    ("train_ai_system", "forbid-ai-training"),
    ("analytics.reporting", DEFAULT_DENY),
    ("personalize", DEFAULT_DENY),
])
def test_forbidden_and_unpermitted_purposes_are_denied_naming_the_policy(
    decider: CedarDecider | CachedDecider, purpose: str, policy_id: str
) -> None:
    for recipient in ("webchat", "telegram", "messenger"):
        decision = decider.decide(ask(purpose, (PURCHASES,), recipient), GRANT)
        assert decision == Decision(Outcome.DENY, None, policy_id, decision.reason)
        assert decision.reason


@pytest.mark.parametrize(("purpose", "categories", "recipient"), [
    ("essential.service.operations.support.bogus", (BALANCE,), "webchat"),
    ("ESSENTIAL", (BALANCE,), "webchat"),
    (SUPPORT, ("user.financial.bank_account.balance.secret",), "webchat"),
    (SUPPORT, ("user",), "sms"),
    (SUPPORT, (), "webchat"),
    (SUPPORT, (BALANCE, "nonsense"), "webchat"),
])
def test_unknown_words_are_denied_never_allowed(
    decider: CedarDecider | CachedDecider, purpose: str, categories: tuple[str, ...], recipient: str
) -> None:
    decision = decider.decide(ask(purpose, categories, recipient), GRANT)
    assert (decision.outcome, decision.policy_id, decision.minimisation) == (Outcome.DENY, DEFAULT_DENY, None)


def test_several_categories_get_the_least_disclosure_and_all_must_pass(
    decider: CedarDecider | CachedDecider,
) -> None:
    both = decider.decide(ask(SUPPORT, (BALANCE, TRANSACTIONS), "telegram"), GRANT)
    assert (both.outcome, both.minimisation) == (Outcome.ALLOW, Minimisation.MASKED)
    no_transactions = GRANT.with_scopes({Scope.BALANCES})
    refused = decider.decide(ask(SUPPORT, (BALANCE, TRANSACTIONS), "webchat"), no_transactions)
    assert (refused.outcome, refused.policy_id) == (Outcome.DENY, CONSENT_POLICY_ID)
    assert TRANSACTIONS in refused.reason


def test_a_cap_for_one_category_binds_the_whole_request() -> None:
    agreement = parse_agreement(AGREEMENT.source + (
        '\n@id("balances-masked-for-agents")\n'
        'forbid (principal == Recipient::"agent_console", action == Action::"disclose_full",\n'
        '        resource in DataCategory::"user.financial.bank_account.balance");\n'))
    for decider in (CedarDecider(agreement), CachedDecider(agreement)):
        decision = decider.decide(ask(SUPPORT, (TRANSACTIONS, BALANCE), "agent_console"), GRANT)
        assert decision.minimisation is Minimisation.MASKED
        assert "balances-masked-for-agents" in decision.reason


@pytest.mark.parametrize("status", [GrantStatus.REVOKED, GrantStatus.EXPIRED, GrantStatus.PENDING])
def test_a_grant_that_is_not_active_refuses_everything(
    decider: CedarDecider | CachedDecider, status: GrantStatus
) -> None:
    grant = ConsentGrant("sandbox", "c1", ALL_SCOPES, status=status)
    decision = decider.decide(ask(SUPPORT, (BALANCE,), "webchat"), grant)
    assert (decision.outcome, decision.policy_id) == (Outcome.DENY, CONSENT_POLICY_ID)


def test_revocation_takes_effect_on_the_very_next_request() -> None:
    cached = CachedDecider(AGREEMENT)
    request = ask(SUPPORT, (BALANCE,), "webchat")
    grant = ConsentGrant("sandbox", "c1", ALL_SCOPES)
    for _ in range(3):
        assert cached.decide(request, grant).allowed  # warm: the agreement's answer is cached now
    revoked = grant.revoked()
    assert revoked.version == grant.version + 1
    assert cached.decide(request, revoked).policy_id == CONSENT_POLICY_ID
    assert cached.decide(request, grant.with_scopes({Scope.ALERTS})).policy_id == CONSENT_POLICY_ID


def test_expiry_is_checked_on_every_call() -> None:
    now = datetime.now(UTC)
    grant = ConsentGrant("sandbox", "c1", ALL_SCOPES, expires_at=now + timedelta(minutes=5))
    request = ask(SUPPORT, (BALANCE,), "webchat")
    assert grant.covers(request, now=now.timestamp())
    assert not grant.covers(request, now=(now + timedelta(minutes=5)).timestamp())
    expired = ConsentGrant("sandbox", "c1", ALL_SCOPES, expires_at=now - timedelta(seconds=1))
    assert CachedDecider(AGREEMENT).decide(request, expired).policy_id == CONSENT_POLICY_ID


def test_a_grant_covers_only_its_own_customer_and_bank() -> None:
    request = ask(SUPPORT, (BALANCE,), "webchat")
    assert not ConsentGrant("sandbox", "someone-else", ALL_SCOPES).covers(request)
    assert not ConsentGrant("other-bank", "c1", ALL_SCOPES).covers(request)


def test_scopes_map_to_ob_permissions_purposes_and_categories() -> None:
    assert permissions_for([Scope.BALANCES]) == ("ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances")
    assert permissions_for(["transactions", "balances"]) == (
        "ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances", "ReadTransactionsBasic",
        "ReadTransactionsDetail", "ReadTransactionsCredits", "ReadTransactionsDebits")
    assert "ReadOffers" in permissions_for([Scope.OFFERS])
    alerts_only = ConsentGrant("sandbox", "c1", {Scope.ALERTS})
    assert alerts_only.covers(ask("essential.service.notifications.sms", (TRANSACTIONS,), "telegram"))
    assert not alerts_only.covers(ask(SUPPORT, (TRANSACTIONS,), "telegram"))
    offers = ConsentGrant("sandbox", "c1", {Scope.OFFERS})
    assert offers.covers(ask("marketing.communications", (OFFER,), "webchat"))
    assert not offers.covers(ask("marketing.communications", (PURCHASES,), "webchat"))  # the offer alone
    # The agreement lets direct marketing carry the bank's offer, and forbids marketing on anything else...
    assert CachedDecider(AGREEMENT).decide(ask("marketing.communications", (PURCHASES,), "webchat"),
                                           offers).policy_id == "forbid-marketing"
    assert CachedDecider(AGREEMENT).decide(ask("marketing.communications", (OFFER,), "webchat"),
                                           offers).policy_id == "permit-direct-marketing-offers"
    # ...and only the customer's opt-in makes it usable: both the bank and the customer must say yes.
    assert CachedDecider(AGREEMENT).decide(ask("marketing.communications", (OFFER,), "webchat"),
                                           ConsentGrant("sandbox", "c1", ALL_SCOPES - {Scope.OFFERS})
                                           ).policy_id == CONSENT_POLICY_ID
    assert parse_scopes(" balances, offers ") == {Scope.BALANCES, Scope.OFFERS}
    with pytest.raises(ValueError, match="nope"):
        parse_scopes("balances,nope")
    assert GrantStatus.from_ob(ConsentStatus.AUTHORISED) is GrantStatus.ACTIVE
    assert GrantStatus.from_ob(ConsentStatus.CANCELLED) is GrantStatus.REVOKED
    assert GrantStatus.from_ob(ConsentStatus.EXPIRED) is GrantStatus.EXPIRED


def test_reload_swaps_the_agreement_and_empties_the_cache() -> None:
    cached = CachedDecider(AGREEMENT)
    request = ask(SUPPORT, (BALANCE,), "webchat")
    assert cached.decide(request, GRANT).allowed
    stricter = parse_agreement(AGREEMENT.source + (
        '\n@id("no-support-on-webchat")\nforbid (principal == Recipient::"webchat", action, resource)\n'
        'when { context.purpose in Purpose::"essential.service.operations" };\n'))
    cached.reload(stricter)
    assert cached.generation == 2
    assert cached.decide(request, GRANT).policy_id == "no-support-on-webchat"


def test_refresh_reloads_a_changed_file_and_keeps_the_old_one_when_the_new_is_broken(tmp_path: Path) -> None:
    path = tmp_path / "bank.cedar"
    path.write_text(AGREEMENT.source, encoding="utf-8")
    cached = CachedDecider.from_path(path)
    request = ask(SUPPORT, (BALANCE,), "export")
    assert cached.decide(request, GRANT).allowed
    assert cached.refresh() is False

    path.write_text(AGREEMENT.source + '\n@id("no-export")\nforbid (principal == Recipient::"export", action, '
                    "resource);\n", encoding="utf-8")
    assert cached.refresh() is True
    assert cached.decide(request, GRANT).policy_id == "no-export"

    path.write_text("permit (principal, action, resource);\n", encoding="utf-8")
    with pytest.raises(AgreementError):
        cached.refresh()
    assert cached.decide(request, GRANT).policy_id == "no-export"


@pytest.mark.slow  # a Cedar decision for every known question (seconds)
def test_warm_precomputes_every_known_single_category_question() -> None:
    cached = CachedDecider(AGREEMENT)
    assert cached.warm() > 1000
    assert cached.decide(ask(SUPPORT, (BALANCE,), "alexa"), GRANT).minimisation is Minimisation.MASKED


def test_the_cache_stays_bounded() -> None:
    cached = CachedDecider(AGREEMENT, max_entries=8)
    for i in range(50):
        assert not cached.decide(ask(f"unknown.{i}", (BALANCE,), "webchat"), GRANT).allowed
        assert cached.size <= 8
    assert cached.decide(ask(SUPPORT, (BALANCE,), "webchat"), GRANT).allowed
