"""Decide a disclosure with Cedar: the bank's agreement first, then the customer's consent.

Cedar is asked once per data category and minimisation level, most disclosure first: ``disclose_full``,
then ``disclose_masked``, then ``disclose_link_only``; the first level allowed is the level granted. A request
for several categories is allowed only if every category is, at the most restrictive of their levels.

The Decision names the policy that decided, by its ``@id``: the first matching permit (in file order) when
allowed, the first matching forbid when denied, ``default-deny`` when nothing matched, ``consent`` when the
agreement allowed but the customer's consent does not cover the request. Cedar skips a policy that fails to
evaluate, which could drop a forbid, so any evaluation error denies (``evaluation-error``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import cedarpy

from sarraf.domain.disclosure import Decision, DisclosureRequest, Minimisation, Outcome
from sarraf.policy.agreement import Agreement, vocabulary_entities
from sarraf.policy.consent_grant import ConsentGrant

DEFAULT_DENY = "default-deny"
EVALUATION_ERROR = "evaluation-error"
LEVELS: tuple[Minimisation, ...] = (Minimisation.FULL, Minimisation.MASKED, Minimisation.LINK_ONLY)
_ACTIONS = {level: {"type": "Action", "id": f"disclose_{level.value}"} for level in LEVELS}
_NOTHING_REQUESTED = Decision(Outcome.DENY, None, DEFAULT_DENY, "no data category was named")


class Decider(Protocol):
    def decide(self, request: DisclosureRequest, grant: ConsentGrant) -> Decision: ...


def apply_consent(decision: Decision, request: DisclosureRequest, grant: ConsentGrant) -> Decision:
    """The agreement's decision, unless it allowed and the customer's consent does not cover the request."""
    if not decision.allowed:
        return decision
    refusal = grant.refusal(request)
    return decision if refusal is None else refusal


def combine(categories: Sequence[str], decisions: Sequence[Decision]) -> Decision:
    """One decision for a request naming several categories: every one must be allowed; least disclosure wins."""
    if not decisions:
        return _NOTHING_REQUESTED
    for category, decision in zip(categories, decisions, strict=True):
        if not decision.allowed:
            if len(categories) == 1:
                return decision
            return Decision(Outcome.DENY, None, decision.policy_id, f"{category}: {decision.reason}")
    binding = max(decisions, key=lambda d: LEVELS.index(d.minimisation))
    return binding


class CedarDecider:
    """Evaluates one bank's agreement with cedarpy on every call: the source of truth, ~40 µs a level."""

    def __init__(self, agreement: Agreement) -> None:
        self.agreement = agreement
        self._entities = vocabulary_entities()

    def decide(self, request: DisclosureRequest, grant: ConsentGrant) -> Decision:
        return apply_consent(self.decide_agreement(request.purpose, request.categories, request.recipient),
                             request, grant)

    def decide_agreement(self, purpose: str, categories: Sequence[str], recipient: str) -> Decision:
        """What the agreement alone says, without looking at consent."""
        return combine(categories, [self.decide_category(purpose, c, recipient) for c in categories])

    def decide_category(self, purpose: str, category: str, recipient: str) -> Decision:
        withheld: list[str] = []  # forbids that capped a fuller level, for the reason text
        last_forbids: list[str] = []
        for level in LEVELS:
            result = cedarpy.is_authorized(self._request(level, purpose, category, recipient),
                                           self.agreement.policies, self._entities)
            if result.diagnostics.errors:
                return Decision(Outcome.DENY, None, EVALUATION_ERROR, "; ".join(result.diagnostics.errors))
            matched = self._ids_in_file_order(result.diagnostics.reasons)
            if result.allowed:
                reason = f"{purpose} to {recipient} permitted by {matched[0]}"
                if withheld:
                    reason += f"; fuller levels withheld by {', '.join(dict.fromkeys(withheld))}"
                return Decision(Outcome.ALLOW, level, matched[0], reason)
            withheld.extend(matched)
            last_forbids = matched
        # The link_only evaluation is the final word: a forbid there decided, otherwise no permit matched.
        if last_forbids:
            return Decision(Outcome.DENY, None, last_forbids[0], f"{purpose} forbidden by {last_forbids[0]}")
        return Decision(Outcome.DENY, None, DEFAULT_DENY,
                        f"no policy permits {category} for {purpose} to {recipient}")

    def _ids_in_file_order(self, cedar_ids: list[str]) -> list[str]:
        numbered = sorted(cedar_ids, key=lambda cedar_id: int(cedar_id.removeprefix("policy") or 0))
        return [self.agreement.policy_id(cedar_id) for cedar_id in numbered]

    @staticmethod
    def _request(level: Minimisation, purpose: str, category: str, recipient: str) -> dict[str, object]:
        # The dict form of entity ids accepts any string, so hostile or odd keys reach Cedar unchanged
        # and simply match nothing.
        return {
            "principal": {"type": "Recipient", "id": recipient},
            "action": _ACTIONS[level],
            "resource": {"type": "DataCategory", "id": category},
            "context": {"purpose": {"__entity": {"type": "Purpose", "id": purpose}}},
        }
