"""Our vocabulary is fideslang's: every key we take from it exists there, and our own keys hang under it."""

from __future__ import annotations

import pytest
from fideslang.default_taxonomy import DEFAULT_TAXONOMY

from sarraf.policy import vocabulary

FIDES_USES = {use.fides_key for use in DEFAULT_TAXONOMY.data_use}
FIDES_CATEGORIES = {category.fides_key for category in DEFAULT_TAXONOMY.data_category}


@pytest.mark.parametrize("key", sorted(vocabulary.PURPOSES))
def test_every_purpose_is_a_fideslang_data_use(key: str) -> None:
    assert key in FIDES_USES


@pytest.mark.parametrize("key", sorted(set(vocabulary.CATEGORIES) - set(vocabulary.OUR_CATEGORIES)))
def test_every_borrowed_category_is_a_fideslang_data_category(key: str) -> None:
    assert key in FIDES_CATEGORIES


@pytest.mark.parametrize("key", sorted(vocabulary.OUR_CATEGORIES))
def test_our_own_categories_are_new_children_of_a_fideslang_category(key: str) -> None:
    assert key not in FIDES_CATEGORIES
    assert vocabulary.parent(key) in FIDES_CATEGORIES


def test_the_keys_the_agreement_relies_on_are_known() -> None:
    for purpose in ("essential.service.operations.support", "essential.service.notifications",
                    "essential.fraud_detection", "marketing.advertising.first_party.targeted",
                    "marketing.advertising.third_party.targeted", "marketing.communications",
                    "third_party_sharing", "analytics.reporting", "train_ai_system"):
        assert vocabulary.is_known_purpose(purpose)
    for category in ("user.financial.bank_account", "user.financial.credit_card", "user.behavior.purchase_history"):
        assert vocabulary.is_known_category(category)
    assert set(vocabulary.RECIPIENTS) == {"webchat", "terminal", "messenger", "whatsapp", "telegram", "alexa",
                                          "agent_console", "export", "bank_page"}


@pytest.mark.parametrize("keys", [vocabulary.PURPOSES, vocabulary.CATEGORIES])
def test_every_parent_is_in_the_vocabulary_so_the_cedar_hierarchy_has_no_gaps(keys: dict[str, str]) -> None:
    for key in keys:
        assert all(ancestor in keys for ancestor in vocabulary.parents(key)), key


def test_recipients_sit_in_known_groups() -> None:
    assert set(vocabulary.RECIPIENTS.values()) <= set(vocabulary.RECIPIENT_GROUPS)
    assert vocabulary.RECIPIENTS["messenger"] == vocabulary.THIRD_PARTY_PLATFORM
    assert vocabulary.RECIPIENTS["bank_page"] == vocabulary.GATEWAY_SURFACE


def test_hierarchy_helpers() -> None:
    assert vocabulary.parent("user") is None
    assert vocabulary.parents("marketing.advertising.first_party.targeted") == (
        "marketing.advertising.first_party", "marketing.advertising", "marketing")
    assert vocabulary.lineage("user.financial") == ("user.financial", "user")
    assert vocabulary.is_within("marketing.communications", "marketing")
    assert not vocabulary.is_within("marketingx", "marketing")
    assert vocabulary.descendants("user.financial.credit_card", vocabulary.CATEGORIES) == {
        "user.financial.credit_card", "user.financial.credit_card.controls"}
