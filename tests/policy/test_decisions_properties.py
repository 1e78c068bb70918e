"""Properties: the cache always agrees with cedarpy, and no forbidden purpose is ever allowed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sarraf.domain.disclosure import DisclosureRequest, Minimisation
from sarraf.policy import vocabulary
from sarraf.policy.agreement import DEFAULT_AGREEMENT, load_agreement
from sarraf.policy.consent_grant import ConsentGrant, GrantStatus, Scope
from sarraf.policy.decision_cache import CachedDecider
from sarraf.policy.decisions import CedarDecider

AGREEMENT = load_agreement(DEFAULT_AGREEMENT)
CEDAR = CedarDecider(AGREEMENT)
CACHED = CachedDecider(AGREEMENT)
BATCH = 100
FORBIDDEN_ROOTS = ("marketing", "third_party_sharing", "train_ai_system")
# The one marketing use the agreement permits (with the customer's `offers` opt-in): the bank's offer itself.
DIRECT_MARKETING, OFFER = "marketing.communications", "user.financial.offers"


def deterministic(max_examples: int) -> settings:
    return settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

known_purposes = st.sampled_from(sorted(vocabulary.PURPOSES))
odd_keys = st.one_of(
    st.text(max_size=30),
    st.builds(lambda key, tail: f"{key}.{tail}", known_purposes, st.text(min_size=1, max_size=8)),
    st.builds(str.upper, known_purposes),
)
purposes = st.one_of(known_purposes, odd_keys)
categories = st.one_of(
    st.sampled_from(sorted(vocabulary.CATEGORIES)),
    st.builds(lambda key, tail: f"{key}.{tail}", st.sampled_from(sorted(vocabulary.CATEGORIES)),
              st.text(min_size=1, max_size=8)),
    st.text(max_size=20),
)
recipients = st.one_of(st.sampled_from(sorted(vocabulary.RECIPIENTS)), st.text(max_size=12))
grants = st.builds(
    ConsentGrant,
    tenant=st.sampled_from(["sandbox", "sandbox", "other-bank"]),
    customer_id=st.sampled_from(["c1", "c1", "c1", "c2"]),
    scopes=st.frozensets(st.sampled_from(list(Scope))),
    status=st.sampled_from(list(GrantStatus)),
)
requests = st.builds(
    DisclosureRequest,
    tenant=st.just("sandbox"),
    customer_id=st.just("c1"),
    purpose=purposes,
    categories=st.lists(categories, max_size=3).map(tuple),
    recipient=recipients,
)


@pytest.mark.slow  # hundreds of generated cases through cedarpy: 8-16 s measured
@deterministic(600)
@given(requests, grants)
def test_the_cache_and_cedarpy_always_agree(request: DisclosureRequest, grant: ConsentGrant) -> None:
    assert CACHED.decide(request, grant) == CEDAR.decide(request, grant)


forbidden_purposes = st.sampled_from(
    sorted(p for p in vocabulary.PURPOSES if any(vocabulary.is_within(p, root) for root in FORBIDDEN_ROOTS)))
forbidden_requests = st.builds(
    DisclosureRequest,
    tenant=st.just("sandbox"),
    customer_id=st.just("c1"),
    purpose=forbidden_purposes,
    categories=st.lists(st.sampled_from(sorted(vocabulary.CATEGORIES)), min_size=1, max_size=3).map(tuple),
    recipient=st.sampled_from(sorted(vocabulary.RECIPIENTS)),
).filter(lambda r: not (r.purpose == DIRECT_MARKETING and set(r.categories) == {OFFER}))
# Active grants for every combination of scopes, built once: the most any customer could have consented to.
every_grant = st.sampled_from([
    ConsentGrant("sandbox", "c1", frozenset(s for i, s in enumerate(Scope) if mask >> i & 1))
    for mask in range(2 ** len(Scope))
])


@pytest.mark.slow  # hundreds of generated cases through cedarpy: 8-16 s measured
@deterministic(100)
@given(st.lists(st.tuples(forbidden_requests, every_grant), min_size=BATCH, max_size=BATCH))
def test_no_forbidden_purpose_is_ever_allowed_on_the_hot_path(
    batch: list[tuple[DisclosureRequest, ConsentGrant]],
) -> None:
    # 100 examples x 100 requests = 10,000 generated requests; batching keeps hypothesis' per-example cost low.
    for request, grant in batch:
        assert not CACHED.decide(request, grant).allowed


@deterministic(300)
@given(forbidden_requests, every_grant)
def test_no_forbidden_purpose_is_ever_allowed_by_cedarpy(request: DisclosureRequest, grant: ConsentGrant) -> None:
    decision = CEDAR.decide(request, grant)
    assert not decision.allowed
    assert decision.policy_id.startswith("forbid-")


@deterministic(300)
@given(requests, grants)
def test_an_allowed_decision_always_has_a_level_and_a_permit(
    request: DisclosureRequest, grant: ConsentGrant
) -> None:
    decision = CACHED.decide(request, grant)
    if decision.allowed:
        assert decision.minimisation in tuple(Minimisation)
        assert decision.policy_id.startswith("permit-")
        assert vocabulary.is_known_purpose(request.purpose)
        assert all(vocabulary.is_known_category(c) for c in request.categories)
        assert vocabulary.is_known_recipient(request.recipient)
        assert grant.covers(request)
    else:
        assert decision.minimisation is None
