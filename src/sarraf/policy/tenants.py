"""One bank's agreement per disclosure: a gateway serving several banks decides each request against the
agreement of the bank (tenant) it concerns, never another's."""

from __future__ import annotations

from collections.abc import Mapping

from sarraf.domain.disclosure import Decision, DisclosureRequest
from sarraf.policy.consent_grant import ConsentGrant
from sarraf.policy.decision_cache import CachedDecider


class TenantDecider:
    """Routes each disclosure to the agreement of the bank it concerns (an unknown bank is a KeyError: no
    agreement, no decision)."""

    def __init__(self, deciders: Mapping[str, CachedDecider]) -> None:
        self._deciders = deciders

    def decide(self, request: DisclosureRequest, grant: ConsentGrant) -> Decision:
        return self._deciders[request.tenant].decide(request, grant)
