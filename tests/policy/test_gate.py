"""The one door (policy/gate.py): every decision is audited, allow and deny alike, before the caller can act;
a bank's own check can only turn an allow into a deny; a batch's decisions are appended in one go, and one
request whose data breaks its decision is set aside without losing the others' records."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sarraf.domain.disclosure import Decision, DisclosureRequest, Minimisation, Outcome
from sarraf.policy.consent_grant import ConsentGrant, Scope
from sarraf.policy.gate import PolicyGate

ALLOW = Decision(Outcome.ALLOW, Minimisation.FULL, "allow-policy")
DENY = Decision(Outcome.DENY, None, "default-deny")
LIMIT = Decision(Outcome.DENY, None, "payment-limit", "over the limit")


def _request(customer: str) -> DisclosureRequest:
    return DisclosureRequest("bank", customer, "essential.service.operations.support",
                             ("user.financial.bank_account.balance",), "webchat")


GRANT = ConsentGrant("bank", "c", frozenset({Scope.BALANCES}))


class ByCustomer:
    """Allows customers whose id starts with "a", denies the rest, and breaks on "broken"."""

    def decide(self, request: DisclosureRequest, grant: ConsentGrant) -> Decision:
        if request.customer_id == "broken":
            raise ValueError("malformed amount")
        return ALLOW if request.customer_id.startswith("a") else DENY


class OneByOne:
    def __init__(self) -> None:
        self.records: list[tuple[DisclosureRequest, Decision]] = []

    async def record(self, request: DisclosureRequest, decision: Decision) -> object:
        self.records.append((request, decision))
        return len(self.records)


class Batched:
    def __init__(self) -> None:
        self.batches: list[list[tuple[DisclosureRequest, Decision]]] = []

    async def record_many(self, decisions: Sequence[tuple[DisclosureRequest, Decision]]) -> object:
        self.batches.append(list(decisions))
        return range(len(decisions))


async def test_allow_and_deny_are_both_audited() -> None:
    audit = OneByOne()
    gate = PolicyGate(ByCustomer(), audit)
    assert await gate.decide(_request("alice"), GRANT) == ALLOW
    assert await gate.decide(_request("bob"), GRANT) == DENY
    assert [d for _, d in audit.records] == [ALLOW, DENY]


@given(customer=st.text(min_size=1, max_size=8).filter(lambda c: c != "broken"), limited=st.booleans())
async def test_a_bank_check_never_turns_a_deny_into_an_allow(customer: str, limited: bool) -> None:
    audit = OneByOne()
    gate = PolicyGate(ByCustomer(), audit)
    decision = await gate.decide(_request(customer), GRANT, check=lambda d: LIMIT if limited else ALLOW)
    if not customer.startswith("a"):
        assert decision == DENY  # the check is not even asked
    else:
        assert decision == (LIMIT if limited else ALLOW)
    assert audit.records == [(_request(customer), decision)]


async def test_a_batch_is_appended_once_and_a_broken_request_is_set_aside() -> None:
    audit = Batched()
    gate = PolicyGate(ByCustomer(), audit)
    asked = [(_request(c), GRANT) for c in ("alice", "broken", "bob")]
    results = await gate.decide_many(asked, isolate=(ValueError,))
    assert results[0] == ALLOW and isinstance(results[1], ValueError) and results[2] == DENY
    assert audit.batches == [[(_request("alice"), ALLOW), (_request("bob"), DENY)]]


async def test_an_error_it_was_not_told_to_isolate_stops_the_batch_before_anything_is_recorded() -> None:
    audit = Batched()
    with pytest.raises(ValueError):
        await PolicyGate(ByCustomer(), audit).decide_many([(_request("alice"), GRANT), (_request("broken"), GRANT)])
    assert audit.batches == []
